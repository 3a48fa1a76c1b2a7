import request from 'supertest';
import { buildMessageHook, buildWriteFirstHook } from '@amochan/amojo/testing';
import { createRelayHarness, newId, signHook, type RelayHarness } from '../support/relay-harness';

describe('amojo webhook receiver', () => {
  let h: RelayHarness;
  beforeAll(async () => {
    h = await createRelayHarness({ startWorker: false });
  });
  afterAll(() => h.close());

  const secret = () => h.emulator.secret;
  const scope = () => h.connection.scopeId;
  const accountId = () => h.connection.amojoAccountId;
  const postHook = (raw: string, signature: string | null, scopeId = scope(), contentType = 'application/json') => {
    const req = request(h.app).post(`/amojo/v1/webhook/${scopeId}`).set('Content-Type', contentType);
    if (signature !== null) req.set('X-Signature', signature);
    return req.send(raw);
  };
  const providerEntries = async () => (await h.store.outbox.list({})).filter((e) => e.destination === 'provider');

  it('stores a manager message and queues one message.created event (200)', async () => {
    const hook = buildMessageHook({
      accountId: accountId(),
      chatId: newId(),
      conversationId: 'conv-1',
      receiver: { clientId: 'cust-1' },
      message: { text: 'hello from the manager' },
    });
    const { raw, signature } = signHook(hook, secret());
    const before = (await providerEntries()).length;
    const res = await postHook(raw, signature);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'accepted' });
    const entries = await providerEntries();
    expect(entries).toHaveLength(before + 1);
    const entry = entries[entries.length - 1]!;
    expect(entry.orderingKey).toBe(`conv:${scope()}:${hook.message.conversation.id}`);
    expect(entry.payload).toMatchObject({
      id: expect.stringMatching(/^evt_/),
      type: 'message.created',
      account: 'alice',
      created_at: expect.any(Number),
      data: {
        id: hook.message.message.id,
        conversation: { id: 'conv-1', ref_id: hook.message.conversation.id },
        receiver: { id: 'cust-1', ref_id: hook.message.receiver.id },
        // amoCRM's hook names no manager: the event says so instead of inventing one.
        sender: { ref_id: hook.message.sender.id, name: null },
        message: { type: 'text', text: 'hello from the manager', media: '', thumbnail: '', file_name: '', file_size: 0, tag: '' },
        timestamp: hook.message.timestamp,
      },
    });
    const message = await h.store.messages.getByAmojoMsgId(hook.message.message.id);
    // Who wrote it is kept: the intake refuses that id as a customer's ref_id.
    expect(message).toMatchObject({ direction: 'outbound', status: 'queued', conversationId: 'conv-1', senderRefId: hook.message.sender.id });
  });

  it('keeps unknown fields of the hook message', async () => {
    const hook = buildMessageHook({ accountId: accountId(), chatId: newId(), conversationId: 'conv-x' });
    (hook.message.message as Record<string, unknown>).future_field = { a: 1 };
    (hook.message.message as Record<string, unknown>).markup = { buttons: [] };
    const { raw, signature } = signHook(hook, secret());
    expect((await postHook(raw, signature)).status).toBe(200);
    const entry = (await h.store.outbox.get(`obx_${(await h.store.messages.getByAmojoMsgId(hook.message.message.id))!.id}`))!;
    expect((entry.payload as any).data.message).toMatchObject({ future_field: { a: 1 }, markup: { buttons: [] } });
  });

  it('a duplicate hook → 200 duplicate, one event', async () => {
    const hook = buildMessageHook({ accountId: accountId(), chatId: newId(), conversationId: 'conv-dup' });
    const { raw, signature } = signHook(hook, secret());
    expect((await postHook(raw, signature)).body.status).toBe('accepted');
    const count = (await providerEntries()).length;
    const again = await postHook(raw, signature);
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('duplicate');
    expect(await providerEntries()).toHaveLength(count);
  });

  it('bad, missing or wrong-secret signature → 401, nothing stored', async () => {
    const hook = buildMessageHook({ accountId: accountId(), chatId: newId(), conversationId: 'conv-sig' });
    const { raw } = signHook(hook, secret());
    const receipts = await h.store.receipts.count();
    for (const signature of ['00'.repeat(20), null, signHook(hook, 'another-secret').signature, '']) {
      const res = await postHook(raw, signature);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('invalid_signature');
    }
    // Re-serialising the body breaks the signature: it is checked on the raw bytes.
    const reformatted = JSON.stringify(hook, null, 2);
    expect((await postHook(reformatted, signHook(hook, secret()).signature)).status).toBe(401);
    expect(await h.store.receipts.count()).toBe(receipts);
    expect(await h.store.messages.getByAmojoMsgId(hook.message.message.id)).toBeNull();
  });

  it('refuses before reading the body: no signature is 401, an unknown scope 404 whatever the signature', async () => {
    expect((await postHook('{}', null, 'unknown-scope')).status).toBe(401);
    const res = await postHook('{}', 'deadbeef', 'unknown-scope');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('unknown_scope');
  });

  it('unknown scope → 404 unknown_scope', async () => {
    const hook = buildMessageHook({ accountId: accountId(), chatId: newId(), conversationId: 'c' });
    const { raw, signature } = signHook(hook, secret());
    const res = await postHook(raw, signature, `${h.emulator.channelId}_${newId()}`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('unknown_scope');
  });

  it.each([
    ['not JSON', 'this is not json'],
    ['a message hook without ids', JSON.stringify({ account_id: 'a', message: { message: { type: 'text' } } })],
    ['a typing hook without conversation', JSON.stringify({ account_id: 'a', action: { typing: { user: { id: 'u' } } } })],
  ])('malformed (%s) → 400 invalid_request', async (_name, raw) => {
    const res = await postHook(raw, signHook(raw, secret()).signature);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
  });

  it('a hook of an unknown kind is kept and answered 200 ignored', async () => {
    const raw = JSON.stringify({ account_id: accountId(), time: 1, action: { something_new: {} } });
    const res = await postHook(raw, signHook(raw, secret()).signature);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ignored');
  });

  it('accepts any content type (amojo does not promise one)', async () => {
    const hook = buildMessageHook({ accountId: accountId(), chatId: newId(), conversationId: 'conv-ct' });
    const { raw, signature } = signHook(hook, secret());
    expect((await postHook(raw, signature, scope(), 'text/plain')).status).toBe(200);
  });

  it('typing and reaction hooks become events, deduplicated by content hash', async () => {
    const chatId = newId();
    const typing = {
      account_id: accountId(),
      time: 100,
      action: { typing: { user: { id: 'mgr-1' }, conversation: { id: chatId, client_id: 'conv-t' }, expired_at: 105 } },
    };
    const t = signHook(typing, secret());
    expect((await postHook(t.raw, t.signature)).body.status).toBe('accepted');
    expect((await postHook(t.raw, t.signature)).body.status).toBe('duplicate');
    const reaction = {
      account_id: accountId(),
      time: 101,
      action: {
        reaction: { message: { id: 'amojo-msg-1' }, user: { id: 'mgr-1' }, conversation: { id: chatId, client_id: 'conv-t' }, type: 'react', emoji: '👍' },
      },
    };
    const r = signHook(reaction, secret());
    expect((await postHook(r.raw, r.signature)).body.status).toBe('accepted');
    expect((await postHook(r.raw, r.signature)).body.status).toBe('duplicate');
    const events = (await providerEntries()).map((e) => e.payload as any).filter((p) => p.type === 'typing' || p.type === 'reaction');
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ type: 'typing', data: { conversation: { id: 'conv-t', ref_id: chatId }, user: { ref_id: 'mgr-1' }, expired_at: 105 } });
    expect(events[1]).toMatchObject({
      type: 'reaction',
      data: {
        conversation: { id: 'conv-t', ref_id: chatId },
        message: { id: 'amojo-msg-1', msgid: null },
        user: { ref_id: 'mgr-1' },
        type: 'react',
        emoji: '👍',
      },
    });
  });

  it('write first: event with conversation.id null and receiver.phone; a pending conversation is stored', async () => {
    const chatId = newId();
    const receiverId = newId();
    const hook = buildWriteFirstHook({ accountId: accountId(), chatId, receiverId, phone: '79161234567', message: { text: 'Hello, this is your manager' } });
    const { raw, signature } = signHook(hook, secret());
    expect((await postHook(raw, signature)).status).toBe(200);
    const message = (await h.store.messages.getByAmojoMsgId(hook.message.message.id))!;
    const entry = (await h.store.outbox.get(`obx_${message.id}`))!;
    expect(entry.payload).toMatchObject({
      type: 'message.created',
      data: { conversation: { id: null, ref_id: chatId }, receiver: { id: null, ref_id: receiverId, phone: '79161234567' } },
    });
    const conversation = await h.store.conversations.getByAmojoChatId(scope(), chatId);
    expect(conversation).toMatchObject({
      state: 'pending',
      conversationId: null,
      amojoChatId: chatId,
      clientRefId: receiverId,
      phone: '79161234567',
      refBound: false,
    });
  });
});
