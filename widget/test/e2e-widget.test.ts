// End to end: the built widget.zip in real Chromium (amoCRM host harness) → the real server
// (server/dist/main.js) → the amojo emulator. Needs `pnpm -r build` first; without the built
// server it skips loudly on a developer machine and fails in CI. Its screenshot goes to a temp
// directory unless AMOCHAN_SCREENSHOT_DIR says otherwise (`npm run screenshots`): tests never
// rewrite tracked files.
import { randomUUID } from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import type { Browser, Page } from 'playwright-core';
import { buildWidget, type BuiltWidget } from './support/build-widget';
import { chromiumAvailable, CHROMIUM_PATH, launchChromium, prerequisites } from './support/chromium';
import { startHostServer, type HostConfig, type HostServer } from './support/host-server';
import { freePort, runNode, startNode, waitForHttp, type RunningProcess } from './support/processes';

jest.setTimeout(180000);

const REPO = path.join(__dirname, '..', '..');
const SERVER_MAIN = path.join(REPO, 'server', 'dist', 'main.js');
const SERVER_CLI = path.join(REPO, 'server', 'dist', 'cli.js');
const EMULATOR_SRC = path.join(REPO, 'packages', 'amojo-emulator', 'src', 'index.ts');

const LOGIN = 'e2e-provider-login';
const PASSWORD = 'e2e pass phrase 7781';

// The emulator's public surface this test uses (typed here so the file compiles before it exists).
interface EmulatorScope {
  scopeId: string;
  accountId: string;
  connected: boolean;
  connectCount: number;
}
interface RunningEmulator {
  url: string;
  channelId: string;
  secret: string;
  control: { listConnections(): EmulatorScope[] };
  close(): Promise<void>;
}

const missing = [
  ...(fs.existsSync(SERVER_MAIN) ? [] : [`${path.relative(REPO, SERVER_MAIN)} is not built (run \`pnpm -r build\`)`]),
  ...(fs.existsSync(SERVER_CLI) ? [] : [`${path.relative(REPO, SERVER_CLI)} is not built`]),
  ...(fs.existsSync(EMULATOR_SRC) ? [] : ['@amochan/amojo-emulator is missing']),
  ...(chromiumAvailable() ? [] : [`no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium)`]),
];
const gate = prerequisites('widget end-to-end test', missing);

if (gate.failure) {
  test('prerequisites', () => {
    throw new Error(gate.failure);
  });
}

