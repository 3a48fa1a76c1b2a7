/**
 * The stored message and the patch a delivery applies to it: used by the message repository
 * (types.ts) and by the outbox's completion effects (outbox-types.ts), so it sits below both.
 */

export type MessageDirection = 'inbound' | 'outbound';
export type MessageStatus = 'queued' | 'sent' | 'delivered' | 'read' | 'failed' | 'dead';

export interface StoredMessage {
  id: string;
  direction: MessageDirection;
  login: string;
  scopeId: string;
  /** Our (provider's) conversation id; null for a pending write-first chat. */
  conversationId: string | null;
  amojoChatId: string | null;
  /** The provider's msgid (inbound; idempotency key with login). Null for outbound. */
  msgid: string | null;
  /** amojo's message id (known after send for inbound, from the hook for outbound). */
  amojoMsgId: string | null;
  /**
   * Outbound: the amojo user who wrote it in amoCRM (a manager or a bot: the hook's
   * message.sender.id, the event's data.sender.ref_id). Null for inbound. The intake refuses this
   * id as a customer's ref_id (inbound-conversation.ts): echoing it is the write-first mistake.
   */
  senderRefId: string | null;
  status: MessageStatus;
  lastError: string | null;
  /** The raw request / hook, kept for audit and replay. */
  payload: unknown;
  createdAt: number;
  updatedAt: number;
}

export type MessagePatch = Partial<Pick<StoredMessage, 'status' | 'lastError' | 'amojoMsgId' | 'amojoChatId' | 'conversationId'>>;
