import { rmSync } from 'node:fs';
import { startEmulator, type RunningEmulator } from '@amochan/amojo-emulator';
import { call } from '../support/http-client';
import { AUDIENCE, oauthEnv, REDIRECT_URI } from '../support/oauth-harness';
import { metricValue } from '../support/prometheus';
import { startProviderServer, type ProviderServer } from '../support/provider-server';
import { assertBuilt, makeTempDir, runCliProcess, serverEnv, startServerProcess, type ServerProcess } from '../support/server-process';

/**
 * The amoCRM side of a real deployment, end to end: the built server process with OAuth on, the
 * emulator playing amojo and amoCRM on loopback, the provider receiving signed events. Install →
 * connect (no amojo_id: amoCRM said it) → tokens refreshed ahead of expiry by the server itself →
 * refresh token revoked → reauthorization_required everywhere → reinstall → uninstall hook.
 */
jest.setTimeout(60_000);

let dir: string;
let emulator: RunningEmulator;
let provider: ProviderServer;
let server: ServerProcess;

const until = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> => {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};
const eventsOf = (type: string) => provider.accepted.filter((e) => e.body.type === type);

beforeAll(async () => {
  assertBuilt();
  dir = makeTempDir('e2e-amocrm');
  // Access tokens live 302 s: with the 5-minute margin they are due for refresh within seconds.
  emulator = await startEmulator({ amocrm: { redirectUri: REDIRECT_URI, accessTokenTtlSec: 302 } });
  provider = await startProviderServer('e2e-amocrm-secret');
  const env = serverEnv(
    { dir, emulator, apiToken: 'e2e-token', providerUrl: provider.url, providerSecret: 'e2e-amocrm-secret' },
    { ...oauthEnv(emulator), AMOCRM_TOKEN_CHECK_INTERVAL_MS: '200', OUTBOX_POLL_MS: '20', OUTBOX_BASE_DELAY_MS: '20' },
  );
  expect((await runCliProcess(['accounts', 'add', 'alice'], env, 'alice-pass\n')).code).toBe(0);
  server = await startServerProcess(env);
});

afterAll(async () => {
  await server?.stop();
  await emulator?.close();
  await provider?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('install → connect → refresh → reauthorization → reinstall → uninstall', async () => {
  expect(server.logs.find((l) => /OAuth install on/.test(String(l.msg)))).toBeDefined();
  expect(server.stdout()).not.toMatch(/ALLOW_UNVERIFIED_BINDINGS/);
  const account = emulator.amocrm.createAccount({ subdomain: 'e2eshop' });
  const widget = (path: string, method: 'GET' | 'POST', body?: unknown) =>
    call(`${server.url}${path}`, method, body, { 'X-Auth-Token': emulator.amocrm.mintWidgetToken({ accountId: account.id, audience: AUDIENCE }) });
  const install = async () => {
    const url = new URL(emulator.amocrm.issueAuthorizationCode({ accountId: account.id }).callbackUrl);
    return call(`${server.url}${url.pathname}${url.search}`, 'GET');
  };

  // Before the install the widget is told what to do.
  expect((await widget('/widget/v1/connect', 'POST', { login: 'alice', password: 'alice-pass' })).body!.error.code).toBe('install_required');

  const installed = await install();
  expect(installed).toMatchObject({ status: 200, body: { status: 'installed', amojo_id: account.amojoId, reinstalled: false } });
  const connected = await widget('/widget/v1/connect', 'POST', { login: 'alice', password: 'alice-pass' });
  expect(connected).toMatchObject({ status: 200, body: { status: 'connected', scope_id: `${emulator.channelId}_${account.amojoId}` } });
  expect((await widget('/widget/v1/status', 'GET')).body).toMatchObject({ status: 'connected', login: 'alice', installation: 'active' });

  // The server refreshes on its own, and the token it holds keeps working.
  await until('a token refresh', () => emulator.amocrm.tokenRefreshCount(account.id) >= 2);
  expect((await widget('/widget/v1/status', 'GET')).body!.installation).toBe('active');

  // amoCRM refuses the next refresh: status, metrics and the provider all hear of it.
  emulator.amocrm.revokeRefreshToken(account.id);
  await until('account.reauthorization_required', () => eventsOf('account.reauthorization_required').length === 1);
  const [reauth] = eventsOf('account.reauthorization_required');
  expect(reauth!.verified).toBe(true);
  expect(reauth!.body).toMatchObject({ account: 'alice', channel: null, data: { amojo_id: account.amojoId, amocrm_account_id: account.id } });
  expect((await widget('/widget/v1/status', 'GET')).body).toMatchObject({ status: 'connected', installation: 'reauthorization_required' });
  const metrics = await fetch(`${server.url}/metrics`).then((r) => r.text());
  expect(metricValue(metrics, 'amochan_amocrm_installations', { status: 'reauthorization_required' })).toBe(1);

  // The administrator installs again.
  expect((await install()).body).toMatchObject({ status: 'installed', reinstalled: true });
  expect((await widget('/widget/v1/status', 'GET')).body!.installation).toBe('active');

  // Uninstall: amoCRM's signed hook disconnects the account from amojo and tells the provider.
  const hook = await emulator.amocrm.sendDisableHook({ accountId: account.id, url: `${server.url}/amocrm/v1/disable` });
  expect(hook.status).toBe(200);
  expect(emulator.control.listConnections().find((c) => c.accountId === account.amojoId)?.connected).toBe(false);
  await until('account.disconnected', () => eventsOf('account.disconnected').length === 1);
  expect(eventsOf('account.disconnected')[0]!.body.data).toMatchObject({ amojo_id: account.amojoId, reason: 'uninstalled' });
  expect((await widget('/widget/v1/status', 'GET')).body).toEqual({ status: 'disconnected', installation: null });
});

it('a production server without OAuth refuses to start unless ALLOW_UNVERIFIED_BINDINGS=true, and then warns', async () => {
  const base = serverEnv({ dir: makeTempDir('e2e-unverified'), emulator, apiToken: 't', providerUrl: provider.url, providerSecret: 's' });
  const { ALLOW_UNVERIFIED_BINDINGS: _drop, ...strict } = base;
  await expect(startServerProcess(strict)).rejects.toThrow(/ALLOW_UNVERIFIED_BINDINGS=true/);
  const loose = await startServerProcess(base);
  try {
    const warning = loose.logs.find((l) => l.level === 'warn' && /ANY provider login can bind ANY amojo_id/.test(String(l.msg)));
    expect(warning).toBeDefined();
  } finally {
    await loose.stop();
  }
});
