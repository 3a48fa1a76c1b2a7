import { messageHookSchema, parseWebhook, reactionHookSchema, reactionTargetId, typingHookSchema, writeFirstMessageHookSchema } from '@amochan/amojo/schemas';
import { AmojoInvalidSignatureError, signWebhookBody, verifyAndParseWebhook } from '@amochan/amojo';
import { buildReactionHook, buildTypingHook, buildWriteFirstHook } from '@amochan/amojo/testing';

const messageHook = {
  account_id: 'acc-amojo',
  time: 1639572261,
  message: {
    receiver: { id: 'amojo-client', client_id: 'our-user', name: 'Client', phone: '79161234567', email: '' },
    sender: { id: 'amojo-manager', name: 'Manager' },
    conversation: { id: 'amojo-chat', client_id: 'our-conv' },
    source: { external_id: 'line-1' },
    timestamp: 1639572260,
    msec_timestamp: 1639572260980,
    message: {
      id: 'amojo-msg',
      type: 'picture',
      text: 'look',
      markup: { mode: 'inline', buttons: [[{ text: 'Yes' }]] },
      template: { id: 7, content: 'hi {{name}}' },
      tag: '',
      media: 'https://amojo.amocrm.ru/attachments/x.jpg',
      thumbnail: 'https://amojo.amocrm.ru/attachments/x-thumb.jpg',
      file_name: 'x.jpg',
      file_size: 1234,
      media_group_id: 'grp-1',
      reply_to: { message: { id: 'old', text: 'quoted' } },
      forwards: { messages: [{ id: 'fwd' }] },
    },
  },
};

const writeFirst = buildWriteFirstHook({
  accountId: 'acc-amojo',
  time: 1639572261,
  phone: '79161234567',
  chatId: 'amojo-chat',
  message: { text: 'Hello, we saw your order' },
});

const typingHook = buildTypingHook({ accountId: 'acc', time: 1, userId: 'mgr', chatId: 'chat', conversationId: 'conv', expiredAt: 1639572270 });
const reactionBase = { accountId: 'acc', time: 1, userId: 'mgr', chatId: 'chat', conversationId: 'conv', emoji: '👍' };

describe('message hook', () => {
  it('parses the full v2 hook and keeps markup, template, media_group_id, reply_to, forwards', () => {
    const r = parseWebhook(JSON.stringify(messageHook));
    expect(r).toMatchObject({ ok: true, hook: { kind: 'message', writeFirst: false } });
    if (!r.ok || r.hook.kind !== 'message') throw new Error('expected a message hook');
    expect(r.hook.data).toEqual(messageHook);
  });

  it('recognises write-first: no client ids, receiver.phone present, empty strings accepted', () => {
    const r = parseWebhook(writeFirst);
    expect(r).toMatchObject({ ok: true, hook: { kind: 'message', writeFirst: true } });
    expect(writeFirstMessageHookSchema.safeParse(writeFirst).success).toBe(true);
    expect(writeFirstMessageHookSchema.safeParse(messageHook).success).toBe(false);
    const noPhone = { ...writeFirst, message: { ...writeFirst.message, receiver: { id: 'amojo-client' } } };
    expect(writeFirstMessageHookSchema.safeParse(noPhone).success).toBe(false);
    // An empty client_id counts as absent.
    const emptyIds = { ...writeFirst, message: { ...writeFirst.message, conversation: { id: 'amojo-chat', client_id: '' } } };
    expect(parseWebhook(emptyIds)).toMatchObject({ ok: true, hook: { writeFirst: true } });
  });

  it('keeps unknown fields at every level, and tolerates an unknown message type', () => {
    const hook = {
      ...messageHook,
      brand_new: { x: 1 },
      message: { ...messageHook.message, extra: true, message: { ...messageHook.message.message, type: 'poll', poll: { q: '?' } } },
    };
    const parsed = messageHookSchema.parse(hook);
    expect(parsed).toHaveProperty('brand_new', { x: 1 });
    expect(parsed.message).toHaveProperty('extra', true);
    expect(parsed.message.message).toHaveProperty('poll', { q: '?' });
  });

  it('rejects a hook without the ids needed to route it', () => {
    const noMsgId = { ...messageHook, message: { ...messageHook.message, message: { type: 'text' } } };
    const r = parseWebhook(noMsgId);
    expect(r).toMatchObject({ ok: false, reason: 'invalid_shape', kind: 'message' });
    if (r.ok) throw new Error('expected failure');
    expect(r.issues[0]!.path).toEqual(['message', 'message', 'id']);
  });
});

