// End to end, as a newcomer sees it: `node server/dist/main.js` with no channel configured (sandbox
// mode), the console at /sandbox in real Chromium. Connect the demo account through the real built
// widget, write as the customer, answer as the manager, watch the statuses go sent → delivered →
// read, start a chat with "write first", then disconnect. Screenshots go to a temp directory, never
// over the tracked docs/images/sandbox.png; `npm run screenshots` points AMOCHAN_SCREENSHOT_DIR there.
// Needs `pnpm -r build` (server and widget); without Chromium it skips loudly, in CI it fails.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Frame, Page } from 'playwright-core';
import { chromiumAvailable, CHROMIUM_PATH, launchChromium, prerequisites } from '../../../widget/test/support/chromium';
import { SERVER_DIST, type ServerProcess, startServerProcess } from '../support/server-process';

jest.setTimeout(120_000);

const REPO = path.resolve(__dirname, '..', '..', '..');
const WIDGET_SCRIPT = path.join(REPO, 'widget', 'dist', 'widget', 'script.js');

const missing = [
  ...(fs.existsSync(SERVER_DIST) ? [] : ['server/dist/main.js is not built (run `pnpm -r build`)']),
  ...(fs.existsSync(WIDGET_SCRIPT) ? [] : ['widget/dist is not built (run `pnpm --filter @amochan/widget build`)']),
  ...(chromiumAvailable() ? [] : [`no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium)`]),
];
const gate = prerequisites('sandbox console end-to-end test', missing);

if (gate.failure) {
  test('prerequisites', () => {
    throw new Error(gate.failure);
  });
}

(gate.run ? describe : describe.skip)('sandbox console in Chromium (real server process, sandbox mode)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amochan-sandbox-e2e-'));
  const SCREENSHOT = path.join(process.env.AMOCHAN_SCREENSHOT_DIR || dir, 'sandbox.png');
  let server: ServerProcess;
  let browser: Browser;
  let page: Page;
  let widget: Frame;
  const problems: string[] = [];

  const inboxManager = (text: string) => page.locator('.inbox-msg[data-from="manager"]', { hasText: text });
  const logKinds = () => page.$$eval('#event-log .log__item', (items) => items.map((i) => i.getAttribute('data-kind')));

  beforeAll(async () => {
    server = await startServerProcess({ DATABASE_URL: `sqlite:${path.join(dir, 'sandbox.sqlite')}`, LOG_LEVEL: 'info' });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1600, height: 940 } });
    page.on('pageerror', (error) => problems.push(`pageerror: ${String(error)}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    await page.goto(`${server.url}/sandbox`);
    const handle = await page.waitForSelector('#widget-host');
    widget = (await handle.contentFrame())!;
    // The callbacks run in the page, where `globalThis` is the iframe's window.
    await widget.waitForFunction(() => (globalThis as any).amoHost?.ready || (globalThis as any).amoHost?.error);
    expect(await widget.evaluate(() => (globalThis as any).amoHost.error)).toBeNull();
    await widget.locator('.amochan-settings:not([data-state="loading"])').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // A failing step prints the server's log: the first thing to read when the walk breaks.
  const step = (name: string, fn: () => Promise<void>) =>
    it(name, async () => {
      try {
        await fn();
      } catch (error) {
        console.error(`server stdout:\n${server?.stdout()}\nstderr:\n${server?.stderr()}\npage problems:\n${problems.join('\n')}`);
        throw error;
      }
    });

  step('says where the console is, in the log', async () => {
    const line = server.logs.find((l) => l.console === `${server.url}/sandbox`);
    expect(String(line?.msg)).toMatch(/Sandbox console: open .*\/sandbox .*"demo" \/ password "demo"/);
  });

  step('connects the demo account through the real widget', async () => {
    await widget.fill('.amochan-settings__login-input', 'demo');
    await widget.fill('.amochan-settings__password', 'demo');
    await widget.click('.amochan-settings__connect');
    await widget.locator('.amochan-settings__status', { hasText: 'Connected as demo' }).waitFor();
    await page.locator('#amo-status.pill--on').waitFor();
    await page.locator('#event-log .log__item[data-kind="widget_api"]', { hasText: 'POST /widget/v1/connect' }).waitFor();
  });

  step('a customer message reaches the amoCRM inbox', async () => {
    await page.fill('#customer-text', 'Hello! Do you deliver on Sundays?');
    await page.click('#customer-send');
    await page.locator('.inbox-msg[data-from="customer"]', { hasText: 'Do you deliver on Sundays?' }).waitFor();
    // On our side the message went out to amojo: "sent" in the customer pane.
    await page.locator('.cust-msg[data-from="customer"] .status[data-status="sent"]').waitFor();
  });

  step("the manager's reply reaches the customer, and the statuses go sent → delivered → read", async () => {
    await page.fill('#reply-text', 'Yes, every day from 9 to 21.');
    await page.click('#reply-send');
    await page.locator('.cust-msg[data-from="manager"]', { hasText: 'every day from 9 to 21' }).waitFor();
    await inboxManager('every day from 9 to 21').locator('.status[data-status="read"]').waitFor();
    expect(await inboxManager('every day from 9 to 21').locator('.history').innerText()).toBe('(sent → delivered → read)');
    await page.locator('.cust-msg[data-from="manager"] .status[data-status="read"]').waitFor();
  });

  step('the event log shows every edge, with the amojo signature headers', async () => {
    await page.locator('#event-log .log__item[data-kind="provider_api"]', { hasText: '/status' }).first().waitFor();
    const kinds = new Set(await logKinds());
    expect([...kinds].sort()).toEqual(['amojo_request', 'amojo_webhook', 'outbox', 'provider_api', 'provider_event', 'widget_api']);
    const signed = await page.locator('#event-log .log__item[data-kind="amojo_request"] .log__headers').first().innerText();
    expect(signed).toMatch(/^Date: .+\nContent-MD5: .+\nX-Signature: [0-9a-f]{40}/);
    await page.locator('#event-log .log__item[data-kind="provider_event"]', { hasText: 'signature ok' }).first().waitFor();
  });

  step('write first: the manager starts a chat by phone, the customer answers in it', async () => {
    await page.fill('#wf-phone', '+7 900 555-01-02');
    await page.fill('#wf-text', 'Hello from the shop, your order is ready.');
    await page.click('#wf-send');
    const tab = page.locator('.conv', { hasText: '+79005550102' });
    await tab.waitFor();
    await tab.click();
    await page.locator('.cust-msg[data-from="manager"]', { hasText: 'your order is ready' }).waitFor();
    await page.fill('#customer-text', 'Great, I will pick it up tonight.');
    await page.click('#customer-send');
    // The answer lands in the manager's chat (conversation_ref_id echoed), not in a new one.
    await page.locator('.chat--active .chat__last', { hasText: 'pick it up tonight' }).waitFor();
    await inboxManager('your order is ready').locator('.status[data-status="read"]').waitFor();
    expect(await page.locator('.chat').count()).toBe(2);
  });

  step('screenshot of the whole console', async () => {
    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    expect(fs.statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
  });

  step('disconnects through the widget', async () => {
    await widget.fill('.amochan-settings__password', 'demo');
    await widget.click('.amochan-settings__disconnect');
    await widget.locator('.amochan-settings__status', { hasText: 'Not connected' }).waitFor();
    await page.locator('#amo-status:not(.pill--on)').waitFor();
    expect(problems).toEqual([]);
  });
});
