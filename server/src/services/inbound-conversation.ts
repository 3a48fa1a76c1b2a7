import { createHash } from 'node:crypto';
import { AppError } from '../lib/errors';
import type { Connection, Conversation, IntakeContext } from '../storage/types';
import { phoneDigits } from './relay-accounts';

/**
 * Which conversation a provider message belongs to: an existing one, a write-first chat a manager
 * started (bound now, by the amojo ids the provider echoes or by the customer's phone), or a new
 * one. The ids the provider echoes are checked here, at the door: a wrong one accepted with 202
 * would only fail later in the outbox, where nobody is watching.
 *
 * It decides over rows read beforehand with the rest of the intake (store.readIntakeContext: one
 * round trip on PostgreSQL), in this order: the conversation by conversation_id, else the
 * write-first chat by conversation_ref_id, else a pending chat by the customer's phone.
 */

export interface ResolvedConversation {
  conversation: Conversation;
  /** Needs saving with the message (new, re-scoped, or just bound to a write-first chat). */
  changed: boolean;
  /** Bound now to a chat a manager started: this message carries the amojo ids. */
  binding: boolean;
}

/** The customer as the provider describes them (sender of an incoming message, receiver of an outgoing one). */
export interface CustomerInput {
  id: string;
  phone?: string | undefined;
  ref_id?: string | undefined;
}

/** Deterministic, so two concurrent first messages of one conversation upsert the same row. */
export const conversationRowId = (login: string, conversationId: string): string =>
  `cnv_${createHash('sha256').update(`${login}\n${conversationId}`).digest('hex').slice(0, 24)}`;

/**
 * The write-first mistake: echoing the manager's id (`data.sender.ref_id`) as the customer's. Told
 * two ways: the conversation knows its customer's id and this is another; or, whatever the
 * conversation knows (a new one knows nothing yet), the id is one a manager or bot of this amoCRM
 * account wrote from in a message we relayed (`refIsSender`, read with the intake). A manager who
 * never wrote through this server since it stored authors (migration 9) is not known that way.
 */
function checkCustomerRef(conversation: Conversation, customer: CustomerInput, field: string, refIsSender: boolean): void {
  if (!customer.ref_id) return;
  if (conversation.clientRefId && customer.ref_id !== conversation.clientRefId) {
    throw new AppError(
      'sender_is_manager',
      `${field}.ref_id "${customer.ref_id}" is not the customer of this chat (amoCRM knows the customer as "${conversation.clientRefId}"): ` +
        "it is probably the manager's id (data.sender.ref_id of the event). Echo data.receiver.ref_id instead, or leave ref_id out.",
    );
  }
  if (refIsSender) {
    throw new AppError(
      'sender_is_manager',
      `${field}.ref_id "${customer.ref_id}" is an amoCRM user of this account (a manager or bot wrote from it: data.sender.ref_id of an event), not a customer. ` +
        'Echo data.receiver.ref_id instead, or leave ref_id out.',
    );
  }
}

export function resolveConversation(
  found: Pick<IntakeContext, 'conversation' | 'conversationByRef' | 'pendingByPhone' | 'customerRefIsSender'>,
  input: {
    connection: Connection;
    conversationId: string;
    conversationRefId: string | undefined;
    customer: CustomerInput;
    customerField: string;
    /** The channel the message names, if it names one (stored form). */
    channelId?: string | undefined;
    now: number;
  },
): ResolvedConversation {
  const { connection, conversationId, conversationRefId: refId, customer, now } = input;
  const { login, scopeId } = connection;
  const bind = (pending: Conversation): ResolvedConversation => {
    checkCustomerRef(pending, customer, input.customerField, found.customerRefIsSender);
    return {
      conversation: { ...pending, conversationId, clientId: customer.id, state: 'active', refBound: true, updatedAt: now, lastActivityAt: now },
      changed: true,
      binding: true,
    };
  };

  const existing = found.conversation;
  if (existing) {
    if (existing.scopeId === scopeId) {
      if (refId && existing.amojoChatId !== refId) {
        throw new AppError(
          'conflict',
          `conversation "${conversationId}" is already bound to amoCRM chat "${existing.amojoChatId ?? '(none yet)'}", not "${refId}": leave conversation_ref_id out`,
        );
      }
      checkCustomerRef(existing, customer, input.customerField, found.customerRefIsSender);
      return { conversation: existing, changed: false, binding: false };
    }
    // The login now serves another amoCRM account, which has never seen this chat: start it afresh.
    const afresh: Conversation = {
      ...existing,
      scopeId,
      amojoChatId: null,
      clientRefId: null,
      state: 'active',
      refBound: false,
      updatedAt: now,
      lastActivityAt: now,
    };
    checkCustomerRef(afresh, customer, input.customerField, found.customerRefIsSender);
    return { conversation: afresh, changed: true, binding: false };
  }
  if (refId) {
    const byRef = found.conversationByRef;
    if (byRef && byRef.conversationId === null) return bind(byRef);
    // Stored as given, an unknown ref would sit on the conversation for good and every send would fail.
    if (byRef) throw new AppError('conflict', `amoCRM chat "${refId}" is already bound to conversation "${byRef.conversationId}"`);
    throw new AppError(
      'unknown_target',
      `conversation_ref_id "${refId}" is not a write-first chat of account "${login}": send it only to answer a write-first event (its data.conversation.ref_id)`,
    );
  }
  const digits = phoneDigits(customer.phone);
  if (digits) {
    const pending = found.pendingByPhone;
    // A phone is a guess: a customer writing to number B is not answering a manager who wrote from A.
    const sameChannel = !input.channelId || !pending?.channelId || pending.channelId === input.channelId;
    if (pending && pending.scopeId === scopeId && sameChannel) return bind(pending);
  }
  const created: Conversation = {
    id: conversationRowId(login, conversationId),
    login,
    scopeId,
    conversationId,
    amojoChatId: null,
    clientId: customer.id,
    clientRefId: customer.ref_id ?? null,
    phone: digits,
    state: 'active',
    refBound: false,
    // Placed on its channel by the caller (conversation-channel.ts).
    channelId: null,
    createdAt: now,
    updatedAt: now,
    lastActivityAt: now,
  };
  // Stored as given, a manager's id would stand for this customer in every later message of the chat.
  checkCustomerRef(created, customer, input.customerField, found.customerRefIsSender);
  return { conversation: created, changed: true, binding: false };
}
