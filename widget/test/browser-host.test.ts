// The built widget.zip in real Chromium, inside the amoCRM host harness (test/host), against a
// contract-strict stub of the widget API. Runs without server/; e2e-widget.test.ts is the same
// flow against the real server and the amojo emulator.
import type { Browser, Page } from 'playwright-core';
import { buildWidget, type BuiltWidget } from './support/build-widget';
import { chromiumAvailable, CHROMIUM_PATH, launchChromium, prerequisites } from './support/chromium';
import { startHostServer, type HostConfig, type HostServer } from './support/host-server';
import { startStubWidgetApi, type StubWidgetApi } from './support/stub-widget-api';

jest.setTimeout(120000);

const LOGIN = 'alice@provider';
const PASSWORD = 'correct horse battery staple';
const AMOCRM = {
  channels: [
    { id: 'wa-1', name: 'WhatsApp +1 555 0100' },
    { id: 'tg-bot', name: 'Telegram bot' },
  ],
  pipelines: [
    { id: 10, name: 'Sales', is_main: true },
    { id: 7781, name: 'Support', is_main: false },
  ],
};
const gate = prerequisites('widget browser test', chromiumAvailable() ? [] : [`no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium)`]);

if (gate.failure) {
  test('prerequisites', () => {
    throw new Error(gate.failure);
  });
}

