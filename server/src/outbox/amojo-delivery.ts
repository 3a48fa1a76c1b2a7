import { AmojoApiError, AmojoHttpError, isDuplicateMessageError, isRetryable, type AmojoClient } from '@amochan/amojo';
import type { Clock } from '../lib/clock';
import type { Logger } from '../lib/logger';
import type { OutboxEntry, Store } from '../storage/types';
import type { DeliveryStatusEntryPayload, EditEntryPayload, NewMessageEntryPayload, ReactEntryPayload, TypingEntryPayload } from '../storage/amojo-entries';
import { delivered, permanent, retryable, type DeliveryFailure, type DeliveryHandler, type DeliveryResult, type FailedMessageEvents } from './types';
import { findSentMessageId } from './find-sent-message';
import { createKnownChats, type KnownChats } from './known-chats';

/**
 * Delivers entries bound for amojo through the SDK client: new_message (creating the chat first
 * when amojo does not know the conversation yet), delivery_status and typing. Retry decisions
 * follow the SDK's classification (network, timeout, 408, 429, 5xx are transient).
 */

export interface AmojoDeliveryOptions {
  amojo: AmojoClient;
  store: Pick<Store, 'conversations' | 'messages'>;
  clock: Clock;
  logger: Logger;
  /** Tells the provider when one of its messages ends failed or dead (message.failed). */
  failedMessages?: FailedMessageEvents | undefined;
  /** A typing indicator older than this is pointless: dropped instead of sent late. */
  typingTtlMs?: number;
  /** Chats already known by conversation (known-chats.ts); one per worker by default. */
  knownChats?: KnownChats;
}

export const DEFAULT_TYPING_TTL_MS = 30_000;

export function failureFromAmojoError(err: unknown): DeliveryFailure {
  const message = err instanceof Error ? err.message : String(err);
  const remoteText = err instanceof AmojoApiError ? err.errorDescription : undefined;
  const extra = remoteText ? { remoteText } : {};
  if (isRetryable(err)) {
    const retryAfterMs = err instanceof AmojoHttpError ? err.retryAfterMs : undefined;
    return retryable(message, retryAfterMs === undefined ? extra : { ...extra, retryAfterMs });
  }
  return permanent(message, extra);
}

