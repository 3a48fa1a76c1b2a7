import request from 'supertest';
import { createRelayHarness, newId, type RelayHarness } from '../support/relay-harness';
import { auth } from '../support/app-factory';
import { waitFor } from '../support/wait';
import { amojoMsgidFor } from '../../src/services/amojo-msgid';

/** Both directions in one process: app + worker + emulator (amojo) + a provider HTTP server. */
describe('relay flow (in process)', () => {
  let h: RelayHarness;
  beforeAll(async () => {
    h = await createRelayHarness();
  });
  afterAll(() => h.close());
  beforeEach(() => {
    h.provider.respond(null);
    h.emulator.control.clearFaults();
  });

  const scope = () => h.connection.scopeId;
  const send = (body: Record<string, unknown>) =>
    request(h.app)
      .post('/api/v1/messages')
      .set(auth)
      .send({ account: 'alice', ...body });
  const emulatorMessage = (msgid: string) => h.emulator.control.listMessages({ scopeId: scope() }).find((m) => m.clientMsgId === amojoMsgidFor('alice', msgid));
  const eventFor = (amojoMsgId: string) => h.provider.accepted.find((e) => e.body.type === 'message.created' && e.body.data.id === amojoMsgId);
  const getMessage = async (id: string) => (await request(h.app).get(`/api/v1/messages/${id}`).set(auth)).body;

  it('customer → amoCRM: creates the chat once, sends in order, reports sent', async () => {
    const conversation_id = `conv-${newId()}`;
    const sender = { id: `cust-${newId()}`, name: 'Ann', phone: '+7 999 111-22-33', avatar: 'https://cdn.example.com/a.png' };
    const a = await send({ conversation_id, sender, msgid: `a-${newId()}`, message: { type: 'text', text: 'first' }, source_external_id: 'shop-1' });
    const b = await send({
      conversation_id,
      sender,
      msgid: `b-${newId()}`,
      message: { type: 'picture', media: 'https://cdn.example.com/p.jpg', file_name: 'p.jpg', file_size: 10 },
    });
    expect([a.status, b.status]).toEqual([202, 202]);
    await waitFor(() => emulatorMessage(b.body.msgid), 'second message in amojo');
    const chats = h.emulator.control.listChats(scope()).filter((c) => c.conversationId === conversation_id);
    expect(chats).toHaveLength(1);
    expect(chats[0]!.sourceExternalId).toBe('shop-1');
    const first = emulatorMessage(a.body.msgid)!;
    const second = emulatorMessage(b.body.msgid)!;
    expect(first.message).toMatchObject({ type: 'text', text: 'first' });
    expect(second.message).toMatchObject({ type: 'picture', media: 'https://cdn.example.com/p.jpg' });
    expect(first.msecTimestamp).toBeLessThanOrEqual(second.msecTimestamp);
    const view = await waitFor(async () => {
      const v = await getMessage(a.body.id);
      return v.status === 'sent' && v;
    }, 'sent status');
    expect(view).toMatchObject({ amojo_msgid: first.id, attempts: 1, amojo_chat_id: chats[0]!.id, last_error: null });
  });

  it('amoCRM → customer: a manager reply reaches the provider signed; statuses reach amoCRM', async () => {
    const conversation_id = `conv-${newId()}`;
    const sender = { id: `cust-${newId()}`, name: 'Bob' };
    const sent = await send({ conversation_id, sender, message: { type: 'text', text: 'hello?' } });
    await waitFor(() => emulatorMessage(sent.body.msgid), 'message in amojo');
    const reply = await h.emulator.control.managerReply({ scopeId: scope(), conversationId: conversation_id, text: 'Hi Bob!' });
    expect(reply.webhook.status).toBe(200);
    const event = await waitFor(() => eventFor(reply.messageId), 'message.created at the provider');
    expect(event.verified).toBe(true);
    expect(event.headers['content-type']).toBe('application/json');
    expect(event.body).toMatchObject({
      type: 'message.created',
      account: 'alice',
      data: {
        id: reply.messageId,
        conversation: { id: conversation_id, ref_id: reply.chatId },
        receiver: { id: sender.id },
        message: { type: 'text', text: 'Hi Bob!' },
      },
    });
    expect(await getMessage(reply.messageId)).toMatchObject({ direction: 'outbound', status: 'sent', conversation_id });

    for (const [status, code] of [
      ['delivered', 1],
      ['read', 2],
    ] as const) {
      const res = await request(h.app).post(`/api/v1/messages/${reply.messageId}/status`).set(auth).send({ status });
      expect(res.status).toBe(202);
      await waitFor(() => h.emulator.control.getMessage(reply.messageId)?.deliveryStatus?.status === code, `${status} in amojo`);
    }
    expect(await getMessage(reply.messageId)).toMatchObject({ status: 'read' });

    const failedReply = await h.emulator.control.managerReply({ scopeId: scope(), conversationId: conversation_id, text: 'again' });
    await waitFor(() => eventFor(failedReply.messageId), 'second event');
    await request(h.app).post(`/api/v1/messages/${failedReply.messageId}/status`).set(auth).send({ status: 'failed', error: 'blocked by user' }).expect(202);
    await waitFor(() => h.emulator.control.getMessage(failedReply.messageId)?.deliveryStatus?.status === -1, 'failed in amojo');
    expect(h.emulator.control.getMessage(failedReply.messageId)!.deliveryStatus).toMatchObject({ errorCode: 905, error: 'blocked by user' });
  });

  it('a permanent provider refusal becomes delivery_status -1 / 905 with its text', async () => {
    const conversation_id = `conv-${newId()}`;
    await send({ conversation_id, sender: { id: `c-${newId()}`, name: 'C' }, message: { type: 'text', text: 'x' } });
    await waitFor(() => h.emulator.control.listChats(scope()).find((c) => c.conversationId === conversation_id), 'chat');
    h.provider.respond(() => ({ status: 422, body: JSON.stringify({ error: { message: 'recipient has blocked the bot' } }) }));
    const reply = await h.emulator.control.managerReply({ scopeId: scope(), conversationId: conversation_id, text: 'x' });
    await waitFor(() => h.emulator.control.getMessage(reply.messageId)?.deliveryStatus, 'status in amojo');
    expect(h.emulator.control.getMessage(reply.messageId)!.deliveryStatus).toMatchObject({
      status: -1,
      errorCode: 905,
      error: 'recipient has blocked the bot',
    });
    expect(await getMessage(reply.messageId)).toMatchObject({ status: 'failed', attempts: 1 });
  });

  it('a dead event (provider failing with no text) becomes -1 / 903', async () => {
    const conversation_id = `conv-${newId()}`;
    await send({ conversation_id, sender: { id: `c-${newId()}`, name: 'D' }, message: { type: 'text', text: 'x' } });
    await waitFor(() => h.emulator.control.listChats(scope()).find((c) => c.conversationId === conversation_id), 'chat');
    h.provider.respond(() => ({ status: 503 }));
    const reply = await h.emulator.control.managerReply({ scopeId: scope(), conversationId: conversation_id, text: 'x' });
    await waitFor(() => h.emulator.control.getMessage(reply.messageId)?.deliveryStatus, 'status in amojo', 5000);
    expect(h.emulator.control.getMessage(reply.messageId)!.deliveryStatus).toMatchObject({ status: -1, errorCode: 903 });
    expect(await getMessage(reply.messageId)).toMatchObject({ status: 'dead', attempts: 4, last_error: expect.stringContaining('503') });
  });

  it('write first: the customer answer binds the chat (by phone, and by conversation_ref_id)', async () => {
    for (const how of ['phone', 'ref'] as const) {
      const phone = `+7 (916) ${Math.floor(1_000_000 + Math.random() * 8_999_999)}`;
      const wf = await h.emulator.control.writeFirst({ scopeId: scope(), phone, text: 'We have your order', name: 'Eve' });
      const event = await waitFor(() => eventFor(wf.messageId), 'write-first event');
      expect(event.body.data).toMatchObject({
        conversation: { id: null, ref_id: wf.chatId },
        receiver: { id: null, ref_id: wf.userId, phone: phone.replace(/\D/g, '') },
      });
      const conversation_id = `conv-wf-${how}-${newId()}`;
      const sender = { id: `cust-${newId()}`, name: 'Eve', ...(how === 'phone' ? { phone } : {}) };
      const extra =
        how === 'ref' ? { conversation_ref_id: event.body.data.conversation.ref_id, sender: { ...sender, ref_id: event.body.data.receiver.ref_id } } : {};
      const answer = await send({ conversation_id, sender, message: { type: 'text', text: 'thanks!' }, ...extra });
      expect(answer.status).toBe(202);
      const inAmojo = await waitFor(() => emulatorMessage(answer.body.msgid), 'answer in amojo');
      expect(inAmojo.chatId).toBe(wf.chatId);
      const chat = h.emulator.control.listChats(scope()).find((c) => c.id === wf.chatId)!;
      expect(chat.conversationId).toBe(conversation_id);
      const local = await h.store.conversations.getByConversationId('alice', conversation_id);
      expect(local).toMatchObject({ state: 'active', refBound: true, amojoChatId: wf.chatId, clientRefId: wf.userId });
      // Later messages use the bound ids and stay in the same chat.
      const later = await send({ conversation_id, sender: { id: sender.id, name: 'Eve' }, message: { type: 'text', text: 'one more' } });
      expect((await waitFor(() => emulatorMessage(later.body.msgid), 'later message')).chatId).toBe(wf.chatId);
      const reply = await h.emulator.control.managerReply({ scopeId: scope(), chatId: wf.chatId, text: 'great' });
      expect((await waitFor(() => eventFor(reply.messageId), 'reply event')).body.data.conversation).toEqual({ id: conversation_id, ref_id: wf.chatId });
    }
  });

  it('creating the chat records only the chat ids: a change committed meanwhile survives', async () => {
    const conversation_id = `conv-${newId()}`;
    // amojo records the chat at once but answers late: the delivery is inside createChat for 300 ms.
    h.emulator.control.latency(300);
    const res = await send({ conversation_id, sender: { id: `c-${newId()}`, name: 'J' }, message: { type: 'text', text: 'slow amojo' } });
    const chat = await waitFor(() => h.emulator.control.listChats(scope()).find((c) => c.conversationId === conversation_id), 'chat created');
    const before = (await h.store.conversations.getByConversationId('alice', conversation_id))!;
    // What a second customer message does to the row while the first delivery is still running.
    const touchedAt = before.lastActivityAt + 3_600_000;
    await h.store.conversations.touch(before.id, touchedAt);
    await waitFor(async () => (await getMessage(res.body.id)).status === 'sent', 'sent');
    expect(await h.store.conversations.get(before.id)).toMatchObject({ amojoChatId: chat.id, clientRefId: expect.any(String), lastActivityAt: touchedAt });
  });

  it('amojo down then up: the message arrives exactly once', async () => {
    h.emulator.control.failNext(2, 503);
    const conversation_id = `conv-${newId()}`;
    const res = await send({ conversation_id, sender: { id: `c-${newId()}`, name: 'F' }, message: { type: 'text', text: 'through the storm' } });
    await waitFor(() => emulatorMessage(res.body.msgid), 'message after faults');
    await waitFor(async () => (await getMessage(res.body.id)).status === 'sent', 'sent');
    expect(h.emulator.control.listMessages({ scopeId: scope() }).filter((m) => m.clientMsgId === amojoMsgidFor('alice', res.body.msgid))).toHaveLength(1);
    expect((await getMessage(res.body.id)).attempts).toBeGreaterThanOrEqual(2);
  });

  it('a msgid amojo already has (crash between send and commit) counts as sent', async () => {
    const conversation_id = `conv-${newId()}`;
    const msgid = `dup-${newId()}`;
    const sender = { id: `c-${newId()}`, name: 'G' };
    await h.deps.amojo.createChat(scope(), { conversation_id, user: sender });
    await h.deps.amojo.sendMessage(scope(), {
      msgid: amojoMsgidFor('alice', msgid),
      conversation_id,
      sender,
      message: { type: 'text', text: 'already there' },
    });
    const res = await send({ conversation_id, msgid, sender, message: { type: 'text', text: 'already there' } });
    await waitFor(async () => (await getMessage(res.body.id)).status === 'sent', 'sent');
    expect(h.emulator.control.listMessages({ scopeId: scope() }).filter((m) => m.clientMsgId === amojoMsgidFor('alice', msgid))).toHaveLength(1);
  });

  it('typing and reactions flow both ways', async () => {
    const conversation_id = `conv-${newId()}`;
    const sender = { id: `c-${newId()}`, name: 'H' };
    const res = await send({ conversation_id, sender, message: { type: 'text', text: 'react to me' } });
    const inAmojo = await waitFor(() => emulatorMessage(res.body.msgid), 'message');
    await waitFor(async () => (await getMessage(res.body.id)).status === 'sent', 'sent');
    const typing = await request(h.app).post('/api/v1/typing').set(auth).send({ account: 'alice', conversation_id, sender_id: sender.id });
    expect(typing.body.status).toBe('queued');
    await waitFor(() => h.emulator.control.typingLog().find((t) => t.chatId === inAmojo.chatId), 'typing in amojo');

    await h.emulator.control.react({ scopeId: scope(), conversationId: conversation_id, messageId: inAmojo.id, emoji: '❤️' });
    const reaction = await waitFor(
      () => h.provider.accepted.find((e) => e.body.type === 'reaction' && e.body.data.message.id === inAmojo.id),
      'reaction event',
    );
    expect(reaction.body.data).toMatchObject({ conversation: { id: conversation_id }, message: { msgid: res.body.msgid }, type: 'react', emoji: '❤️' });
    await h.emulator.control.typing({ scopeId: scope(), conversationId: conversation_id });
    await waitFor(() => h.provider.accepted.find((e) => e.body.type === 'typing' && e.body.data.conversation.id === conversation_id), 'typing event');
  });
});
