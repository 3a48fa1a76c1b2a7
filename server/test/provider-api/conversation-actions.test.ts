import request from 'supertest';
import { amojoMsgidFor } from '../../src/services/amojo-msgid';
import { auth } from '../support/app-factory';
import { createRelayHarness, newId, type RelayHarness } from '../support/relay-harness';
import { sleep, waitFor } from '../support/wait';

/**
 * The rest of the customer's conversation through the provider API, end to end against the
 * emulator: quotes, edits, reactions, messages the business sent outside amoCRM, message.failed,
 * and statuses that never step back.
 */
describe('the whole conversation through the provider API', () => {
  let h: RelayHarness;
  beforeAll(async () => {
    h = await createRelayHarness({ withBotId: true });
  });
  afterAll(() => h.close());
  beforeEach(() => h.emulator.control.clearFaults());

  const scope = () => h.connection.scopeId;
  const post = (path: string, body: Record<string, unknown>) =>
    request(h.app)
      .post(`/api/v1${path}`)
      .set(auth)
      .send({ account: 'alice', ...body });
  const inAmojo = (msgid: string) => h.emulator.control.listMessages({ scopeId: scope() }).find((m) => m.clientMsgId === amojoMsgidFor('alice', msgid));
  const sentMessage = async (conversation_id: string, text: string, extra: Record<string, unknown> = {}) => {
    const res = await post('/messages', { conversation_id, sender: { id: `cust-${conversation_id}`, name: 'Ann' }, message: { type: 'text', text }, ...extra });
    expect(res.status).toBe(202);
    const record = await waitFor(() => inAmojo(res.body.msgid), `"${text}" in amojo`);
    return { ...(res.body as { id: string; msgid: string }), amojoId: record.id };
  };
  const event = (type: string, match: (data: any) => boolean) =>
    waitFor(() => h.provider.accepted.find((e) => e.body.type === type && match(e.body.data)), `${type} event`);

  it("a quote names the customer's earlier message by msgid, or a manager's by its amojo id", async () => {
    const conversation_id = `conv-q-${newId()}`;
    const first = await sentMessage(conversation_id, 'my order is 42');
    const quoting = await sentMessage(conversation_id, 'as I said', { reply_to: { msgid: first.msgid } });
    expect(inAmojo(quoting.msgid)!.replyTo).toMatchObject({ id: first.amojoId });

    const reply = await h.emulator.control.managerReply({ scopeId: scope(), conversationId: conversation_id, text: 'which colour?' });
    const answer = await sentMessage(conversation_id, 'red', { reply_to: { id: reply.messageId } });
    expect(inAmojo(answer.msgid)!.replyTo).toMatchObject({ id: reply.messageId });
  });

  it('a quote of a message we never saw is refused with 422 unknown_target', async () => {
    for (const reply_to of [{ msgid: 'never-sent' }, { id: '00000000-0000-4000-8000-000000000000' }]) {
      const res = await post('/messages', { conversation_id: 'conv-q-x', sender: { id: 'c', name: 'C' }, message: { type: 'text', text: 'x' }, reply_to });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('unknown_target');
    }
    const both = await post('/messages', {
      conversation_id: 'conv-q-x',
      sender: { id: 'c', name: 'C' },
      message: { type: 'text', text: 'x' },
      reply_to: { msgid: 'a', id: 'b' },
    });
    expect(both.status).toBe(400);
  });

  it('a sticker amoCRM knows by id goes out with its sticker_id alone, no media URL', async () => {
    const conversation_id = `conv-st-${newId()}`;
    const sticker = await sentMessage(conversation_id, 'unused', { message: { type: 'sticker', sticker_id: 'st-9' } });
    const sent = inAmojo(sticker.msgid)!.message as Record<string, unknown>;
    expect(sent).toMatchObject({ type: 'sticker', sticker_id: 'st-9' });
    expect(sent.media).toBeUndefined();
    const view = await waitFor(async () => {
      const v = (await request(h.app).get(`/api/v1/messages/${sticker.id}`).set(auth)).body;
      return v.status === 'sent' && v;
    }, 'sticker sent');
    expect(view).toMatchObject({ amojo_msgid: sticker.amojoId, attempts: 1 });
  });

  it("an edit goes out as amojo's edit_message; a caption changes without re-sending the file", async () => {
    const conversation_id = `conv-e-${newId()}`;
    const text = await sentMessage(conversation_id, 'helo');
    const edited = await post('/edits', { msgid: text.msgid, message: { type: 'text', text: 'hello' } });
    expect(edited.status).toBe(202);
    expect(edited.body).toEqual({ id: text.id, msgid: text.msgid, status: 'queued' });
    await waitFor(() => inAmojo(text.msgid)!.edits.length === 1, 'edit in amojo');
    expect(inAmojo(text.msgid)!.message).toMatchObject({ type: 'text', text: 'hello' });

    const picture = await sentMessage(conversation_id, 'unused', {
      message: { type: 'picture', media: 'https://cdn.example.com/p.jpg', file_name: 'p.jpg', file_size: 10, text: 'old caption' },
    });
    expect((await post('/edits', { msgid: picture.msgid, message: { type: 'picture', text: 'new caption' } })).status).toBe(202);
    await waitFor(() => inAmojo(picture.msgid)!.edits.length === 1, 'caption edit in amojo');
    expect(inAmojo(picture.msgid)!.message).toMatchObject({ type: 'picture', text: 'new caption' });

    const unknown = await post('/edits', { msgid: 'never-sent', message: { type: 'text', text: 'x' } });
    expect([unknown.status, unknown.body.error.code]).toEqual([422, 'unknown_target']);
  });

  it("reactions are set and removed on the customer's own message and on a manager's", async () => {
    const conversation_id = `conv-r-${newId()}`;
    const mine = await sentMessage(conversation_id, 'photo of the parcel');
    const reply = await h.emulator.control.managerReply({ scopeId: scope(), conversationId: conversation_id, text: 'got it' });
    const sender_id = `cust-${conversation_id}`;
    for (const target of [{ msgid: mine.msgid }, { id: reply.messageId }]) {
      const amojoId = 'id' in target ? target.id! : mine.amojoId;
      const set = await post('/reactions', { conversation_id, sender_id, target, emoji: '👍' });
      expect(set.status).toBe(202);
      const removed = await post('/reactions', { conversation_id, sender_id, target, emoji: '👍', remove: true });
      expect(removed.status).toBe(202);
      await waitFor(() => h.emulator.control.getMessage(amojoId)!.reactions.length === 2, 'both reactions in amojo');
      expect(h.emulator.control.getMessage(amojoId)!.reactions.map((r) => [r.type, r.emoji])).toEqual([
        ['react', '👍'],
        ['unreact', '👍'],
      ]);
    }
    const elsewhere = await post('/reactions', { conversation_id: 'another-conversation', sender_id, target: { msgid: mine.msgid }, emoji: '👍' });
    expect([elsewhere.status, elsewhere.body.error.code]).toEqual([422, 'unknown_target']);
  });

  it('direction "out" imports what the business sent outside amoCRM as the channel bot\'s outgoing message', async () => {
    const conversation_id = `conv-o-${newId()}`;
    await sentMessage(conversation_id, 'is it in stock?');
    const res = await post('/messages', {
      conversation_id,
      direction: 'out',
      receiver: { id: `cust-${conversation_id}`, name: 'Ann' },
      message: { type: 'text', text: 'yes, sent from my phone' },
    });
    expect(res.status).toBe(202);
    const record = await waitFor(() => inAmojo(res.body.msgid), 'outgoing import in amojo');
    const botId = h.emulator.control.listChannels().find((c) => c.id === h.emulator.channelId)!.botId;
    expect(record).toMatchObject({ direction: 'out', senderId: botId });
    const chats = h.emulator.control.listChats(scope()).filter((c) => c.conversationId === conversation_id);
    expect(chats).toHaveLength(1);
    expect(record.chatId).toBe(chats[0]!.id);

    const withSender = await post('/messages', {
      conversation_id,
      direction: 'out',
      sender: { id: 'x', name: 'X' },
      receiver: { id: 'c', name: 'C' },
      message: { type: 'text', text: 'x' },
    });
    expect(withSender.status).toBe(400);
  });

  it('message.failed: a message amojo refuses after its 202 is reported to the provider, signed', async () => {
    h.emulator.control.failNext(1, 400);
    const conversation_id = `conv-f-${newId()}`;
    const res = await post('/messages', { conversation_id, msgid: `f-${newId()}`, sender: { id: 'c-f', name: 'F' }, message: { type: 'text', text: 'lost?' } });
    expect(res.status).toBe(202);
    const failed = await event('message.failed', (d) => d.id === res.body.id);
    expect(failed.verified).toBe(true);
    expect(failed.body).toMatchObject({
      account: 'alice',
      data: { id: res.body.id, msgid: res.body.msgid, conversation_id, error: { code: 'rejected', message: expect.stringContaining('400') } },
    });
    expect((await request(h.app).get(`/api/v1/messages/${res.body.id}`).set(auth)).body.status).toBe('failed');
  });

  it('message.failed: a message whose every attempt fails is reported undeliverable', async () => {
    h.emulator.control.failNext(20, 503);
    const conversation_id = `conv-d-${newId()}`;
    const res = await post('/messages', { conversation_id, sender: { id: 'c-d', name: 'D' }, message: { type: 'text', text: 'into the void' } });
    const failed = await event('message.failed', (d) => d.id === res.body.id);
    h.emulator.control.clearFaults();
    expect(failed.body.data).toMatchObject({
      msgid: res.body.msgid,
      conversation_id,
      error: { code: 'undeliverable', message: expect.stringContaining('503') },
    });
    expect((await request(h.app).get(`/api/v1/messages/${res.body.id}`).set(auth)).body).toMatchObject({ status: 'dead', attempts: 4 });
  });

  it('statuses never step back: a late "delivered" after "read" is acknowledged and not forwarded', async () => {
    const conversation_id = `conv-s-${newId()}`;
    await sentMessage(conversation_id, 'hello');
    const reply = await h.emulator.control.managerReply({ scopeId: scope(), conversationId: conversation_id, text: 'hi' });
    await event('message.created', (d) => d.id === reply.messageId);
    const read = await request(h.app).post(`/api/v1/messages/${reply.messageId}/status`).set(auth).send({ status: 'read' });
    expect(read.body).toMatchObject({ status: 'read', report: 'queued' });
    const late = await request(h.app).post(`/api/v1/messages/${reply.messageId}/status`).set(auth).send({ status: 'delivered' });
    expect(late.status).toBe(202);
    expect(late.body).toMatchObject({ status: 'read', report: 'ignored' });
    await waitFor(() => h.emulator.control.getMessage(reply.messageId)!.deliveryHistory.length > 0, 'read in amojo');
    await sleep(200);
    expect(h.emulator.control.getMessage(reply.messageId)!.deliveryHistory.map((d) => d.status)).toEqual([2]);
  });
});