export function createAmojoDelivery(options: AmojoDeliveryOptions): DeliveryHandler {
  const { amojo, store, clock } = options;
  const chats = options.knownChats ?? createKnownChats();
  const typingTtlMs = options.typingTtlMs ?? DEFAULT_TYPING_TTL_MS;

  /**
   * The conversation's amojo chat, created first when amojo does not have it yet. A chat created
   * here is recorded on the conversation while the message goes out (sending needs the chat to
   * exist, not our record of it): `recorded` settles once that write is done and never rejects. A
   * failed write only means the next message of the conversation creates the chat again
   * (idempotent) and records it then, so it is logged, not turned into a failed delivery.
   */
  async function ensureChat(p: NewMessageEntryPayload): Promise<{ chatId: string | null; recorded: Promise<void> }> {
    const known = chats.get(p.scopeId, p.conversationRef) ?? p.amojoChatId;
    if (known) {
      chats.remember(p.scopeId, p.conversationRef, known);
      return { chatId: known, recorded: Promise.resolve() };
    }
    const conversation = await store.conversations.get(p.conversationRef);
    if (conversation?.amojoChatId) {
      // Remembered only for the scope the row is in now: an entry queued before the login moved to
      // another account still carries the old scope.
      if (conversation.scopeId === p.scopeId) chats.remember(p.scopeId, p.conversationRef, conversation.amojoChatId);
      return { chatId: conversation.amojoChatId, recorded: Promise.resolve() };
    }
    // createChat is idempotent on conversation_id, so a crash after it and before the save is harmless.
    const chat = await amojo.createChat(p.scopeId, p.createChat);
    if (!conversation) {
      chats.remember(p.scopeId, p.conversationRef, chat.id);
      return { chatId: chat.id, recorded: Promise.resolve() };
    }
    // Narrow write: the row read above is stale by now (a write-first binding or a touch may have
    // been committed during createChat), so it is never saved back whole.
    const recorded = store.conversations.setAmojoChat(conversation.id, { amojoChatId: chat.id, clientRefId: chat.user.id }, clock.now()).then(
      () => chats.remember(p.scopeId, p.conversationRef, chat.id),
      (err: unknown) =>
        options.logger.warn(
          { err, conversationId: conversation.id, chatId: chat.id },
          'could not record the new amojo chat; the next message creates it again',
        ),
    );
    return { chatId: chat.id, recorded };
  }

  async function sendNewMessage(entry: OutboxEntry): Promise<DeliveryResult> {
    const p = entry.payload as NewMessageEntryPayload;
    let chatId: string | null = null;
    try {
      const chat = await ensureChat(p);
      chatId = chat.chatId;
      let res: Awaited<ReturnType<AmojoClient['sendMessage']>>;
      try {
        res = await amojo.sendMessage(p.scopeId, p.message);
      } finally {
        await chat.recorded;
      }
      // amojo echoes the msgid it was sent as ref_id; the message row keeps the provider's own msgid,
      // so a mismatch would only mean amojo filed it under another key: worth a line in the log.
      const echoed = res.new_message.ref_id;
      if (echoed && echoed !== p.message.msgid)
        options.logger.warn({ entryId: entry.id, sent: p.message.msgid, echoed }, 'amojo answered new_message with another ref_id');
      return delivered(
        entry.messageId
          ? { message: { id: entry.messageId, patch: { status: 'sent', amojoMsgId: res.new_message.msgid, amojoChatId: chatId, lastError: null } } }
          : undefined,
      );
    } catch (err) {
      // We sent it before and crashed before recording it: amojo has it, so it is delivered.
      if (isDuplicateMessageError(err)) {
        options.logger.info({ entryId: entry.id, msgid: p.message.msgid }, 'amojo already had this msgid; counting it as delivered');
        // Recover amojo's id of the message from history (the duplicate answer does not carry it).
        const amojoMsgId = chatId ? await findSentMessageId(amojo, p.scopeId, chatId, p.message.msgid) : null;
        const patch = { status: 'sent' as const, amojoChatId: chatId, lastError: null, ...(amojoMsgId ? { amojoMsgId } : {}) };
        return { ...delivered(entry.messageId ? { message: { id: entry.messageId, patch } } : undefined), duplicate: true };
      }
      return failureFromAmojoError(err);
    }
  }

  async function sendDeliveryStatus(entry: OutboxEntry): Promise<DeliveryResult> {
    const p = entry.payload as DeliveryStatusEntryPayload;
    const status = {
      delivery_status: p.status,
      ...(p.errorCode !== undefined ? { error_code: p.errorCode } : {}),
      ...(p.error !== undefined ? { error: p.error } : {}),
    };
    try {
      await amojo.setDeliveryStatus(p.scopeId, p.amojoMsgId, status);
      return delivered();
    } catch (err) {
      return failureFromAmojoError(err);
    }
  }

  async function sendTyping(entry: OutboxEntry): Promise<DeliveryResult> {
    if (clock.now() - entry.createdAt > typingTtlMs) return delivered();
    const p = entry.payload as TypingEntryPayload;
    try {
      await amojo.typing(p.scopeId, p.body);
      return delivered();
    } catch (err) {
      return failureFromAmojoError(err);
    }
  }

  /** Edits and reactions: one request each, retried like everything else. */
  async function sendSimple(entry: OutboxEntry, send: () => Promise<unknown>): Promise<DeliveryResult> {
    try {
      await send();
      return delivered();
    } catch (err) {
      return failureFromAmojoError(err);
    }
  }

  return {
    deliver(entry) {
      switch (entry.kind) {
        case 'new_message':
          return sendNewMessage(entry);
        case 'delivery_status':
          return sendDeliveryStatus(entry);
        case 'typing':
          return sendTyping(entry);
        case 'edit_message': {
          const p = entry.payload as EditEntryPayload;
          return sendSimple(entry, () => amojo.editMessage(p.scopeId, p.body));
        }
        case 'react': {
          const p = entry.payload as ReactEntryPayload;
          return sendSimple(entry, () => amojo.react(p.scopeId, p.body));
        }
        default:
          return Promise.resolve(permanent(`unknown amojo outbox kind "${entry.kind}"`));
      }
    },
    async onDead(entry, failure) {
      if (entry.kind !== 'new_message' || !entry.messageId) return undefined;
      const patch = { status: failure.permanent ? ('failed' as const) : ('dead' as const), lastError: failure.error };
      const message = options.failedMessages ? await store.messages.get(entry.messageId) : null;
      if (!message || !options.failedMessages) return { message: { id: entry.messageId, patch } };
      // rejected = amojo refused it (retrying cannot help); undeliverable = every attempt failed.
      const error = { code: failure.permanent ? ('rejected' as const) : ('undeliverable' as const), message: failure.error };
      return { message: { id: entry.messageId, patch }, enqueue: [await options.failedMessages.entryFor(message, error, clock.now())] };
    },
  };
}
