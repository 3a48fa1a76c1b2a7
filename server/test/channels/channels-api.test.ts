import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { runCli } from '../../src/cli';
import { createSilentLogger } from '../../src/lib/logger';
import { createHttpVerifier } from '../../src/services/credentials/http-verifier';
import { openStore } from '../../src/storage/open-store';
import { auth } from '../support/app-factory';
import { startAmocrmStack, type AmocrmStack } from '../support/amocrm-stack';
import { call } from '../support/http-client';
import { waitFor } from '../support/wait';
import { connection } from '../support/fixtures';

// Several amoCRM and amojo round trips per test, on a machine shared with other suites.
jest.setTimeout(30_000);

describe('PUT/GET /api/v1/accounts/:login/channels', () => {
  let s: AmocrmStack;
  beforeAll(async () => {
    s = await startAmocrmStack();
  });
  afterAll(() => s.close());
  const put = (login: string, body: unknown, headers = auth) => call(`${s.served.url}/api/v1/accounts/${login}/channels`, 'PUT', body, headers);

  it('stores the full list in order, idempotently, and lists it with no sources before a connect', async () => {
    const body = {
      channels: [
        { id: '+15550100', name: 'WhatsApp' },
        { id: 'bot_1', name: ' Bot ' },
      ],
    };
    const first = await put('shop', body);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      channels: [
        { id: '+15550100', name: 'WhatsApp', sources: [] },
        { id: 'bot_1', name: 'Bot', sources: [] },
      ],
    });
    expect((await put('shop', body)).body).toEqual(first.body);
    expect((await call(`${s.served.url}/api/v1/accounts/shop/channels`, 'GET', undefined, auth)).body).toEqual(first.body);
    // Not connected: nothing to sync, nothing queued.
    expect((await s.store.outbox.list({})).filter((e) => e.kind === 'amocrm_sources')).toEqual([]);
    // An empty list returns the login to its one implicit channel.
    expect((await put('shop', { channels: [] })).body).toEqual({ channels: [{ id: null, name: 'shop', sources: [] }] });
  });

  it.each([
    [
      'duplicate ids',
      {
        channels: [
          { id: 'a', name: 'A' },
          { id: 'a', name: 'B' },
        ],
      },
      /duplicate channel id "a"/,
    ],
    ['an id with a space', { channels: [{ id: 'a b', name: 'A' }] }, /channels\.0\.id/],
    ['an id of 65 characters', { channels: [{ id: 'x'.repeat(65), name: 'A' }] }, /channels\.0\.id/],
    ['an empty name', { channels: [{ id: 'a', name: '  ' }] }, /channels\.0\.name/],
    ['a name of 256 characters', { channels: [{ id: 'a', name: 'n'.repeat(256) }] }, /channels\.0\.name/],
    ['51 channels', { channels: Array.from({ length: 51 }, (_, i) => ({ id: `c${i}`, name: `C${i}` })) }, /at most 50 channels/],
    ['no list', {}, /channels/],
  ])('refuses %s with 400 invalid_request naming the field', async (_what, body, message) => {
    const res = await put('shop', body);
    expect(res.status).toBe(400);
    expect(res.body!.error.code).toBe('invalid_request');
    expect(res.body!.error.message).toMatch(message);
  });

  it('an unknown login is 409 account_not_found (PUT and GET); no token is 401', async () => {
    const res = await put('nobody', { channels: [{ id: 'a', name: 'A' }] });
    expect([res.status, res.body!.error.code]).toEqual([409, 'account_not_found']);
    const got = await call(`${s.served.url}/api/v1/accounts/nobody/channels`, 'GET', undefined, auth);
    expect([got.status, got.body!.error.code]).toEqual([409, 'account_not_found']);
    expect((await put('shop', { channels: [] }, {} as typeof auth)).status).toBe(401);
    expect(await s.store.providerChannels.list('nobody')).toEqual([]);
  });

  it('a message naming a channel of a login without channels is 422 unknown_channel; channel with source_external_id is 400', async () => {
    await s.store.connections.save(connection({ amojoAccountId: '00000000-0000-4000-8000-000000000001', scopeId: 'scope-x' }));
    const msg = { account: 'shop', conversation_id: 'c', sender: { id: 'u', name: 'U' }, message: { type: 'text', text: 'x' } };
    const unknown = await call(`${s.served.url}/api/v1/messages`, 'POST', { ...msg, channel: 'wa' }, auth);
    expect([unknown.status, unknown.body!.error.code, unknown.body!.error.channels]).toEqual([422, 'unknown_channel', [null]]);
    const both = await call(`${s.served.url}/api/v1/messages`, 'POST', { ...msg, channel: 'wa', source_external_id: 'x' }, auth);
    expect([both.status, both.body!.error.code]).toEqual([400, 'invalid_request']);
    expect(await s.store.messages.count()).toBe(0);
  });
});