describe('direction "out" without AMOJO_BOT_ID', () => {
  let h: RelayHarness;
  beforeAll(async () => {
    h = await createRelayHarness({ startWorker: false });
  });
  afterAll(() => h.close());

  it('is refused with 400 bot_not_configured, naming the variable', async () => {
    const res = await request(h.app)
      .post('/api/v1/messages')
      .set(auth)
      .send({ account: 'alice', conversation_id: 'c-1', direction: 'out', receiver: { id: 'c', name: 'C' }, message: { type: 'text', text: 'x' } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('bot_not_configured');
    expect(res.body.error.message).toContain('AMOJO_BOT_ID');
  });

  it('edits and reactions check their bodies and the token like every /api/v1 route', async () => {
    const bad: Array<[string, Record<string, unknown>]> = [
      ['/edits', { account: 'alice', message: { type: 'text', text: 'x' } }],
      ['/edits', { account: 'alice', msgid: 'm', message: { type: 'text' } }],
      ['/reactions', { account: 'alice', conversation_id: 'c', sender_id: 's', target: {}, emoji: '👍' }],
      ['/reactions', { account: 'alice', conversation_id: 'c', sender_id: 's', target: { msgid: 'a', id: 'b' }, emoji: '👍' }],
      ['/reactions', { account: 'alice', conversation_id: 'c', sender_id: 's', target: { msgid: 'a' }, emoji: '' }],
    ];
    for (const [path, body] of bad) {
      const res = await request(h.app).post(`/api/v1${path}`).set(auth).send(body);
      expect([path, res.status, res.body.error.code]).toEqual([path, 400, 'invalid_request']);
    }
    for (const path of ['/edits', '/reactions']) expect((await request(h.app).post(`/api/v1${path}`).send({})).status).toBe(401);
  });
});
