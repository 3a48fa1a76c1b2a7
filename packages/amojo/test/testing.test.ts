import { parseWebhook, verifyWebhookSignature, writeFirstMessageHookSchema } from '@amochan/amojo';
import { buildMessageHook, buildReactionHook, buildTypingHook, buildWriteFirstHook, createTestClock, signHook } from '@amochan/amojo/testing';

describe('signHook', () => {
  it('signs the exact bytes the way amojo does, so a receiver verifies them', () => {
    const hook = buildMessageHook({ accountId: 'acc' });
    const signed = signHook(hook, 'channel-secret');
    expect(signed.body).toBe(JSON.stringify(hook));
    expect(signed.headers).toEqual({
      'Content-Type': 'application/json',
      'X-Signature': expect.stringMatching(/^[0-9a-f]{40}$/),
      'User-Agent': 'amoCRM amoJo/1.0',
    });
    expect(verifyWebhookSignature(signed.body, signed.headers['X-Signature'], 'channel-secret')).toBe(true);
    expect(verifyWebhookSignature(signed.body, signed.headers['X-Signature'], 'other')).toBe(false);
  });

  it('uses a string body verbatim and refuses an empty secret', () => {
    const raw = '{"account_id":"a", "time":1}';
    expect(signHook(raw, 's').body).toBe(raw);
    expect(() => signHook(raw, '')).toThrow(/secret is empty/);
  });
});

describe('hook builders', () => {
  it('a manager message: sender is {id} only, receiver {id, client_id, phone, email} with "" for unknowns', () => {
    const hook = buildMessageHook({
      accountId: 'acc',
      time: 1639572261,
      chatId: 'chat',
      conversationId: 'conv',
      senderId: 'mgr',
      messageId: 'm1',
      receiver: { id: 'r1', clientId: 'u1' },
    });
    expect(hook).toEqual({
      account_id: 'acc',
      time: 1639572261,
      message: {
        receiver: { id: 'r1', client_id: 'u1', phone: '', email: '' },
        sender: { id: 'mgr' },
        conversation: { id: 'chat', client_id: 'conv' },
        timestamp: 1639572261,
        msec_timestamp: 1639572261000,
        message: { id: 'm1', type: 'text', text: 'Hello from amoCRM', markup: null, tag: '', media: '', thumbnail: '', file_name: '', file_size: 0 },
      },
    });
    expect(parseWebhook(hook)).toMatchObject({ ok: true, hook: { kind: 'message', writeFirst: false } });
  });

  it('message fields, a source and the optional sender name can be set', () => {
    const hook = buildMessageHook({
      senderName: 'Olga',
      sourceExternalId: 'line-1',
      message: { type: 'picture', media: 'https://x.test/a.jpg', file_name: 'a.jpg', file_size: 5, media_group_id: 'g' },
    });
    expect(hook.message.sender.name).toBe('Olga');
    expect(hook.message.source).toEqual({ external_id: 'line-1' });
    expect(hook.message.message).toMatchObject({ type: 'picture', media: 'https://x.test/a.jpg', media_group_id: 'g', text: 'Hello from amoCRM' });
  });

  it('write first: no client ids at all, and the chosen phone', () => {
    const hook = buildWriteFirstHook({ phone: '79161234567' });
    expect(hook.message.conversation).not.toHaveProperty('client_id');
    expect(hook.message.receiver).toEqual({ id: expect.any(String), phone: '79161234567', email: '' });
    expect(writeFirstMessageHookSchema.safeParse(hook).success).toBe(true);
    expect(parseWebhook(hook)).toMatchObject({ ok: true, hook: { writeFirst: true } });
  });

  it('typing', () => {
    const hook = buildTypingHook({ time: 100, userId: 'mgr', chatId: 'chat', conversationId: 'conv' });
    expect(hook).toEqual({
      account_id: expect.any(String),
      time: 100,
      action: { typing: { user: { id: 'mgr' }, conversation: { id: 'chat', client_id: 'conv' }, expired_at: 105 } },
    });
    expect(parseWebhook(hook)).toMatchObject({ ok: true, hook: { kind: 'typing' } });
  });

  it('reactions in both documented layouts', () => {
    const byMessage = buildReactionHook({ messageId: 'm1', messageClientId: 'ours-1', emoji: '❤️' });
    expect(byMessage.action.reaction).toMatchObject({ message: { id: 'm1', client_id: 'ours-1' }, type: 'react', emoji: '❤️' });
    const byMsgid = buildReactionHook({ messageId: 'm1', layout: 'msgid', type: 'unreact' });
    expect(byMsgid.action.reaction).toEqual({
      msgid: 'm1',
      user: { id: expect.any(String) },
      conversation: { id: expect.any(String), client_id: 'conversation-1' },
      type: 'unreact',
    });
    for (const hook of [byMessage, byMsgid]) expect(parseWebhook(hook)).toMatchObject({ ok: true, hook: { kind: 'reaction' } });
  });
});

describe('createTestClock', () => {
  it('moves only when told, and reads as ms, Date and seconds', () => {
    const clock = createTestClock('2024-05-01T10:00:00Z');
    const { now, date } = clock;
    expect(now()).toBe(Date.UTC(2024, 4, 1, 10));
    clock.advance(1500);
    expect(now()).toBe(Date.UTC(2024, 4, 1, 10) + 1500);
    expect(date()).toEqual(new Date(Date.UTC(2024, 4, 1, 10, 0, 1, 500)));
    expect(clock.seconds()).toBe(Date.UTC(2024, 4, 1, 10) / 1000 + 1);
    clock.set(0);
    expect(now()).toBe(0);
    expect(() => clock.set('not a date')).toThrow(RangeError);
  });
});