describe('CLI accounts channels', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(path.join(tmpdir(), 'amochan-cli-channels-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function cli(env: NodeJS.ProcessEnv, argv: string[]) {
    let stdout = '';
    let stderr = '';
    const code = await runCli(
      argv,
      { stdin: Readable.from(['']), stdout: { write: (x: string) => (stdout += x) }, stderr: { write: (x: string) => (stderr += x) } },
      env,
    );
    return { code, stdout, stderr };
  }

  it('replaces the list from id=name pairs (names may hold spaces and =), lists it, and refuses bad pairs with usage', async () => {
    const env = { DATABASE_URL: `sqlite:${path.join(dir, 'a.sqlite')}` };
    const set = await cli(env, ['accounts', 'channels', 'shop', 'wa=WhatsApp +1 555', 'bot=Bot = helper']);
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('channels of shop replaced');
    const listed = await cli(env, ['accounts', 'channels', 'shop', '--json']);
    expect(JSON.parse(listed.stdout)).toEqual({
      channels: [
        { id: 'wa', name: 'WhatsApp +1 555', sources: [] },
        { id: 'bot', name: 'Bot = helper', sources: [] },
      ],
    });
    expect((await cli(env, ['accounts', 'channels', 'shop'])).stdout).toBe('wa\tWhatsApp +1 555\tno sources\nbot\tBot = helper\tno sources\n');
    const store = openStore(env.DATABASE_URL);
    expect((await store.providerChannels.list('shop')).map((c) => c.channelId)).toEqual(['wa', 'bot']);
    await store.close();

    for (const bad of [['noequals'], ['=Name'], ['a=A', 'a=B'], ['a b=A']]) {
      const r = await cli(env, ['accounts', 'channels', 'shop', ...bad]);
      expect(r.code).toBe(2);
    }
    expect((await cli(env, ['accounts', 'channels'])).code).toBe(2);
  });

  it("goes through the server's services, so a configuration the server would refuse fails it (commands on the store alone still run)", async () => {
    const env = { DATABASE_URL: `sqlite:${path.join(dir, 'b.sqlite')}`, AMOJO_CHANNEL_ID: 'channel-without-secret' };
    const refused = await cli(env, ['accounts', 'channels', 'shop', 'wa=WhatsApp']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/AMOJO_CHANNEL_SECRET: required when AMOJO_CHANNEL_ID is set/);
    expect((await cli(env, ['accounts', 'list'])).code).toBe(0);
    const store = openStore(env.DATABASE_URL);
    expect(await store.providerChannels.list('shop')).toEqual([]);
    await store.close();
  });
});

describe('http credential verifier with channels', () => {
  let server: Server;
  let body = '';
  let url = '';
  beforeAll(async () => {
    server = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(body));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const verifier = () => createHttpVerifier({ url, logger: createSilentLogger() });

  it('passes on a valid channel list from a 2xx body, and ignores an invalid or absent one without refusing the login', async () => {
    body = JSON.stringify({ channels: [{ id: 'wa', name: 'WhatsApp' }] });
    expect(await verifier().check!('shop', 'pw')).toEqual({ valid: true, channels: [{ id: 'wa', name: 'WhatsApp' }] });
    body = JSON.stringify({
      channels: [
        { id: 'a', name: 'A' },
        { id: 'a', name: 'B' },
      ],
    });
    expect(await verifier().check!('shop', 'pw')).toEqual({ valid: true });
    body = 'ok';
    expect(await verifier().check!('shop', 'pw')).toEqual({ valid: true });
    expect(await verifier().verify('shop', 'pw')).toBe(true);
  });

  it('channels returned at connect replace the declared ones and become sources', async () => {
    body = JSON.stringify({
      channels: [
        { id: 'tg', name: 'Telegram' },
        { id: 'wa', name: 'WhatsApp' },
      ],
    });
    const s = await startAmocrmStack({ env: { CREDENTIALS_VERIFIER: 'http', PROVIDER_AUTH_URL: url } });
    try {
      const res = await call(
        `${s.served.url}/widget/v1/connect`,
        'POST',
        { login: 'shop', password: 'any', amojo_id: s.amojoId },
        { 'X-Auth-Token': s.widgetToken() },
      );
      expect(res.status).toBe(200);
      expect((await s.store.providerChannels.list('shop')).map((c) => c.channelId)).toEqual(['tg', 'wa']);
      await waitFor(() => s.emulator.amocrm.listSources(s.accountId).length === 2, 'two sources');
      expect(s.emulator.amocrm.listSources(s.accountId).map((x) => [x.name, x.default])).toEqual([
        ['Telegram', true],
        ['WhatsApp', false],
      ]);
    } finally {
      await s.close();
    }
  });
});