describe('typing and reaction hooks', () => {
  it('typing', () => {
    expect(parseWebhook(typingHook)).toMatchObject({ ok: true, hook: { kind: 'typing', data: typingHook } });
    expect(typingHookSchema.safeParse({ ...typingHook, action: { typing: { conversation: { id: 'c' } } } }).success).toBe(false);
  });

  it('reaction with action.reaction.msgid', () => {
    const hook = buildReactionHook({ ...reactionBase, messageId: 'amojo-msg', layout: 'msgid' });
    const r = parseWebhook(hook);
    expect(r).toMatchObject({ ok: true, hook: { kind: 'reaction' } });
    expect(reactionTargetId(reactionHookSchema.parse(hook).action.reaction)).toBe('amojo-msg');
  });

  it('reaction with action.reaction.message{...}', () => {
    const hook = buildReactionHook({ ...reactionBase, type: 'unreact', messageId: 'amojo-msg', messageClientId: 'ours' });
    expect(parseWebhook(hook)).toMatchObject({ ok: true, hook: { kind: 'reaction' } });
    expect(reactionTargetId(reactionHookSchema.parse(hook).action.reaction)).toBe('amojo-msg');
  });

  it('reaction naming no message fails', () => {
    const hook = buildReactionHook({ ...reactionBase, messageId: '', layout: 'msgid' });
    expect(parseWebhook(hook)).toMatchObject({ ok: false, reason: 'invalid_shape', kind: 'reaction' });
  });
});

describe('parseWebhook failures', () => {
  it('invalid JSON, unknown kinds, non-objects', () => {
    expect(parseWebhook('{nope')).toMatchObject({ ok: false, reason: 'invalid_json' });
    expect(parseWebhook('{"account_id":"a","action":{"delete":{}}}')).toMatchObject({ ok: false, reason: 'unknown_kind' });
    expect(parseWebhook(null)).toMatchObject({ ok: false, reason: 'unknown_kind' });
    expect(parseWebhook([messageHook])).toMatchObject({ ok: false, reason: 'unknown_kind' });
  });

  it('accepts raw bytes', () => {
    expect(parseWebhook(Buffer.from(JSON.stringify(typingHook)))).toMatchObject({ ok: true, hook: { kind: 'typing' } });
  });
});

describe('verifyAndParseWebhook', () => {
  const secret = 'channel-secret';
  const raw = JSON.stringify(messageHook);

  it('verifies the raw bytes first, then parses', () => {
    expect(verifyAndParseWebhook(Buffer.from(raw), signWebhookBody(raw, secret), secret)).toMatchObject({ ok: true, hook: { kind: 'message' } });
  });

  it('throws AmojoInvalidSignatureError on a bad signature or a missing secret', () => {
    expect(() => verifyAndParseWebhook(raw, signWebhookBody(raw, 'other'), secret)).toThrow(AmojoInvalidSignatureError);
    expect(() => verifyAndParseWebhook(raw, signWebhookBody(raw, ''), '')).toThrow(/AMOJO_CHANNEL_SECRET/);
    let thrown: unknown;
    try {
      verifyAndParseWebhook(raw, undefined, secret);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ code: 'invalid_signature', name: 'AmojoInvalidSignatureError' });
  });
});
