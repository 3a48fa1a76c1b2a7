import request from 'supertest';
import { createAmojoHooks } from '../../src/services/amojo-hooks';
import { historyToHook, isManagerMessage } from '../../src/services/history-hook';
import { createReconciler, type Reconciler } from '../../src/services/reconciler';
import { createMetrics } from '../../src/lib/metrics';
import { createRelayHarness, type RelayHarness } from '../support/relay-harness';
import { auth } from '../support/app-factory';
import { conversation as conversationRecord } from '../support/fixtures';
import { sleep, waitFor } from '../support/wait';

/**
 * The reconciler against the emulator: hooks dropped by the emulator (as if our server had been
 * down) are recovered from chat history exactly once, in order, through the same intake as hooks.
 */

let h: RelayHarness;
let reconciler: Reconciler;
const metrics = createMetrics();

const eventsFor = (amojoMsgId: string) => h.provider.received.filter((e) => e.body.type === 'message.created' && e.body.data.id === amojoMsgId);

async function customerWrites(conversationId: string, text = 'hello', on: RelayHarness = h): Promise<string> {
  const res = await request(on.app)
    .post('/api/v1/messages')
    .set(auth)
    .send({
      account: 'alice',
      conversation_id: conversationId,
      sender: { id: `${conversationId}-cust`, name: 'Customer', phone: '+7 900 111-22-33' },
      message: { type: 'text', text },
    });
  expect(res.status).toBe(202);
  const chat = await waitFor(() => on.emulator.control.listChats(on.connection.scopeId).find((c) => c.conversationId === conversationId), 'chat in amojo');
  await waitFor(async () => (await on.store.conversations.getByConversationId('alice', conversationId))?.amojoChatId, 'chat id stored');
  return chat.id;
}

beforeAll(async () => {
  h = await createRelayHarness();
  reconciler = createReconciler({
    store: h.store,
    amojo: h.deps.amojo,
    hooks: createAmojoHooks({
      store: h.store,
      clock: h.deps.clock,
      ids: h.deps.ids,
      logger: h.deps.logger,
      outboxSignal: h.deps.outboxSignal,
      channelSecret: h.emulator.secret,
    }),
    clock: h.deps.clock,
    logger: h.deps.logger,
    metrics,
    lookbackMs: 3_600_000,
    intervalMs: 0,
    graceMs: 0,
  });
});
afterAll(() => h.close());
beforeEach(() => h.emulator.control.clearFaults());

