import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { startEmulator, type RunningEmulator } from '@amochan/amojo-emulator';
import { AUDIENCE, CLIENT_SECRET, CLIENT_UUID, makeToken, newAmojoId } from '../support/widget-harness';
import { call } from '../support/http-client';
import { startProviderServer, type ProviderServer } from '../support/provider-server';
import { assertBuilt, makeTempDir, runCliProcess, SERVER_DIST, serverEnv, startServerProcess, type ServerProcess } from '../support/server-process';
import { SANDBOX_AMOJO_ID } from '../../src/sandbox/types';

/**
 * The "done when" walk-through, end to end: the built CLI adds an account, the built server runs
 * against the emulator on loopback, and a plain HTTP client connects exactly as the widget will.
 */
jest.setTimeout(60_000);

let dir: string;
let emulator: RunningEmulator;
let env: Record<string, string>;
/** The provider's webhook endpoint: every event the server delivers. */
let provider: ProviderServer;
const PROVIDER_SECRET = 'e2e-provider-webhook-secret';

function verifyEventSignature(header: string | undefined, body: string): boolean {
  const parts = Object.fromEntries((header ?? '').split(',').map((kv) => kv.split('=') as [string, string]));
  if (!parts.t || !parts.v1) return false;
  return createHmac('sha256', PROVIDER_SECRET).update(`${parts.t}.${body}`).digest('hex') === parts.v1;
}

/** The events received, each with its signature checked independently of the server's own code. */
const events = () =>
  provider.received.map((e) => ({
    type: e.body.type,
    account: e.body.account,
    data: e.body.data,
    signatureOk: verifyEventSignature(e.headers['x-amochan-signature'] as string | undefined, e.raw),
  }));

