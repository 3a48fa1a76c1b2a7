import { messageContentView } from '../api/serialize';
import type { ChatRecord, MessageRecord, ScopeRecord, UserRecord } from '../state/types';

/*
 * The hooks amojo sends (hook_api_version v2), built from emulator records field for field as the
 * docs' captured hooks show them: `sender` carries only the amoCRM user's id (no name: amoCRM does
 * not send one), `receiver` is {id, client_id, phone, email} with "" for an unknown phone or email.
 * Absent ids are absent keys, not nulls or "": a write-first hook has no conversation.client_id and
 * no receiver.client_id at all.
 */

const seconds = (ms: number): number => Math.floor(ms / 1000);

function receiverView(user: UserRecord): Record<string, string> {
  return {
    id: user.id,
    ...(user.clientId !== null ? { client_id: user.clientId } : {}),
    phone: user.phone ?? '',
    email: user.email ?? '',
  };
}

function conversationRef(chat: ChatRecord): Record<string, string> {
  return { id: chat.id, ...(chat.conversationId !== null ? { client_id: chat.conversationId } : {}) };
}

export function messageHook(
  scope: ScopeRecord,
  chat: ChatRecord,
  message: MessageRecord,
  sender: UserRecord,
  receiver: UserRecord,
  now: number,
): Record<string, unknown> {
  return {
    account_id: scope.accountId,
    time: seconds(now),
    message: {
      receiver: receiverView(receiver),
      sender: { id: sender.id },
      conversation: conversationRef(chat),
      ...(chat.sourceExternalId !== null ? { source: { external_id: chat.sourceExternalId } } : {}),
      timestamp: message.timestamp,
      msec_timestamp: message.msecTimestamp,
      message: messageContentView(message),
    },
  };
}

export function typingHook(scope: ScopeRecord, chat: ChatRecord, userId: string, now: number, expiresInMs: number): Record<string, unknown> {
  return {
    account_id: scope.accountId,
    time: seconds(now),
    action: {
      typing: { user: { id: userId }, conversation: conversationRef(chat), expired_at: seconds(now + expiresInMs) },
    },
  };
}

/** The docs show both layouts for the reacted-to message; `shape` picks one so receivers can be tested on each. */
export type ReactionShape = 'message' | 'msgid';

export function reactionHook(
  scope: ScopeRecord,
  chat: ChatRecord,
  message: MessageRecord,
  userId: string,
  type: 'react' | 'unreact',
  emoji: string | null,
  shape: ReactionShape,
  now: number,
): Record<string, unknown> {
  const target =
    shape === 'msgid' ? { msgid: message.id } : { message: { id: message.id, ...(message.clientMsgId !== null ? { client_id: message.clientMsgId } : {}) } };
  return {
    account_id: scope.accountId,
    time: seconds(now),
    action: {
      reaction: {
        ...target,
        user: { id: userId },
        conversation: conversationRef(chat),
        type,
        ...(emoji !== null ? { emoji } : {}),
      },
    },
  };
}
