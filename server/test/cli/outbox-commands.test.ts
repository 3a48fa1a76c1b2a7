import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { runCli } from '../../src/cli';
import { openStore } from '../../src/storage/open-store';
import type { NewOutboxEntry, Store, StoredMessage } from '../../src/storage/types';

describe('outbox CLI (in process, SQLite file)', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let store: Store;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'amochan-cli-outbox-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    env = { DATABASE_URL: `sqlite:${path.join(dir, `${expect.getState().currentTestName!.replace(/\W+/g, '-')}.sqlite`)}` };
    store = await openStore(env.DATABASE_URL!);
  });
  afterEach(() => store.close());

  async function cli(argv: string[]) {
    let stdout = '';
    let stderr = '';
    const code = await runCli(
      argv,
      { stdin: Readable.from(['']), stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } },
      env,
    );
    return { code, stdout, stderr };
  }

  const now = Date.now();
  const entry = (id: string, key: string, messageId: string | null = null): NewOutboxEntry => ({
    id,
    destination: 'provider',
    kind: 'event',
    orderingKey: key,
    payload: { type: 'typing' },
    messageId,
  });
  const message = (id: string): StoredMessage => ({
    id,
    direction: 'outbound',
    login: 'alice',
    scopeId: 's',
    conversationId: 'c',
    amojoChatId: 'chat',
    msgid: null,
    amojoMsgId: `am-${id}`,
    senderRefId: `mgr-${id}`,
    status: 'queued',
    lastError: null,
    payload: {},
    createdAt: now,
    updatedAt: now,
  });

  async function killOne(id: string, key: string, messageId: string | null = null) {
    if (messageId) {
      await store.acceptWebhook({
        receipt: { key: `msg:${id}`, scopeId: 's', kind: 'message', raw: '{}', receivedAt: now },
        message: message(messageId),
        outbox: [entry(id, key, messageId)],
        now,
      });
    } else {
      await store.outbox.enqueue([entry(id, key)], now);
    }
    const [claimed] = await store.outbox.claim({ now: now + 1, limit: 1, leaseMs: 1000 });
    expect(claimed!.id).toBe(id);
    await store.outbox.kill(
      id,
      'the provider answered 503',
      now + 2,
      messageId ? { message: { id: messageId, patch: { status: 'dead', lastError: 'the provider answered 503' } } } : undefined,
    );
  }

  it('lists nothing on an empty outbox', async () => {
    expect(await cli(['outbox', 'list'])).toEqual({ code: 0, stdout: 'nothing waiting for delivery\n', stderr: 'outbox is empty\n' });
    expect((await cli(['outbox', 'list', '--dead'])).stdout).toBe('no dead entries\n');
  });

  it('lists pending entries as a table and as JSON', async () => {
    await store.outbox.enqueue([entry('obx_a', 'k1'), entry('obx_b', 'k2')], now);
    const table = await cli(['outbox', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+STATE\s+DEST\s+KIND\s+TRIES/);
    expect(table.stdout).toContain('obx_a');
    expect(table.stderr).toBe('provider/pending: 2\n');
    const json = await cli(['outbox', 'list', '--json', '--limit', '1']);
    const rows = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows).toEqual([expect.objectContaining({ id: 'obx_a', state: 'pending', destination: 'provider', kind: 'event', ordering_key: 'k1', attempts: 0 })]);
  });

  it('retries one dead entry and puts its message back to queued', async () => {
    await killOne('obx_d1', 'kd1', 'msg_d1');
    const listed = await cli(['outbox', 'list', '--dead']);
    expect(listed.stdout).toContain('obx_d1');
    expect(listed.stdout).toContain('the provider answered 503');
    expect(await cli(['outbox', 'retry', 'obx_d1'])).toMatchObject({ code: 0, stdout: 'entry obx_d1 queued for retry\n' });
    expect(await store.outbox.get('obx_d1')).toMatchObject({ state: 'pending', attempts: 0 });
    expect(await store.messages.get('msg_d1')).toMatchObject({ status: 'queued', lastError: null });
  });

  it('retries every dead entry with --dead', async () => {
    await killOne('obx_e1', 'ke1');
    await killOne('obx_e2', 'ke2', 'msg_e2');
    expect(await cli(['outbox', 'retry', '--dead'])).toMatchObject({ code: 0, stdout: '2 dead entries queued for retry\n' });
    expect((await store.outbox.list({ state: 'dead' })).length).toBe(0);
    expect((await cli(['outbox', 'retry', '--dead'])).stdout).toBe('no dead entries\n');
  });

  it('refuses unknown and non-dead entries (exit 1) and bad usage (exit 2)', async () => {
    await store.outbox.enqueue([entry('obx_p', 'kp')], now);
    expect(await cli(['outbox', 'retry', 'obx_nope'])).toMatchObject({ code: 1, stderr: expect.stringContaining('no outbox entry "obx_nope"') });
    expect(await cli(['outbox', 'retry', 'obx_p'])).toMatchObject({ code: 1, stderr: expect.stringContaining('is pending, not dead') });
    expect((await cli(['outbox', 'retry'])).code).toBe(2);
    expect((await cli(['outbox', 'retry', 'a', '--dead'])).code).toBe(2);
    expect((await cli(['outbox', 'list', '--bogus'])).code).toBe(2);
    expect((await cli(['outbox', 'list', '--limit', '0'])).code).toBe(2);
  });
});