async function waitForEvents(count: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (events().length < count && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  expect(events().length).toBeGreaterThanOrEqual(count);
}

beforeAll(async () => {
  assertBuilt();
  dir = makeTempDir('e2e-connect');
  emulator = await startEmulator();
  provider = await startProviderServer(PROVIDER_SECRET);
  env = serverEnv({ dir, emulator, apiToken: 'e2e-provider-token', providerUrl: provider.url, providerSecret: PROVIDER_SECRET });
  const added = await runCliProcess(['accounts', 'add', 'alice'], env, 'alice-pass\n');
  expect(added).toMatchObject({ code: 0, stdout: 'account alice added\n' });
  await runCliProcess(['accounts', 'add', 'bob'], env, 'bob-pass\n');
});

afterAll(async () => {
  await emulator?.close();
  await provider?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('connect flow against the real server process', () => {
  let server: ServerProcess;
  const amojoId = newAmojoId();
  beforeAll(async () => {
    server = await startServerProcess(env);
  });
  afterAll(async () => {
    if (!server) return;
    expect(await server.stop()).toBe(0);
    // Secrets never reach the log, whatever happened above.
    for (const secret of [emulator.secret, PROVIDER_SECRET, 'alice-pass', 'bob-pass', 'wrong-pass', 'e2e-provider-token'])
      expect(server.stdout()).not.toContain(secret);
  });

  it('health and readiness', async () => {
    expect((await call(`${server.url}/healthz`, 'GET')).status).toBe(200);
    expect((await call(`${server.url}/readyz`, 'GET')).body).toEqual({ status: 'ready' });
  });

  it('connects, and the binding shows in `accounts list`', async () => {
    const res = await call(`${server.url}/widget/v1/connect`, 'POST', { login: 'alice', password: 'alice-pass', amojo_id: amojoId });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'connected', scope_id: `${emulator.channelId}_${amojoId}` });
    expect(emulator.control.listConnections().find((s) => s.accountId === amojoId)?.connected).toBe(true);

    const status = await call(`${server.url}/widget/v1/status?amojo_id=${amojoId}`, 'GET');
    expect(status.body).toMatchObject({ status: 'connected', login: 'alice', scope_id: res.body!.scope_id });

    const list = await runCliProcess(['accounts', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^alice\\s+connected amojo_id=${amojoId}`, 'm'));
    expect(list.stdout).toMatch(/^bob\s+never connected$/m);
  });

  it('re-connect is idempotent', async () => {
    const before = await call(`${server.url}/widget/v1/status?amojo_id=${amojoId}`, 'GET');
    const again = await call(`${server.url}/widget/v1/connect`, 'POST', { login: 'alice', password: 'alice-pass', amojo_id: amojoId });
    expect(again.status).toBe(200);
    const after = await call(`${server.url}/widget/v1/status?amojo_id=${amojoId}`, 'GET');
    expect(after.body).toEqual(before.body);
  });

  it('wrong password: 401 invalid_credentials', async () => {
    const res = await call(`${server.url}/widget/v1/connect`, 'POST', { login: 'alice', password: 'wrong-pass', amojo_id: newAmojoId() });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: { code: 'invalid_credentials', message: expect.any(String) } });
  });

  it('amojo down: 502 amojo_error, nothing stored; works again once amojo is back', async () => {
    const other = newAmojoId();
    emulator.control.failNext(10, 503);
    const res = await call(`${server.url}/widget/v1/connect`, 'POST', { login: 'bob', password: 'bob-pass', amojo_id: other });
    emulator.control.clearFaults();
    expect(res.status).toBe(502);
    expect(res.body!.error).toMatchObject({ code: 'amojo_error', amojo_status: 503 });
    expect((await call(`${server.url}/widget/v1/status?amojo_id=${other}`, 'GET')).body).toEqual({ status: 'disconnected', installation: null });
    expect((await runCliProcess(['accounts', 'list'], env)).stdout).toMatch(/^bob\s+never connected$/m);
    expect((await call(`${server.url}/widget/v1/connect`, 'POST', { login: 'bob', password: 'bob-pass', amojo_id: other })).status).toBe(200);
  });

  it('disconnects, and `accounts list` shows it', async () => {
    const res = await call(`${server.url}/widget/v1/disconnect`, 'POST', { login: 'alice', password: 'alice-pass', amojo_id: amojoId });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'disconnected' });
    expect(emulator.control.listConnections().find((s) => s.accountId === amojoId)?.connected).toBe(false);
    expect((await call(`${server.url}/widget/v1/status?amojo_id=${amojoId}`, 'GET')).body).toEqual({ status: 'disconnected', installation: null });
    expect((await runCliProcess(['accounts', 'list'], env)).stdout).toMatch(new RegExp(`^alice\\s+disconnected amojo_id=${amojoId}`, 'm'));
  });

  it('the provider received account.connected / account.disconnected, signed, in order', async () => {
    await waitForEvents(3);
    const alice = events().filter((e) => e.account === 'alice');
    expect(alice.map((e) => e.type)).toEqual(['account.connected', 'account.disconnected']);
    expect(alice[0]!.data).toMatchObject({ amojo_id: amojoId, scope_id: `${emulator.channelId}_${amojoId}` });
    expect(alice[1]!.data).toMatchObject({ amojo_id: amojoId, reason: 'widget' });
    expect(
      events()
        .filter((e) => e.account === 'bob')
        .map((e) => e.type),
    ).toEqual(['account.connected']);
    expect(events().every((e) => e.signatureOk)).toBe(true);
  });

  it('CORS preflight from an amoCRM account page', async () => {
    const res = await fetch(`${server.url}/widget/v1/connect`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://acme.amocrm.ru', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-auth-token' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://acme.amocrm.ru');
  });
});

describe('widget tokens against the real server process', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServerProcess({ ...env, AMOCRM_CLIENT_SECRET: CLIENT_SECRET, AMOCRM_TOKEN_AUDIENCE: AUDIENCE, AMOCRM_CLIENT_ID: CLIENT_UUID });
  });
  afterAll(async () => {
    if (!server) return;
    expect(await server.stop()).toBe(0);
    expect(server.stdout()).not.toContain(CLIENT_SECRET);
  });

  const connect = async (token: string, amojoId: string, login = 'alice') =>
    call(`${server.url}/widget/v1/connect`, 'POST', { login, password: `${login}-pass`, amojo_id: amojoId }, { 'X-Auth-Token': token });

  it('valid token: connected', async () => {
    expect((await connect(await makeToken({ accountId: 1 }), newAmojoId())).status).toBe(200);
  });

  it.each([
    ['expired', () => makeToken({ nowMs: Date.now() - 3 * 3600_000 })],
    ['wrong audience', () => makeToken({ claims: { aud: 'https://someone-else.example' } })],
    ['wrong signature', () => makeToken({ secret: 'a-different-client-secret-0000000000' })],
  ])('%s: 403 invalid_token', async (_name, make) => {
    const res = await connect(await make(), newAmojoId());
    expect(res.status).toBe(403);
    expect(res.body!.error.code).toBe('invalid_token');
  });

  it('reused jti: 403', async () => {
    const token = await makeToken();
    expect((await connect(token, newAmojoId())).status).toBe(200);
    expect((await connect(token, newAmojoId())).status).toBe(403);
  });

  it("another amoCRM account's token: cannot take over or disconnect", async () => {
    const amojoId = newAmojoId();
    expect((await connect(await makeToken({ accountId: 10 }), amojoId, 'bob')).status).toBe(200);
    expect((await connect(await makeToken({ accountId: 20 }), amojoId, 'alice')).status).toBe(403);
    const drop = await call(
      `${server.url}/widget/v1/disconnect`,
      'POST',
      { login: 'bob', password: 'bob-pass', amojo_id: amojoId },
      { 'X-Auth-Token': await makeToken({ accountId: 20 }) },
    );
    // Answered as for an unbound account: a foreign binding is not confirmed to exist.
    expect(drop.status).toBe(404);
    const status = await call(`${server.url}/widget/v1/status?amojo_id=${amojoId}`, 'GET', undefined, { 'X-Auth-Token': await makeToken({ accountId: 10 }) });
    expect(status.body).toMatchObject({ status: 'connected', login: 'bob' });
  });
});

describe('process behaviour', () => {
  it('invalid configuration: exit 1 listing every problem', async () => {
    const res = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [SERVER_DIST], {
        env: { PATH: process.env.PATH, PORT: 'abc', LOG_LEVEL: 'loud', CREDENTIALS_VERIFIER: 'ldap' },
      });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('exit', (code) => resolve({ code, stderr }));
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/PORT/);
    expect(res.stderr).toMatch(/LOG_LEVEL/);
    expect(res.stderr).toMatch(/CREDENTIALS_VERIFIER/);
  });

  it('sandbox mode: embedded emulator, loud log, install then demo/demo connects, SIGTERM exits 0', async () => {
    const server = await startServerProcess({ DATABASE_URL: `sqlite:${path.join(dir, 'sandbox.sqlite')}` });
    try {
      const warn = server.logs.find((l) => l.sandbox === true && l.level === 'warn');
      expect(String(warn?.msg)).toMatch(/SANDBOX MODE/);
      // OAuth is on against the embedded emulator: the console's install step comes first, and the
      // widget's calls carry the token the sandbox host page would get.
      expect((await call(`${server.url}/sandbox/api/amocrm/install`, 'POST')).status).toBe(200);
      const token = String((await call(`${server.url}/sandbox/api/widget-token`, 'GET')).body?.token);
      const res = await call(
        `${server.url}/widget/v1/connect`,
        'POST',
        { login: 'demo', password: 'demo', amojo_id: SANDBOX_AMOJO_ID },
        { 'X-Auth-Token': token },
      );
      expect(res.status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(server.logs.some((l) => l.msg === 'stopped')).toBe(true);
  });
});