describe('reconciler', () => {
  it('recovers dropped manager replies once, in order, and leaves customer messages alone', async () => {
    const chatId = await customerWrites('rc-1');
    h.emulator.control.dropWebhooks(2);
    const lost1 = await h.emulator.control.managerReply({ scopeId: h.connection.scopeId, chatId, text: 'lost one' });
    const lost2 = await h.emulator.control.managerReply({ scopeId: h.connection.scopeId, chatId, text: 'lost two' });
    expect([lost1.webhook.dropped, lost2.webhook.dropped]).toEqual([true, true]);
    const seen = await h.emulator.control.managerReply({ scopeId: h.connection.scopeId, chatId, text: 'arrived' });
    expect(seen.webhook.status).toBe(200);
    await waitFor(() => eventsFor(seen.messageId).length === 1, 'hooked reply');

    const report = await reconciler.runOnce();
    expect(report).toMatchObject({ recovered: 2, errors: 0 });
    await waitFor(() => eventsFor(lost1.messageId).length === 1 && eventsFor(lost2.messageId).length === 1, 'recovered replies');
    const [e1] = eventsFor(lost1.messageId);
    expect(e1!.verified).toBe(true);
    expect(e1!.body.data).toMatchObject({
      conversation: { id: 'rc-1', ref_id: chatId },
      receiver: { id: 'rc-1-cust' },
      message: { type: 'text', text: 'lost one' },
    });
    // Same conversation, same ordering key: lost1 reaches the provider before lost2.
    const order = h.provider.received.map((e) => e.body.data?.id);
    expect(order.indexOf(lost1.messageId)).toBeLessThan(order.indexOf(lost2.messageId));

    // A second pass, and the late real hook, change nothing.
    expect(await reconciler.runOnce()).toMatchObject({ recovered: 0 });
    const late = h.emulator.control.webhookLog().find((w) => w.messageId === lost1.messageId)!;
    const res = await request(h.app)
      .post(`/amojo/v1/webhook/${h.connection.scopeId}`)
      .set('X-Signature', late.signature)
      .set('Content-Type', 'application/json')
      .send(late.body);
    expect(res.body).toEqual({ status: 'duplicate' });
    await sleep(100);
    for (const id of [lost1.messageId, lost2.messageId, seen.messageId]) expect(eventsFor(id)).toHaveLength(1);
    // The customer's own message was never turned into an event.
    expect(h.provider.received.filter((e) => e.body.type === 'message.created' && e.body.data.message?.text === 'hello')).toHaveLength(0);
    const text = await metrics.registry.getSingleMetricAsString('amochan_reconciler_recovered_total');
    expect(text).toMatch(/amochan_reconciler_recovered_total 2/);
  });

  it('recovers a dropped reply in a write-first chat that is still pending', async () => {
    const wf = await h.emulator.control.writeFirst({ scopeId: h.connection.scopeId, phone: '+7 916 000-11-22', text: 'we wrote first' });
    await waitFor(() => eventsFor(wf.messageId).length === 1, 'write-first event');
    h.emulator.control.dropWebhooks(1);
    const lost = await h.emulator.control.managerReply({ scopeId: h.connection.scopeId, chatId: wf.chatId, text: 'follow-up' });
    expect(lost.webhook.dropped).toBe(true);
    expect(await reconciler.runOnce()).toMatchObject({ recovered: 1 });
    const [event] = await waitFor(() => eventsFor(lost.messageId).length === 1 && eventsFor(lost.messageId), 'recovered write-first reply');
    expect(event!.body.data).toMatchObject({ conversation: { id: null, ref_id: wf.chatId }, receiver: { id: null, ref_id: wf.userId, phone: '79160001122' } });
  });

  it('does not look further back than the lookback window or before the conversation existed', async () => {
    const chatId = await customerWrites('rc-old');
    h.emulator.control.dropWebhooks(1);
    const lost = await h.emulator.control.managerReply({ scopeId: h.connection.scopeId, chatId, text: 'old' });
    const conv = (await h.store.conversations.getByConversationId('alice', 'rc-old'))!;
    // Pretend the conversation row is much younger than the message (created 10 minutes later).
    await h.store.conversations.save({ ...conv, createdAt: Date.now() + 10 * 60_000, lastActivityAt: Date.now() + 10 * 60_000 });
    expect(await reconciler.runOnce()).toMatchObject({ recovered: 0 });
    expect(eventsFor(lost.messageId)).toHaveLength(0);
    await h.store.conversations.save(conv);
    expect(await reconciler.runOnce()).toMatchObject({ recovered: 1 });
  });

  it('survives history errors and recovers on the next pass', async () => {
    const chatId = await customerWrites('rc-err');
    h.emulator.control.dropWebhooks(1);
    const lost = await h.emulator.control.managerReply({ scopeId: h.connection.scopeId, chatId, text: 'after an error' });
    h.emulator.control.failNext(50, 503);
    const failed = await reconciler.runOnce();
    expect(failed.errors).toBeGreaterThan(0);
    h.emulator.control.clearFaults();
    expect(await reconciler.runOnce()).toMatchObject({ recovered: 1, errors: 0 });
    await waitFor(() => eventsFor(lost.messageId).length === 1, 'recovered after the error');
  });
});

