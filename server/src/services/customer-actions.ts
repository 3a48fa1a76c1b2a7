import type { Clock } from '../lib/clock';
import { AppError } from '../lib/errors';
import type { IdGenerator } from '../lib/ids';
import type { WakeSignal } from '../lib/wake-signal';
import { editEntry, reactEntry } from '../storage/amojo-entries';
import type { StoredMessage, Store } from '../storage/types';
import type { PostEditRequest, PostReactionRequest } from '../contract/provider-api';
import { amojoRefOf } from './amojo-msgid';
import { requireConnectedAccount } from './relay-accounts';

/**
 * What the customer does to messages already in the chat: edits their own, and reacts to theirs or
 * a manager's. Both are queued behind the conversation's messages, so they never overtake the
 * message they are about; the targets are checked now, so a wrong one is a 4xx, not a dead entry.
 */

export interface CustomerActionsDeps {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  outboxSignal: WakeSignal;
}

export interface QueuedAction {
  id: string;
  msgid: string | null;
  status: 'queued';
}

export function createCustomerActions(deps: CustomerActionsDeps) {
  const { store, clock, ids } = deps;

  /** A message of this login that amoCRM shows in this amoCRM account. */
  function usable(message: StoredMessage | null, login: string, scopeId: string): message is StoredMessage {
    return message !== null && message.login === login && message.scopeId === scopeId;
  }

  /** A manager's message of a write-first chat was stored before the chat had our conversation_id. */
  async function inConversation(message: StoredMessage, login: string, conversationId: string): Promise<boolean> {
    if (message.conversationId === conversationId) return true;
    if (message.conversationId !== null || !message.amojoChatId) return false;
    const conversation = await store.conversations.getByConversationId(login, conversationId);
    return conversation?.amojoChatId === message.amojoChatId;
  }

  return {
    async edit(req: PostEditRequest): Promise<QueuedAction> {
      const connection = await requireConnectedAccount(store, req.account);
      const message = await store.messages.getByMsgid(connection.login, req.msgid);
      if (!usable(message, connection.login, connection.scopeId) || message.direction !== 'inbound' || message.conversationId === null) {
        throw new AppError('unknown_target', `account "${req.account}" sent no message with msgid "${req.msgid}" to this amoCRM account`);
      }
      const now = clock.now();
      const entry = editEntry(ids, {
        login: connection.login,
        conversationId: message.conversationId!,
        payload: {
          scopeId: connection.scopeId,
          body: {
            ...amojoRefOf(message),
            conversation_id: message.conversationId!,
            timestamp: Math.floor(now / 1000),
            msec_timestamp: now,
            message: req.message,
          },
        },
      });
      await store.outbox.enqueue([entry], now);
      deps.outboxSignal.wake();
      return { id: message.id, msgid: req.msgid, status: 'queued' };
    },

    async react(req: PostReactionRequest): Promise<QueuedAction> {
      const connection = await requireConnectedAccount(store, req.account);
      const { login, scopeId } = connection;
      const message = req.target.msgid ? await store.messages.getByMsgid(login, req.target.msgid) : await store.messages.getByAmojoMsgId(req.target.id!);
      const what = req.target.msgid ? `msgid "${req.target.msgid}"` : `id "${req.target.id}"`;
      if (!usable(message, login, scopeId)) throw new AppError('unknown_target', `target ${what}: no such message in account "${req.account}"`);
      if (!(await inConversation(message, login, req.conversation_id))) {
        throw new AppError('unknown_target', `target ${what} is not a message of conversation "${req.conversation_id}"`);
      }
      // A manager's message is named by amojo's id; the customer's own by whatever amojo knows it by.
      const target = message.direction === 'outbound' ? { id: message.amojoMsgId! } : amojoRefOf(message);
      const now = clock.now();
      const entry = reactEntry(ids, {
        login,
        conversationId: req.conversation_id,
        payload: {
          scopeId,
          body: { conversation_id: req.conversation_id, ...target, user: { id: req.sender_id }, type: req.remove ? 'unreact' : 'react', emoji: req.emoji },
        },
      });
      await store.outbox.enqueue([entry], now);
      deps.outboxSignal.wake();
      return { id: message.id, msgid: message.msgid, status: 'queued' };
    },
  };
}

export type CustomerActions = ReturnType<typeof createCustomerActions>;
