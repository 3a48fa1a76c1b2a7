import type { CreateChatRequest, DeliveryErrorCode, DeliveryStatusCode, EditMessageInput, ReactRequest, SendMessageInput, TypingRequest } from '@amochan/amojo';
import type { IdGenerator } from '../lib/ids';
import type { NewOutboxEntry } from './types';

/**
 * Shapes of the outbox entries bound for amojo, and their builders. Producers (the provider API)
 * and the delivery function (amojo-delivery.ts) both use these, so a payload written today is read
 * back by the same definition after a restart.
 */

export interface NewMessageEntryPayload {
  scopeId: string;
  /** Our Conversation.id: the delivery reads it to learn whether amojo already has the chat. */
  conversationRef: string;
  /**
   * The conversation's amojo chat as the intake read it, when it had one: the delivery then need not
   * read the conversation (a round trip on PostgreSQL; on several instances, each instance's first
   * message of every conversation). A chat, once recorded, never changes.
   */
  amojoChatId?: string;
  /** Sent first when the conversation has no amojo chat yet. */
  createChat: CreateChatRequest;
  /** Built (timestamps included) when the provider's request was accepted. */
  message: SendMessageInput;
}

export interface DeliveryStatusEntryPayload {
  scopeId: string;
  amojoMsgId: string;
  status: DeliveryStatusCode;
  errorCode?: DeliveryErrorCode;
  error?: string;
}

export interface EditEntryPayload {
  scopeId: string;
  body: EditMessageInput;
}

export interface ReactEntryPayload {
  scopeId: string;
  body: ReactRequest;
}

export interface TypingEntryPayload {
  scopeId: string;
  body: TypingRequest;
}

/** The entry carrying a message has an id derived from the message's, so its state can be looked up. */
export const messageEntryId = (messageId: string): string => `obx_${messageId}`;

/** Inbound messages of one provider conversation go out strictly in order. */
export const inboundOrderingKey = (login: string, conversationId: string): string => `conv:${login}:${conversationId}`;

/** Events about one amojo chat reach the provider in order. */
export const outboundOrderingKey = (scopeId: string, amojoChatId: string): string => `conv:${scopeId}:${amojoChatId}`;

export function newMessageEntry(input: { messageId: string; login: string; conversationId: string; payload: NewMessageEntryPayload }): NewOutboxEntry {
  return {
    id: messageEntryId(input.messageId),
    destination: 'amojo',
    kind: 'new_message',
    orderingKey: inboundOrderingKey(input.login, input.conversationId),
    payload: input.payload,
    messageId: input.messageId,
  };
}

export function deliveryStatusEntry(
  ids: IdGenerator,
  input: { scopeId: string; amojoMsgId: string; messageId: string | null; status: DeliveryStatusCode; errorCode?: DeliveryErrorCode; error?: string },
): NewOutboxEntry {
  const payload: DeliveryStatusEntryPayload = { scopeId: input.scopeId, amojoMsgId: input.amojoMsgId, status: input.status };
  if (input.errorCode !== undefined) payload.errorCode = input.errorCode;
  if (input.error !== undefined) payload.error = input.error;
  return {
    id: ids('obx'),
    destination: 'amojo',
    kind: 'delivery_status',
    // Statuses of one message stay in order (delivered before read) without waiting on its chat.
    orderingKey: `status:${input.scopeId}:${input.amojoMsgId}`,
    payload,
    messageId: input.messageId,
  };
}

export function typingEntry(ids: IdGenerator, input: { login: string; scopeId: string; conversationId: string; senderId: string }): NewOutboxEntry {
  const payload: TypingEntryPayload = { scopeId: input.scopeId, body: { conversation_id: input.conversationId, sender: { id: input.senderId } } };
  return {
    id: ids('obx'),
    destination: 'amojo',
    kind: 'typing',
    orderingKey: `typing:${input.login}:${input.conversationId}`,
    payload,
    messageId: null,
  };
}

/**
 * A customer's edit or reaction follows the conversation's messages (same ordering key as new_message),
 * so it never reaches amojo before the message it is about.
 */
export function editEntry(ids: IdGenerator, input: { login: string; conversationId: string; payload: EditEntryPayload }): NewOutboxEntry {
  return {
    id: ids('obx'),
    destination: 'amojo',
    kind: 'edit_message',
    orderingKey: inboundOrderingKey(input.login, input.conversationId),
    payload: input.payload,
    messageId: null,
  };
}

export function reactEntry(ids: IdGenerator, input: { login: string; conversationId: string; payload: ReactEntryPayload }): NewOutboxEntry {
  return {
    id: ids('obx'),
    destination: 'amojo',
    kind: 'react',
    orderingKey: inboundOrderingKey(input.login, input.conversationId),
    payload: input.payload,
    messageId: null,
  };
}
