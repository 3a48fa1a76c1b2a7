import type { Connection, Conversation, NewOutboxEntry, OutboxEntry, StoredMessage } from '../types';

/** Row → record mappers (snake_case columns, BIGINTs already numbers via the pool's type parser). */
type Row = Record<string, unknown>;

export const toConnection = (r: Row): Connection => ({
  amojoAccountId: r.amojo_account_id as string,
  login: r.login as string,
  scopeId: r.scope_id as string,
  title: r.title as string | null,
  status: r.status as Connection['status'],
  amocrmAccountId: r.amocrm_account_id as number | null,
  pipelineId: r.pipeline_id as number | null,
  connectedAt: r.connected_at as number,
  disconnectedAt: r.disconnected_at as number | null,
  updatedAt: r.updated_at as number,
});

export const toConversation = (r: Row): Conversation => ({
  id: r.id as string,
  login: r.login as string,
  scopeId: r.scope_id as string,
  conversationId: r.conversation_id as string | null,
  amojoChatId: r.amojo_chat_id as string | null,
  clientId: r.client_id as string | null,
  clientRefId: r.client_ref_id as string | null,
  phone: r.phone as string | null,
  state: r.state as Conversation['state'],
  refBound: r.ref_bound === true,
  channelId: r.channel_id as string | null,
  createdAt: r.created_at as number,
  updatedAt: r.updated_at as number,
  lastActivityAt: r.last_activity_at as number,
});

export const toMessage = (r: Row): StoredMessage => ({
  id: r.id as string,
  direction: r.direction as StoredMessage['direction'],
  login: r.login as string,
  scopeId: r.scope_id as string,
  conversationId: r.conversation_id as string | null,
  amojoChatId: r.amojo_chat_id as string | null,
  msgid: r.msgid as string | null,
  amojoMsgId: r.amojo_msg_id as string | null,
  senderRefId: (r.sender_ref_id as string | null | undefined) ?? null,
  status: r.status as StoredMessage['status'],
  lastError: r.last_error as string | null,
  payload: JSON.parse(r.payload as string) as unknown,
  createdAt: r.created_at as number,
  updatedAt: r.updated_at as number,
});

export const toEntry = (r: Row): OutboxEntry => ({
  seq: r.seq as number,
  id: r.id as string,
  destination: r.destination as OutboxEntry['destination'],
  kind: r.kind as string,
  orderingKey: r.ordering_key as string,
  payload: JSON.parse(r.payload as string) as unknown,
  messageId: r.message_id as string | null,
  state: r.state as OutboxEntry['state'],
  attempts: r.attempts as number,
  nextAttemptAt: r.next_attempt_at as number,
  leaseUntil: r.lease_until as number | null,
  lastError: r.last_error as string | null,
  createdAt: r.created_at as number,
  updatedAt: r.updated_at as number,
});

export const toJson = (value: unknown): string => JSON.stringify(value ?? null);

/** Record → JSON object with the table's column names, for the unit-of-work functions (jsonb_populate_record). */
export const messageJson = (m: StoredMessage) => ({
  id: m.id,
  direction: m.direction,
  login: m.login,
  scope_id: m.scopeId,
  conversation_id: m.conversationId,
  amojo_chat_id: m.amojoChatId,
  msgid: m.msgid,
  amojo_msg_id: m.amojoMsgId,
  sender_ref_id: m.senderRefId,
  status: m.status,
  last_error: m.lastError,
  payload: toJson(m.payload),
  created_at: m.createdAt,
  updated_at: m.updatedAt,
});

export const conversationJson = (c: Conversation) => ({
  id: c.id,
  login: c.login,
  scope_id: c.scopeId,
  conversation_id: c.conversationId,
  amojo_chat_id: c.amojoChatId,
  client_id: c.clientId,
  client_ref_id: c.clientRefId,
  phone: c.phone,
  state: c.state,
  ref_bound: c.refBound,
  channel_id: c.channelId,
  created_at: c.createdAt,
  updated_at: c.updatedAt,
  last_activity_at: c.lastActivityAt,
});

/** Outbox entries as amochan_enqueue takes them (column names; the payload as its stored text). */
export const entryRows = (entries: readonly NewOutboxEntry[]) =>
  entries.map((e) => ({
    id: e.id,
    destination: e.destination,
    kind: e.kind,
    ordering_key: e.orderingKey,
    payload: toJson(e.payload),
    message_id: e.messageId ?? null,
    next_attempt_at: e.nextAttemptAt ?? null,
  }));

export const entriesJson = (entries: readonly NewOutboxEntry[]): string => JSON.stringify(entryRows(entries));

/** null stays SQL NULL (not the JSON null) so `IF x IS NOT NULL` in the functions means "given". */
export const jsonOrNull = (value: object | undefined): string | null => (value === undefined ? null : JSON.stringify(value));
