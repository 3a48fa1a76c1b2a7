import { messageContentView, userView } from '../api/serialize';
import type { ChatRecord, MessageRecord, ScopeRecord, UserRecord } from '../state/types';

/*
 * The hooks amojo sends (hook_api_version v2), built from emulator records. Absent ids are absent
 * keys, not nulls: a write-first hook has no conversation.client_id and no receiver.client_id at all.
 */

const seconds = (ms: number): number => Math.floor(ms / 1000);

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
      receiver: userView(receiver),
      sender: { id: sender.id, name: sender.name, ...(sender.avatar ? { avatar: sender.avatar } : {}) },
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
    shape === 'msgid'
      ? { msgid: message.id }
      : { message: { id: message.id, ...(message.clientMsgId !== null ? { client_id: message.clientMsgId } : {}) } };
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
