import { get, type IncomingMessage } from 'node:http';
import request from 'supertest';
import { loadConfig } from '../../src/config';
import { createApp } from '../../src/http/app';
import { createEventBus, sanitizeForLog, type BusRecord } from '../../src/sandbox/event-bus';
import { withDemoProviderUrl, withSandboxSecret } from '../../src/sandbox/bootstrap';
import { lastSeenSeq } from '../../src/sandbox/event-stream';
import { createHarness } from '../support/widget-harness';
import { startSandboxHarness, type SandboxHarness } from '../support/sandbox-harness';
import { sleep } from '../support/wait';

/** The sandbox console's live event stream, the event bus behind it, and the sandbox defaults (split from sandbox-console.test.ts). */

jest.setTimeout(20_000);

/** Opens GET /sandbox/events and collects records until `until` says stop. */
function readStream(
  url: string,
  headers: Record<string, string>,
  until: (records: BusRecord[], events: string[]) => boolean,
): Promise<{ records: BusRecord[]; events: string[]; res: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { headers }, (res) => {
      const records: BusRecord[] = [];
      const events: string[] = [];
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const name = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (name) events.push(name);
          if (name && data && !['hello', 'ready'].includes(name)) records.push(JSON.parse(data) as BusRecord);
          if (until(records, events)) {
            req.destroy();
            resolve({ records, events, res });
          }
        }
      });
    });
    req.on('error', (err) => (err.message === 'socket hang up' ? undefined : reject(err)));
  });
}

describe('GET /sandbox/events (server-sent events)', () => {
  let h: SandboxHarness;
  beforeAll(async () => {
    h = await startSandboxHarness();
  });
  afterAll(() => h.close());

  const outbox = (n: number) =>
    ({
      entryId: `obx_${n}`,
      destination: 'amojo',
      kind: 'new_message',
      outcome: 'delivered',
      attempts: 1,
      messageId: null,
      label: 'new_message',
      error: null,
    }) as const;

  it('replays the buffered history to a new client, then streams live records', async () => {
    for (let i = 1; i <= 3; i++) h.bus.publish('outbox', outbox(i));
    const seen = readStream(`${h.url}/sandbox/events`, {}, (records) => records.length === 4);
    await sleep(100);
    h.bus.publish('outbox', outbox(4));
    const { records, events, res } = await seen;
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(events.slice(0, 5)).toEqual(['hello', 'outbox', 'outbox', 'outbox', 'ready']);
    expect(records.map((r) => (r.data as { entryId: string }).entryId)).toEqual(['obx_1', 'obx_2', 'obx_3', 'obx_4']);
  });

  it('with Last-Event-ID from this process, replays only what the client missed', async () => {
    const last = h.bus.recent().at(-1)!;
    h.bus.publish('outbox', outbox(5));
    const { records } = await readStream(`${h.url}/sandbox/events`, { 'Last-Event-ID': `${h.bus.instance}.${last.seq}` }, (_r, events) =>
      events.includes('ready'),
    );
    expect(records.map((r) => (r.data as { entryId: string }).entryId)).toEqual(['obx_5']);
    expect(lastSeenSeq(`${h.bus.instance}.7`, h.bus.instance)).toBe(7);
    expect(lastSeenSeq('0000.7', h.bus.instance)).toBe(0);
    expect(lastSeenSeq(undefined, h.bus.instance)).toBe(0);
  });

  it('records widget calls with the password masked', async () => {
    await h.install();
    await h.widgetConnect({ login: 'demo', password: 'wrong-password-123' });
    const record = h.records('widget_api').at(-1)!;
    expect(record.data).toMatchObject({ method: 'POST', path: '/widget/v1/connect', status: 401, requestBody: { login: 'demo', password: '***' } });
    expect(JSON.stringify(h.bus.recent())).not.toContain('wrong-password-123');
  });
});

describe('event bus', () => {
  it('keeps only the last `limit` records and never lets a listener break the publisher', () => {
    const bus = createEventBus({ limit: 3 });
    bus.subscribe(() => {
      throw new Error('broken viewer');
    });
    for (let i = 1; i <= 5; i++)
      bus.publish('outbox', {
        entryId: `e${i}`,
        destination: 'provider',
        kind: 'event',
        outcome: 'retry',
        attempts: i,
        messageId: null,
        label: null,
        error: null,
      });
    expect(bus.recent().map((r) => r.seq)).toEqual([3, 4, 5]);
    expect(bus.recent(4).map((r) => r.seq)).toEqual([5]);
  });

  it('masks secrets at any depth and shortens long strings', () => {
    expect(sanitizeForLog({ a: { Password: 'x', token: 'y', list: [{ secret: 'z' }] }, text: 'k'.repeat(30) }, 10)).toEqual({
      a: { Password: '***', token: '***', list: [{ secret: '***' }] },
      text: 'kkkkkkkkkk… (30 chars)',
    });
  });
});

describe('sandbox defaults (bootstrap)', () => {
  const sandbox = loadConfig({ DATABASE_URL: 'memory:' });

  it('generates a webhook secret and points events at the demo provider once the URL is known', () => {
    const withSecret = withSandboxSecret(sandbox);
    expect(withSecret.PROVIDER_WEBHOOK_SECRET).toMatch(/^[0-9a-f]{48}$/);
    expect(withDemoProviderUrl(withSecret, 'http://127.0.0.1:4000').PROVIDER_WEBHOOK_URL).toBe('http://127.0.0.1:4000/sandbox/provider/webhook');
  });

  it("keeps an operator's PROVIDER_WEBHOOK_URL and changes nothing outside sandbox mode", () => {
    const own = loadConfig({ DATABASE_URL: 'memory:', PROVIDER_WEBHOOK_URL: 'https://provider.example/hook' });
    expect(withSandboxSecret(own).PROVIDER_WEBHOOK_SECRET).toBeUndefined();
    expect(withDemoProviderUrl(own, 'http://x').PROVIDER_WEBHOOK_URL).toBe('https://provider.example/hook');
    const live = loadConfig({
      DATABASE_URL: 'memory:',
      AMOJO_CHANNEL_ID: 'c',
      AMOJO_CHANNEL_SECRET: 's',
      PROVIDER_API_TOKEN: 't',
      ALLOW_UNVERIFIED_BINDINGS: 'true',
    });
    expect(withDemoProviderUrl(withSandboxSecret(live), 'http://x')).toEqual(live);
  });

  it('createApp mounts no sandbox router without the sandbox plug-in, even in sandbox mode', async () => {
    const h = await createHarness();
    const app = createApp({ ...h.deps, config: { ...h.deps.config, sandbox: true } });
    expect((await request(app).get('/sandbox')).status).toBe(404);
    await h.close();
  });
});

describe('sandbox as a plug-in', () => {
  it('loading the production entry point loads neither the sandbox module, the emulator nor twig', () => {
    const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
    const { SERVER_DIST } = require('../support/server-process') as typeof import('../support/server-process');
    // Paths relative to the repository: a checkout that itself lives under a directory named "sandbox" must not match.
    const root = JSON.stringify(require('node:path').resolve(__dirname, '..', '..', '..'));
    const script = `require(${JSON.stringify(SERVER_DIST)}); console.log(JSON.stringify(Object.keys(require.cache).map((k) => require('node:path').relative(${root}, k)).filter((k) => /amojo-emulator|[\\\\/]twig[\\\\/]|[\\\\/]sandbox[\\\\/]/.test(k))))`;
    const loaded = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as string[];
    expect(loaded).toEqual([]);
  });
});
