import type { Conversation, NewOutboxEntry, StoredMessage, WebhookReceipt } from '../../src/storage/types';

/** Builders for storage test records: sensible defaults, override what a test is about. */
export function conversation(over: Partial<Conversation> = {}): Conversation {
  return {
    id: 'c1',
    login: 'shop',
    scopeId: 'scope-1',
    conversationId: 'conv-1',
    amojoChatId: null,
    clientId: 'client-1',
    clientRefId: null,
    phone: null,
    state: 'active',
    refBound: false,
    channelId: null,
    createdAt: 1,
    updatedAt: 1,
    lastActivityAt: 1,
    ...over,
  };
}

export function message(over: Partial<StoredMessage> = {}): StoredMessage {
  return {
    id: 'm1',
    direction: 'inbound',
    login: 'shop',
    scopeId: 'scope-1',
    conversationId: 'conv-1',
    amojoChatId: null,
    msgid: 'k1',
    amojoMsgId: null,
    senderRefId: null,
    status: 'queued',
    lastError: null,
    payload: { text: 'hello' },
    createdAt: 1,
    updatedAt: 1,
    ...over,
  };
}

export function entry(id: string, over: Partial<NewOutboxEntry> = {}): NewOutboxEntry {
  return { id, destination: 'amojo', kind: 'new_message', orderingKey: 'conv:shop:conv-1', payload: { id }, messageId: null, ...over };
}

export function receipt(key: string, kind: WebhookReceipt['kind'] = 'message'): WebhookReceipt {
  return { key, scopeId: 'scope-1', kind, raw: '{"raw":true}', receivedAt: 1 };
}
