import { DELIVERY_ERROR } from '@amochan/amojo';
import type { Clock } from '../lib/clock';
import { AppError } from '../lib/errors';
import type { IdGenerator } from '../lib/ids';
import type { WakeSignal } from '../lib/wake-signal';
import { deliveryStatusEntry, messageEntryId, typingEntry } from '../storage/amojo-entries';
import type { MessageStatus, OutboxEntry, StoredMessage, Store } from '../storage/types';
import { DELIVERY_STATUS_BY_NAME, type PostStatusRequest, type PostTypingRequest } from '../contract/provider-api';
import { requireConnectedAccount } from './relay-accounts';

/**
 * What the provider reports back (delivery statuses, typing) and what it can ask (one message's
 * state). Statuses are queued for amojo like everything else, so amoCRM being down loses nothing.
 */

export interface MessageStatusDeps {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  outboxSignal: WakeSignal;
}

export interface MessageView {
  id: string;
  direction: 'inbound' | 'outbound';
  account: string;
  conversation_id: string | null;
  msgid: string | null;
  amojo_msgid: string | null;
  amojo_chat_id: string | null;
  status: MessageStatus;
  attempts: number;
  last_error: string | null;
  next_attempt_at: number | null;
  created_at: number;
  updated_at: number;
}

const RANK: Record<MessageStatus, number> = { queued: 0, sent: 1, delivered: 2, read: 3, failed: 4, dead: 4 };

/**
 * An outbound message stays `queued` in storage until the provider reports on it (recording `sent`
 * from the worker could overwrite a `delivered` the provider reported meanwhile), so `sent` is
 * derived: its entry is done, or already purged (entries are created with their message).
 */
export function effectiveStatus(message: StoredMessage, entry: OutboxEntry | null): MessageStatus {
  if (message.status === 'queued' && (entry === null || entry.state === 'done')) return 'sent';
  return message.status;
}

export function toMessageView(message: StoredMessage, entry: OutboxEntry | null): MessageView {
  const pending = entry && (entry.state === 'pending' || entry.state === 'leased');
  return {
    id: message.id,
    direction: message.direction,
    account: message.login,
    conversation_id: message.conversationId,
    msgid: message.msgid,
    amojo_msgid: message.amojoMsgId,
    amojo_chat_id: message.amojoChatId,
    status: effectiveStatus(message, entry),
    attempts: entry?.attempts ?? 0,
    // The entry keeps its last failure after a successful retry; only show it while it matters.
    last_error: message.lastError ?? (pending || entry?.state === 'dead' ? entry.lastError : null),
    next_attempt_at: pending ? entry.nextAttemptAt : null,
    created_at: message.createdAt,
    updated_at: message.updatedAt,
  };
}

export function createMessageStatus(deps: MessageStatusDeps) {
  const { store, clock, ids } = deps;

  async function view(message: StoredMessage): Promise<MessageView> {
    const shown = await withBoundConversation(message);
    return toMessageView(shown, await store.outbox.get(messageEntryId(shown.id)));
  }

  /** A write-first manager message was stored before its chat had our conversation_id: show the one bound since. */
  async function withBoundConversation(message: StoredMessage): Promise<StoredMessage> {
    if (message.conversationId !== null || !message.amojoChatId) return message;
    const conversation = await store.conversations.getByAmojoChatId(message.scopeId, message.amojoChatId);
    return conversation?.conversationId ? { ...message, conversationId: conversation.conversationId } : message;
  }

  return {
    /** `:id` is our id (`msg_…`, from the 202), or amojo's message id (from an event). */
    async get(id: string): Promise<MessageView> {
      const message = (await store.messages.get(id)) ?? (await store.messages.getByAmojoMsgId(id));
      if (!message) throw new AppError('not_found', `no message with id "${id}"; use the id from the 202 answer, or ?account=&msgid=`);
      return view(message);
    },

    async getByMsgid(account: string, msgid: string): Promise<MessageView> {
      const message = await store.messages.getByMsgid(account, msgid);
      if (!message) throw new AppError('not_found', `account "${account}" has no message with msgid "${msgid}"`);
      return view(message);
    },

    /** The provider reports delivered / read / failed for a manager's message: amoCRM is told. */
    async report(id: string, req: PostStatusRequest) {
      const message = (await store.messages.getByAmojoMsgId(id)) ?? (await store.messages.get(id));
      if (!message || message.direction !== 'outbound' || !message.amojoMsgId) {
        throw new AppError('not_found', `no message from amoCRM with id "${id}"; use data.id of the message.created event`);
      }
      const connection = await store.connections.getByScope(message.scopeId);
      if (!connection || connection.status !== 'connected') {
        throw new AppError('account_not_connected', `account "${message.login}" is no longer connected to amoCRM; the status cannot be reported`);
      }
      const now = clock.now();
      const failed = req.status === 'failed';
      const status: MessageStatus = req.status;
      // Never step back: a late "delivered" after "read" (or a repeat) is acknowledged and not
      // forwarded, or amoCRM's view would go read → delivered. A failure is always news.
      const forward = failed || message.status === 'failed' || message.status === 'dead' || RANK[status] > RANK[message.status];
      if (!forward) return { id: message.id, amojo_msgid: message.amojoMsgId, status: message.status, report: 'ignored' as const };
      const errorCode = failed ? (req.error_code ?? DELIVERY_ERROR.other) : undefined;
      // 905 ("other") must carry a text amoCRM can show; without one, say at least what happened.
      const errorText = failed
        ? req.error?.trim() || (errorCode === DELIVERY_ERROR.other ? 'the provider could not deliver the message' : undefined)
        : undefined;
      await store.outbox.enqueue(
        [
          deliveryStatusEntry(ids, {
            scopeId: message.scopeId,
            amojoMsgId: message.amojoMsgId,
            messageId: message.id,
            status: DELIVERY_STATUS_BY_NAME[req.status],
            ...(errorCode !== undefined ? { errorCode } : {}),
            ...(errorText !== undefined ? { error: errorText } : {}),
          }),
        ],
        now,
      );
      deps.outboxSignal.wake();
      await store.messages.update(message.id, { status, lastError: failed ? (errorText ?? null) : null }, now);
      return { id: message.id, amojo_msgid: message.amojoMsgId, status, report: 'queued' as const };
    },

    /** Typing before amoCRM knows the chat is dropped: there is nothing to show it in yet. */
    async typing(req: PostTypingRequest): Promise<{ status: 'queued' | 'ignored'; reason?: string }> {
      const connection = await requireConnectedAccount(store, req.account);
      const conversation = await store.conversations.getByConversationId(connection.login, req.conversation_id);
      if (!conversation || !conversation.amojoChatId || conversation.scopeId !== connection.scopeId) {
        return { status: 'ignored', reason: 'amoCRM has no chat for this conversation yet' };
      }
      await store.outbox.enqueue(
        [typingEntry(ids, { login: connection.login, scopeId: connection.scopeId, conversationId: req.conversation_id, senderId: req.sender_id })],
        clock.now(),
      );
      deps.outboxSignal.wake();
      return { status: 'queued' };
    },
  };
}

export type MessageStatusService = ReturnType<typeof createMessageStatus>;