describe('history → hook', () => {
  const conversation = conversationRecord({
    id: 'cnv_1',
    login: 'alice',
    scopeId: 's',
    conversationId: 'c-1',
    amojoChatId: 'chat-1',
    clientId: 'cust-1',
    clientRefId: 'amo-cust',
    phone: '79001112233',
  });
  const entry = (over: Record<string, unknown> = {}) => ({
    timestamp: 1_700_000_000,
    msec_timestamp: 1_700_000_000_123,
    sender: { id: 'manager-1', name: 'Manager' },
    receiver: { id: 'amo-cust', client_id: 'cust-1', name: 'Ann' },
    message: { id: 'amo-msg-1', client_id: '', type: 'text', text: 'hi', media: '', thumbnail: '', file_name: '', file_size: 0 },
    ...over,
  });

  it("tells manager messages from the customer's and ours", () => {
    expect(isManagerMessage(entry(), conversation)).toBe(true);
    expect(isManagerMessage(entry({ message: { id: 'x', client_id: 'our-msgid', type: 'text' } }), conversation)).toBe(false);
    expect(isManagerMessage(entry({ sender: { id: 'amo-cust' } }), conversation)).toBe(false);
    expect(isManagerMessage(entry({ sender: { id: 'someone', client_id: 'cust-1' } }), conversation)).toBe(false);
    expect(isManagerMessage(entry({ message: null }), conversation)).toBe(false);
  });

  it('builds the hook amojo would have sent, falling back to what we know of the customer', () => {
    const hook = historyToHook(entry({ receiver: null }), conversation, { amojoAccountId: 'acc-1' })!;
    expect(hook).toMatchObject({
      account_id: 'acc-1',
      message: {
        receiver: { id: 'amo-cust', client_id: 'cust-1', phone: '79001112233' },
        sender: { id: 'manager-1', name: 'Manager' },
        conversation: { id: 'chat-1', client_id: 'c-1' },
        msec_timestamp: 1_700_000_000_123,
        message: { id: 'amo-msg-1', type: 'text', text: 'hi' },
      },
    });
    expect(historyToHook(entry({ receiver: null }), { ...conversation, clientRefId: null }, { amojoAccountId: 'a' })).toBeNull();
  });
});

describe('reconciler and recovery gate, wired as the server wires them', () => {
  let g: RelayHarness;
  let startPass: Reconciler;
  beforeAll(async () => {
    g = await createRelayHarness();
    // Created before any hook arrives, as main.ts does: this opens the gate's start window.
    startPass = createReconciler({
      store: g.store,
      amojo: g.deps.amojo,
      hooks: g.deps.services.hooks,
      gate: g.deps.services.recovery,
      clock: g.deps.clock,
      logger: g.deps.logger,
      lookbackMs: 3_600_000,
      intervalMs: 0,
      graceMs: 0,
    });
  });
  afterAll(() => g.close());

  const received = (amojoMsgId: string) => g.provider.received.findIndex((e) => e.body.type === 'message.created' && e.body.data.id === amojoMsgId);

  it('keeps the start window open past a pass that ran before hooks reached us, and closes it with a pass after the first hook', async () => {
    const chatId = await customerWrites('gate-1', 'hello', g);
    const otherChatId = await customerWrites('gate-2', 'hello', g);
    // The pass at start runs as soon as we listen, before amojo's hooks get through to us.
    expect(await startPass.runOnce()).toMatchObject({ recovered: 0, errors: 0 });
    // A reply written after that pass whose hook still could not reach us, then a live one.
    g.emulator.control.dropWebhooks(1);
    const lost = await g.emulator.control.managerReply({ scopeId: g.connection.scopeId, chatId, text: 'lost after the pass' });
    expect(lost.webhook.dropped).toBe(true);
    const live = await g.emulator.control.managerReply({ scopeId: g.connection.scopeId, chatId, text: 'first live hook' });
    expect(live.webhook.status).toBe(200);
    // The live hook had the chat read again first: the lost reply is in its place, before it.
    await waitFor(() => received(lost.messageId) >= 0 && received(live.messageId) >= 0, 'both replies at the provider');
    expect(received(lost.messageId)).toBeLessThan(received(live.messageId));

    // This pass started after the first live hook: everything lost before hooks flowed is covered,
    // so the window ends, and the first live hook of another chat no longer has it read first.
    expect(await startPass.runOnce()).toMatchObject({ errors: 0 });
    g.emulator.control.dropWebhooks(1);
    const dropped = await g.emulator.control.managerReply({ scopeId: g.connection.scopeId, chatId: otherChatId, text: 'dropped while up' });
    const next = await g.emulator.control.managerReply({ scopeId: g.connection.scopeId, chatId: otherChatId, text: 'next live hook' });
    await waitFor(() => received(next.messageId) >= 0, 'the next live reply');
    await sleep(100);
    expect(received(dropped.messageId)).toBe(-1);
    // A hook dropped while we are up waits for a periodic pass (the documented limit).
    expect(await startPass.runOnce()).toMatchObject({ recovered: 1 });
    await waitFor(() => received(dropped.messageId) >= 0, 'the dropped reply, recovered late');
  });
});
