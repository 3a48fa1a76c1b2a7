import type { Connection, Conversation, NewOutboxEntry, StoredMessage, WebhookReceipt } from '../../src/storage/types';

/**
 * Builders for the records tests put in (or expect from) a store: every field filled with a sensible
 * default, so a test names only what it is about and a new column is added here once.
 */

/** A connected binding of login "shop" (amojo account "amojo-1" on scope "scope-1"), no amoCRM account. */
export function connection(over: Partial<Connection> = {}): Connection {
  return {
    amojoAccountId: 'amojo-1',
    login: 'shop',
    scopeId: 'scope-1',
    title: null,
    status: 'connected',
    amocrmAccountId: null,
    pipelineId: null,
    connectedAt: 1,
    disconnectedAt: null,
    updatedAt: 1,
    ...over,
  };
}

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