(gate.run ? describe : describe.skip)('built widget in a browser host (stub API)', () => {
  const files = new Map<string, Buffer>();
  let hostServer: HostServer;
  let api: StubWidgetApi;
  let built: BuiltWidget;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  let config: HostConfig;

  const statusText = () => page.locator('.amochan-settings__status').innerText();
  const errorText = () => page.locator('.amochan-settings__error').innerText();
  const events = () => page.evaluate(() => (window as any).amoHost.events as Array<Record<string, any>>);

  async function openHost(lang: 'en' | 'ru') {
    hostServer.configure({ ...config, lang });
    await page.goto(hostServer.origin + '/');
    await page.waitForFunction(() => (window as any).amoHost?.ready || (window as any).amoHost?.error);
    expect(await page.evaluate(() => (window as any).amoHost.error)).toBeNull();
    await page.locator('.amochan-settings:not([data-state="loading"])').waitFor();
  }

  async function connectWith(login: string, password: string) {
    await page.fill('.amochan-settings__login-input', login);
    await page.fill('.amochan-settings__password', password);
    await page.click('.amochan-settings__connect');
    await page.locator('.amochan-settings__connect:not([disabled]), .amochan-settings__disconnect').first().waitFor();
  }

  beforeAll(async () => {
    hostServer = await startHostServer(files);
    config = {
      lang: 'en',
      subdomain: 'acme',
      accountId: 31337,
      userId: 42,
      amojoId: 'e0b6f4d6-1f0a-4c55-9a4e-0c3b1f8a9d21',
      clientSecret: 'test-client-secret-0123456789abcdef',
      clientUuid: '0c6d4b8e-7d0b-4a53-9a1e-3a2f4b5c6d7e',
    };
    api = await startStubWidgetApi({ clientSecret: config.clientSecret, origin: hostServer.origin, accounts: { [LOGIN]: PASSWORD }, amocrm: AMOCRM });
    built = await buildWidget(api.url);
    for (const [name, content] of built.files) files.set(name, content);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 900, height: 720 } });
    page.on('pageerror', (error) => pageErrors.push(String(error)));
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await hostServer?.close();
    built?.cleanup();
  });

  it('builds, validates, and loads through RequireJS with the callbacks returning true', async () => {
    expect(built.log).toMatch(/gzipped/);
    expect(built.log).toMatch(/validate: ok/);
    await openHost('en');
    expect(await events()).toContainEqual({ type: 'started', ok: true });
    expect(await statusText()).toBe('Not connected');
    expect(api.requests[0]).toMatchObject({ method: 'GET', path: '/widget/v1/status' });
  });

  it('shows the invalid-credentials error for a wrong password', async () => {
    await connectWith(LOGIN, 'wrong password');
    expect(await errorText()).toBe('Wrong login or password. Check them and try again.');
    expect(await page.inputValue('.amochan-settings__password')).toBe('');
  });

  it('connects and shows "Connected as <login>"', async () => {
    await connectWith(LOGIN, PASSWORD);
    expect(await statusText()).toBe(`Connected as ${LOGIN}`);
    const connect = api.requests.filter((r) => r.path === '/widget/v1/connect').at(-1)!;
    expect(connect.contentType).toMatch(/^application\/json/);
    expect(connect.body).toEqual({ login: LOGIN, password: PASSWORD, amojo_id: config.amojoId });
    expect(api.connections.get(config.amojoId)).toBe(LOGIN);
  });

  it('signed every call with a fresh X-Auth-Token for this origin', () => {
    expect(api.tokenProblems).toEqual([]);
    const claims = api.requests.map((r) => r.claims!);
    expect(claims.length).toBeGreaterThanOrEqual(3);
    expect(new Set(claims.map((c) => c.jti)).size).toBe(claims.length);
    expect(claims[0]).toMatchObject({ aud: hostServer.origin, iss: 'https://acme.amocrm.ru', account_id: 31337, user_id: 42 });
  });

  it('keeps the state on reopen, and Save resolves without reconnecting', async () => {
    await openHost('en');
    expect(await statusText()).toBe(`Connected as ${LOGIN}`);
    const connects = api.requests.filter((r) => r.path === '/widget/v1/connect').length;
    await page.click('#host-save');
    await page.waitForFunction(() => (window as any).amoHost.events.some((e: any) => e.type === 'save'));
    expect((await events()).find((e) => e.type === 'save')).toMatchObject({ ok: true, result: true });
    expect(api.requests.filter((r) => r.path === '/widget/v1/connect')).toHaveLength(connects);
  });

  it('never puts the password in settings, saved fields or browser storage', async () => {
    const stored = await page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie }));
    expect(stored).not.toContain(PASSWORD);
    expect(JSON.stringify(await events())).not.toContain(PASSWORD);
    expect(await page.content()).not.toContain(PASSWORD);
  });

  it('adds the channel as a lead source of a pipeline', async () => {
    await page.evaluate(() => (window as any).amoHost.addAsSource(7781));
    expect(api.requests.at(-1)).toMatchObject({ method: 'POST', path: '/widget/v1/source', body: { amojo_id: config.amojoId, pipeline_id: 7781 } });
    expect((await events()).filter((e) => e.type === 'notification').at(-1)).toMatchObject({ text: 'The chat channel now creates leads in this pipeline.' });
  });

  it('lists the channels with their pipelines and moves one channel from its picker', async () => {
    await openHost('en');
    const pickers = page.locator('select.amochan-settings__pipeline');
    const values = () => pickers.evaluateAll((selects) => selects.map((s) => (s as HTMLSelectElement).value));
    expect(await page.locator('.amochan-settings__channel-name').allInnerTexts()).toEqual(['WhatsApp +1 555 0100', 'Telegram bot']);
    expect(await values()).toEqual(['7781', '7781']);
    const moved = page.waitForResponse((res) => res.url().endsWith('/widget/v1/source'));
    await pickers.nth(1).selectOption('10');
    await moved;
    await page.locator('select.amochan-settings__pipeline:not([disabled])').first().waitFor();
    expect(api.requests.at(-1)).toMatchObject({
      method: 'POST',
      path: '/widget/v1/source',
      body: { amojo_id: config.amojoId, pipeline_id: 10, channel: 'tg-bot' },
    });
    expect(await values()).toEqual(['7781', '10']);
    await openHost('en');
    expect(await values()).toEqual(['7781', '10']);
  });

  it('disconnects with the password and returns to the login form', async () => {
    await page.fill('.amochan-settings__password', PASSWORD);
    await page.click('.amochan-settings__disconnect');
    await page.locator('.amochan-settings__connect').waitFor();
    expect(await statusText()).toBe('Not connected');
    expect(api.connections.has(config.amojoId)).toBe(false);
  });

  it('disabling the widget without a password releases the binding on the strength of the token', async () => {
    await connectWith(LOGIN, PASSWORD);
    expect(api.connections.has(config.amojoId)).toBe(true);
    await page.evaluate(() => (window as any).amoHost.save('N'));
    expect(api.requests.at(-1)).toMatchObject({
      method: 'POST',
      path: '/widget/v1/disconnect',
      body: { amojo_id: config.amojoId },
      claims: { account_id: config.accountId },
    });
    expect(api.requests.at(-1)!.body).toEqual({ amojo_id: config.amojoId });
    expect(api.connections.has(config.amojoId)).toBe(false);
    expect(await statusText()).toBe('Not connected');
  });

  it('explains an amoCRM failure in Russian for a Russian user', async () => {
    await openHost('ru');
    api.failNext('POST /widget/v1/connect', 502, 'amojo_error');
    await connectWith(LOGIN, PASSWORD);
    expect(await errorText()).toMatch(/^amoCRM не принял канал чатов/);
    expect(await statusText()).toBe('Не подключено');
  });

  it('destroy() takes the widget markup and listeners away', async () => {
    await page.evaluate(() => (window as any).amoHost.destroy());
    expect(await page.locator('.amochan-settings-root').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
