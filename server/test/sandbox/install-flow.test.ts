import { loadConfig } from '../../src/config';
import { createSilentLogger } from '../../src/lib/logger';
import { startServer, type RunningServer } from '../../src/main';
import { SANDBOX_AMOCRM_ACCOUNT_ID, SANDBOX_AMOJO_ID } from '../../src/sandbox/types';
import { call, json } from '../support/http-client';
import { waitFor } from '../support/wait';

/**
 * The sandbox as `npm start` composes it (main.ts, in-process, memory store): OAuth is on against the
 * embedded emulator, so the console's install step is what lets the widget connect; connecting
 * creates an amoCRM source per demo channel; a manager's write first from the second source reaches
 * the demo provider as that channel, and the customer's answer goes back on it.
 */

jest.setTimeout(30_000);

describe('sandbox install step (the real composition, emulator as amoCRM)', () => {
  let server: RunningServer;
  const state = async () => (await json(`${server.url}/sandbox/api/state`)).body;
  const connect = async () => {
    const token = (await json(`${server.url}/sandbox/api/widget-token`)).body.token as string;
    return call(`${server.url}/widget/v1/connect`, 'POST', { login: 'demo', password: 'demo', amojo_id: SANDBOX_AMOJO_ID }, { 'X-Auth-Token': token });
  };

  beforeAll(async () => {
    server = await startServer(loadConfig({ DATABASE_URL: 'memory:', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' }), createSilentLogger());
  });
  afterAll(() => server?.stop());

  it('turns OAuth on against the emulator: its integration, our callback, a per-start key', () => {
    const c = server.deps.config;
    expect(c.AMOCRM_CLIENT_ID).toEqual(expect.any(String));
    expect(c.AMOCRM_CLIENT_SECRET).toEqual(expect.any(String));
    expect(new URL(c.AMOCRM_REDIRECT_URI!).pathname).toBe('/amocrm/v1/oauth/callback');
    expect(c.AMOCRM_API_BASE_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(c.TOKEN_ENCRYPTION_KEY).toMatch(/^[0-9a-f]{64}$/);
  });

  it('shows the demo account with its pipelines and no sources before the install', async () => {
    const account = (await state()).amocrmAccount;
    expect(account).toMatchObject({ account: { id: SANDBOX_AMOCRM_ACCOUNT_ID, domain: 'sandbox.amocrm.ru' }, installation: null, sources: [] });
    expect(account.pipelines.map((p: { name: string }) => p.name)).toEqual(['Sales', 'Support']);
  });

  it('refuses a connect before the integration is installed', async () => {
    const refused = await connect();
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
    expect(refused.body?.error?.code).toBe('install_required');
  });

  it('installs through our own OAuth callback, connects, and creates a source per demo channel', async () => {
    const installed = await json(`${server.url}/sandbox/api/amocrm/install`, 'POST');
    expect(installed.status).toBe(200);
    expect(installed.body).toMatchObject({ status: 'installed', amocrm_account_id: SANDBOX_AMOCRM_ACCOUNT_ID, amojo_id: SANDBOX_AMOJO_ID });
    expect((await state()).amocrmAccount.installation).toBe('installed');

    const connected = await connect();
    expect(connected.status).toBe(200);

    const account = await waitFor(
      async () => {
        const a = (await state()).amocrmAccount;
        return a.sources.length === 2 ? a : null;
      },
      'two sources in the emulated amoCRM',
      15_000,
      100,
    );
    expect(account.sources.map((s: { name: string }) => s.name).sort()).toEqual(['Demo WhatsApp', 'Demo bot']);
    for (const s of account.sources) {
      expect(s.external_id).toEqual(expect.any(String));
      expect(account.pipelines.map((p: { id: number }) => p.id)).toContain(s.pipeline_id);
    }
  });

  it('a write first from the second source reaches the demo provider as that channel, and the answer goes back on it', async () => {
    const source = (await state()).amocrmAccount.sources.find((s: { name: string }) => s.name === 'Demo bot');
    const wrote = await json(`${server.url}/sandbox/api/inbox/write-first`, 'POST', {
      phone: '+79005550101',
      text: 'Hello from the bot number',
      source_external_id: source.external_id,
    });
    expect(wrote.status).toBe(201);

    const conversation = await waitFor(
      async () =>
        (await state()).customer.conversations.find((c: { messages: Array<{ text: string }> }) =>
          c.messages.some((m) => m.text === 'Hello from the bot number'),
        ),
      'the write first at the demo provider',
      15_000,
      100,
    );
    expect(conversation).toMatchObject({ channel: 'demo-bot', writeFirst: true });

    const answered = await json(`${server.url}/sandbox/api/customer/send`, 'POST', { conversation_id: conversation.conversationId, text: 'Hi, bot number' });
    expect(answered.body).toMatchObject({ status: 'queued' });
    const chat = await waitFor(
      async () => (await state()).inbox.chats.find((c: { messages: Array<{ text: string }> }) => c.messages.some((m) => m.text === 'Hi, bot number')),
      'the answer in the manager inbox',
      15_000,
      100,
    );
    expect(chat.messages.map((m: { text: string }) => m.text)).toEqual(expect.arrayContaining(['Hello from the bot number', 'Hi, bot number']));
  });
});
