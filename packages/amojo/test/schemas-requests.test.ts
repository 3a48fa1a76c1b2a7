import {
  amojoErrorBodySchema,
  connectRequestSchema,
  connectResponseSchema,
  createChatRequestSchema,
  createChatResponseSchema,
  deliveryStatusRequestSchema,
  disconnectRequestSchema,
  historyResponseSchema,
  newMessageResponseSchema,
  reactRequestSchema,
  typingRequestSchema,
} from '@amochan/amojo/schemas';

const ok = (s: { safeParse(v: unknown): { success: boolean } }, v: unknown) => s.safeParse(v).success;

describe('request schemas', () => {
  it('connect requires hook_api_version v2', () => {
    expect(ok(connectRequestSchema, { account_id: 'a', hook_api_version: 'v2', title: 'T', is_time_window_disabled: true })).toBe(true);
    expect(ok(connectRequestSchema, { account_id: 'a', hook_api_version: 'v1' })).toBe(false);
    expect(ok(connectRequestSchema, { account_id: 'a' })).toBe(false);
    expect(ok(disconnectRequestSchema, { account_id: '' })).toBe(false);
  });

  it('create chat', () => {
    // The docs require user.name on create chat.
    expect(ok(createChatRequestSchema, { conversation_id: 'c', user: { id: 'u' } })).toBe(false);
    expect(ok(createChatRequestSchema, { conversation_id: 'c', user: { id: 'u', name: '' } })).toBe(false);
    expect(ok(createChatRequestSchema, { conversation_id: 'c', user: { id: 'u', name: 'Ann' } })).toBe(true);
    expect(
      ok(createChatRequestSchema, {
        conversation_id: 'c',
        source: { external_id: 'line' },
        user: { id: 'u', name: 'N', ref_id: 'r', avatar: 'https://a/b.png', profile: { phone: '+7', email: 'e@x' }, profile_link: 'https://p' },
      }),
    ).toBe(true);
    expect(ok(createChatRequestSchema, { conversation_id: 'c', user: {} })).toBe(false);
    expect(ok(createChatRequestSchema, { conversation_id: 'c', user: { id: 'u', avatar: 'not a url' } })).toBe(false);
  });

  it('delivery_status: 1 / 2 / -1, codes 901..905, 905 needs error text', () => {
    expect(ok(deliveryStatusRequestSchema, { msgid: 'm', delivery_status: 1 })).toBe(true);
    expect(ok(deliveryStatusRequestSchema, { msgid: 'm', delivery_status: 2 })).toBe(true);
    expect(ok(deliveryStatusRequestSchema, { msgid: 'm', delivery_status: -1, error_code: 901 })).toBe(true);
    expect(ok(deliveryStatusRequestSchema, { msgid: 'm', delivery_status: -1, error_code: 905, error: 'blocked' })).toBe(true);
    expect(ok(deliveryStatusRequestSchema, { msgid: 'm', delivery_status: -1, error_code: 905 })).toBe(false);
    expect(ok(deliveryStatusRequestSchema, { msgid: 'm', delivery_status: -1, error_code: 905, error: '  ' })).toBe(false);
    expect(ok(deliveryStatusRequestSchema, { msgid: 'm', delivery_status: 3 })).toBe(false);
    expect(ok(deliveryStatusRequestSchema, { msgid: 'm', delivery_status: -1, error_code: 900 })).toBe(false);
  });

  it('typing', () => {
    expect(ok(typingRequestSchema, { conversation_id: 'c', sender: { id: 's' }, duration_ms: 3000 })).toBe(true);
    expect(ok(typingRequestSchema, { conversation_id: 'c', sender: {} })).toBe(false);
  });

  it('react: either conversation id, either message id, a user id', () => {
    expect(ok(reactRequestSchema, { conversation_id: 'c', msgid: 'm', user: { id: 'u' }, type: 'react', emoji: '👍' })).toBe(true);
    expect(ok(reactRequestSchema, { conversation_ref_id: 'c', id: 'm', user: { ref_id: 'u' }, type: 'unreact' })).toBe(true);
    expect(ok(reactRequestSchema, { msgid: 'm', user: { id: 'u' }, type: 'react' })).toBe(false);
    expect(ok(reactRequestSchema, { conversation_id: 'c', user: { id: 'u' }, type: 'react' })).toBe(false);
    expect(ok(reactRequestSchema, { conversation_id: 'c', msgid: 'm', user: {}, type: 'react' })).toBe(false);
    expect(ok(reactRequestSchema, { conversation_id: 'c', msgid: 'm', user: { id: 'u' }, type: 'like' })).toBe(false);
  });
});

describe('response schemas', () => {
  it('connect, with and without is_time_window_disabled', () => {
    expect(ok(connectResponseSchema, { account_id: 'a', scope_id: 's', title: 'T', hook_api_version: 'v2' })).toBe(true);
    expect(ok(connectResponseSchema, { account_id: 'a', scope_id: 's', title: 'T', hook_api_version: 'v2', is_time_window_disabled: false })).toBe(true);
    expect(ok(connectResponseSchema, { account_id: 'a' })).toBe(false);
  });

  it('create chat: flat and nested user contacts', () => {
    expect(ok(createChatResponseSchema, { id: 'c', user: { id: 'u', client_id: 'x', name: 'N', phone: '+7', email: 'e' } })).toBe(true);
    expect(ok(createChatResponseSchema, { id: 'c', user: { id: 'u', client_id: 'x', name: 'N', profile: { phone: '+7' } } })).toBe(true);
  });

  it('new_message: only msgid is required, extras kept', () => {
    expect(newMessageResponseSchema.parse({ new_message: { msgid: 'x', later_field: 1 } }).new_message).toEqual({ msgid: 'x', later_field: 1 });
    expect(ok(newMessageResponseSchema, { new_message: { ref_id: 'mine' } })).toBe(false);
  });

  it('history is lenient about nulls and empty strings', () => {
    expect(ok(historyResponseSchema, { messages: [{ sender: null, message: { id: '', file_size: null, media: '' } }, {}] })).toBe(true);
    expect(ok(historyResponseSchema, {})).toBe(false);
  });

  it('amojo error body', () => {
    expect(ok(amojoErrorBodySchema, { status: 0, error_code: 403, error_type: 'ORIGIN_INVALID_SIGNATURE', error_description: 'invalid signature' })).toBe(true);
    expect(ok(amojoErrorBodySchema, { foo: 1 })).toBe(false);
  });
});
