import { startSandboxHarness, type SandboxHarness } from '../support/sandbox-harness';
import { json } from '../support/http-client';
import { waitFor } from '../support/wait';

/**
 * The console's loop without a browser: the widget route connects the demo account, the customer
 * pane sends through /api/v1, the inbox answers through the emulator, and the demo provider reports
 * delivered and read — every step visible on the event bus. The outbox worker is stepped by hand.
 */

jest.setTimeout(20_000);

describe('sandbox console flow (in-process, emulator on loopback)', () => {
  let h: SandboxHarness;
  const state = async () => (await json(`${h.url}/sandbox/api/state`)).body;

  beforeAll(async () => {
    h = await startSandboxHarness();
  });
  afterAll(() => h.close());

  it('a customer message before connect fails visibly with the reason', async () => {
    const sent = await json(`${h.url}/sandbox/api/customer/send`, 'POST', { text: 'anyone there?' });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ status: 'failed', error: expect.stringMatching(/^409 account_not_connected/) });
  });

  it('connect, customer → inbox, manager → customer, delivered → read', async () => {
    const connect = await h.connectDemo(); // the install, the widget connect, account.connected → the demo provider
    expect(connect.status).toBe(200);
    expect((await state()).customer.account).toMatchObject({ login: 'demo', connected: true });

    const conversationId = (await state()).customer.conversations[0].conversationId as string;
    const sent = await json(`${h.url}/sandbox/api/customer/send`, 'POST', { conversation_id: conversationId, text: 'Hello, shop!' });
    expect(sent.body).toMatchObject({ from: 'customer', status: 'queued', id: expect.stringMatching(/^msg_/) });
    await h.worker.processDue();

    const inbox = (await state()).inbox;
    expect(inbox.connected).toBe(true);
    expect(inbox.chats).toHaveLength(1);
    expect(inbox.chats[0].messages).toEqual([expect.objectContaining({ from: 'customer', text: 'Hello, shop!', status: 'received' })]);
    expect((await state()).customer.conversations[0].messages.at(-1)).toMatchObject({ text: 'Hello, shop!', status: 'sent' });

    const reply = await json(`${h.url}/sandbox/api/inbox/reply`, 'POST', { chat_id: inbox.chats[0].id, text: 'Hi! How can I help?' });
    expect(reply.status).toBe(201);
    expect(reply.body.webhookStatus).toBe(200);
    await h.worker.processDue(); // message.created → the demo provider, which reports "delivered"

    const managerMessage = async () => (await state()).customer.conversations[0].messages.find((m: any) => m.from === 'manager');
    await waitFor(async () => (await managerMessage())?.status === 'delivered', 'the delivered report');
    await h.worker.processDue();
    const amoStatus = async () => (await state()).inbox.chats[0].messages.find((m: any) => m.from === 'manager');
    expect(await amoStatus()).toMatchObject({ text: 'Hi! How can I help?', status: 'delivered', history: ['delivered'] });

    const read = await json(`${h.url}/sandbox/api/customer/read`, 'POST', { conversation_id: conversationId });
    expect(read.body).toEqual({ reported: 1 });
    await h.worker.processDue();
    expect(await amoStatus()).toMatchObject({ status: 'read', history: ['delivered', 'read'] });
    // Reading again reports nothing twice.
    expect((await json(`${h.url}/sandbox/api/customer/read`, 'POST', { conversation_id: conversationId })).body).toEqual({ reported: 0 });
  });

  it('every edge crossing of that loop is on the bus', () => {
    const kinds = new Set(h.records().map((r) => r.kind));
    expect([...kinds].sort()).toEqual(['amojo_request', 'amojo_webhook', 'outbox', 'provider_api', 'provider_event', 'widget_api']);
    const signed = h.records('amojo_request').map((r) => r.data);
    expect(signed.every((d) => 'headers' in d && d.headers.date && d.headers.contentMd5 && /^[0-9a-f]{40}$/.test(d.headers.signature ?? ''))).toBe(true);
    const statuses = h.records('provider_api').filter((r) => 'path' in r.data && r.data.path.endsWith('/status'));
    expect(statuses.map((r) => ('requestBody' in r.data ? r.data.requestBody : null))).toEqual([{ status: 'delivered' }, { status: 'read' }]);
    expect(h.records('provider_event').every((r) => 'verified' in r.data && r.data.verified)).toBe(true);
  });

  it('write first: the chat a manager starts is answered in place (ref ids echoed)', async () => {
    const started = await json(`${h.url}/sandbox/api/inbox/write-first`, 'POST', { phone: '+7 (900) 555-01-02', text: 'Your order is ready' });
    expect(started.status).toBe(201);
    await h.worker.processDue();
    const conversation = (await state()).customer.conversations.find((c: any) => c.writeFirst);
    expect(conversation).toMatchObject({ customer: { phone: '79005550102' }, bound: false });

    const answer = await json(`${h.url}/sandbox/api/customer/send`, 'POST', { conversation_id: conversation.conversationId, text: 'Thanks, coming!' });
    expect(answer.body.status).toBe('queued');
    await h.worker.processDue();
    const chat = (await state()).inbox.chats.find((c: any) => c.id === started.body.chatId);
    expect(chat.conversationId).toBe(conversation.conversationId);
    expect(chat.messages.map((m: any) => m.text)).toEqual(['Your order is ready', 'Thanks, coming!']);
    expect((await state()).inbox.chats).toHaveLength(2);
  });
});