(gate.run ? describe : describe.skip)('widget ⇄ real server ⇄ amojo emulator, in Chromium', () => {
  const files = new Map<string, Buffer>();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'amochan-widget-e2e-'));
  const SCREENSHOT = path.join(process.env.AMOCHAN_SCREENSHOT_DIR || dataDir, 'widget-connected.png');
  const config: HostConfig = {
    lang: 'en',
    subdomain: 'e2etest',
    accountId: 29001,
    userId: 501,
    amojoId: randomUUID(),
    clientSecret: `client-secret-${randomUUID()}`,
    clientUuid: randomUUID(),
  };
  let hostServer: HostServer;
  let emulator: RunningEmulator;
  let server: RunningProcess | undefined;
  let built: BuiltWidget;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  const statusText = () => page.locator('.amochan-settings__status').innerText();
  const errorText = () => page.locator('.amochan-settings__error').innerText();
  const scopes = () => emulator.control.listConnections().filter((scope) => scope.accountId === config.amojoId);
  const idle = () => page.locator('.amochan-settings__connect:not([disabled]), .amochan-settings__disconnect:not([disabled])').first().waitFor();

  beforeAll(async () => {
    hostServer = await startHostServer(files);
    hostServer.configure(config);
    const serverUrl = `http://127.0.0.1:${await freePort()}`;
    built = await buildWidget(serverUrl);
    for (const [name, content] of built.files) files.set(name, content);

    const { startEmulator } = require('@amochan/amojo-emulator') as { startEmulator(o: object): Promise<RunningEmulator> };
    emulator = await startEmulator({ webhookUrl: `${serverUrl}/amojo/v1/webhook/:scope_id` });

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: new URL(serverUrl).port,
      DATABASE_URL: `sqlite:${path.join(dataDir, 'db.sqlite')}`,
      AMOJO_BASE_URL: emulator.url,
      AMOJO_CHANNEL_ID: emulator.channelId,
      AMOJO_CHANNEL_SECRET: emulator.secret,
      PROVIDER_API_TOKEN: 'x',
      // This test drives the widget against the token check only, without OAuth install.
      ALLOW_UNVERIFIED_BINDINGS: 'true',
      AMOCRM_CLIENT_SECRET: config.clientSecret,
      AMOCRM_TOKEN_AUDIENCE: hostServer.origin,
      ALLOWED_ORIGINS: hostServer.origin,
    };
    await runNode([SERVER_CLI, 'migrate'], env);
    await runNode([SERVER_CLI, 'accounts', 'add', LOGIN], env, `${PASSWORD}\n`);
    server = startNode([SERVER_MAIN], env);
    await waitForHttp(`${serverUrl}/healthz`, server);

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 900, height: 560 } });
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    await page.goto(hostServer.origin + '/');
    await page.waitForFunction(() => (window as any).amoHost?.ready || (window as any).amoHost?.error);
    expect(await page.evaluate(() => (window as any).amoHost.error)).toBeNull();
    await page.locator('.amochan-settings:not([data-state="loading"])').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await emulator?.close();
    await hostServer?.close();
    built?.cleanup();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  // A failing step prints the server's log: the first thing to read when the flow breaks.
  const step = (name: string, fn: () => Promise<void>) =>
    it(name, async () => {
      try {
        await fn();
      } catch (error) {
        console.error(`server output:\n${server?.output()}`);
        throw error;
      }
    });

  step('starts disconnected', async () => {
    expect(await statusText()).toBe('Not connected');
    expect(scopes().filter((scope) => scope.connected)).toEqual([]);
  });

  step('shows the invalid-credentials error for a wrong password', async () => {
    await page.fill('.amochan-settings__login-input', LOGIN);
    await page.fill('.amochan-settings__password', 'not the password');
    await page.click('.amochan-settings__connect');
    await idle();
    expect(await errorText()).toBe('Wrong login or password. Check them and try again.');
    expect(await statusText()).toBe('Not connected');
  });

  step('connects: "Connected as <login>" and the channel is connected in amojo', async () => {
    await page.fill('.amochan-settings__login-input', LOGIN);
    await page.fill('.amochan-settings__password', PASSWORD);
    const reply = page.waitForResponse((res) => res.url().endsWith('/widget/v1/connect') && res.request().method() === 'POST');
    await page.click('.amochan-settings__connect');
    const body = await (await reply).json();
    await idle();
    expect(await errorText()).toBe('');
    expect(await statusText()).toBe(`Connected as ${LOGIN}`);
    expect(body).toMatchObject({ status: 'connected', scope_id: expect.any(String) });
    expect(scopes()).toEqual([expect.objectContaining({ scopeId: body.scope_id, connected: true })]);
    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
  });

  step('still shows the connection after the settings are reopened (GET /status)', async () => {
    await page.reload();
    await page.waitForFunction(() => (window as any).amoHost?.ready);
    await page.locator('.amochan-settings:not([data-state="loading"])').waitFor();
    expect(await statusText()).toBe(`Connected as ${LOGIN}`);
  });

  step('Save (onSave active Y) resolves without reconnecting', async () => {
    await page.click('#host-save');
    await page.waitForFunction(() => (window as any).amoHost.events.some((e: any) => e.type === 'save'));
    expect((await page.evaluate(() => (window as any).amoHost.events)).find((e: any) => e.type === 'save')).toMatchObject({ ok: true });
    expect(scopes()).toEqual([expect.objectContaining({ connected: true, connectCount: 1 })]);
  });

  step('adds the channel as a lead source (onAddAsSource)', async () => {
    const result = await page.evaluate(() =>
      (window as any).amoHost.addAsSource(5150).then(
        () => 'ok',
        (e: any) => `failed: ${e && e.code}`,
      ),
    );
    expect(result).toBe('ok');
  });

  step('disconnects', async () => {
    await page.fill('.amochan-settings__password', PASSWORD);
    await page.click('.amochan-settings__disconnect');
    await page.locator('.amochan-settings__connect').waitFor();
    expect(await errorText()).toBe('');
    expect(await statusText()).toBe('Not connected');
    expect(scopes().filter((scope) => scope.connected)).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
