import { createHash } from 'node:crypto';
import type { CreateChatRequest, Participant, SendMessageInput } from '@amochan/amojo';
import type { Clock } from '../lib/clock';
import { AppError } from '../lib/errors';
import type { IdGenerator } from '../lib/ids';
import type { WakeSignal } from '../lib/wake-signal';
import { newMessageEntry, type NewMessageEntryPayload } from '../storage/amojo-entries';
import type { Connection, Conversation, StoredMessage, Store } from '../storage/types';
import type { PostMessageRequest } from '../contract/provider-api';
import { touchIfStale } from './activity';
import { phoneDigits, requireConnectedAccount } from './relay-accounts';

/**
 * Customer → amoCRM intake. The request is answered 202 as soon as the message and its outbox entry
 * are committed together; the worker sends it later. (account, msgid) is the idempotency key, so a
 * provider that retries after a timeout never makes amoCRM show the message twice.
 */

export interface InboundMessagesDeps {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  outboxSignal: WakeSignal;
  /** Refuse new messages (503) while this many entries wait undelivered. */
  maxPending: number;
}

export interface AcceptedMessage {
  id: string;
  msgid: string;
  status: 'queued';
}

interface ResolvedConversation {
  conversation: Conversation;
  /** Needs saving with the message (new, re-scoped, or just bound to a write-first chat). */
  changed: boolean;
  /** Bound now to a chat a manager started: this message carries the amojo ids. */
  binding: boolean;
}

/** Deterministic, so two concurrent first messages of one conversation upsert the same row. */
export const conversationRowId = (login: string, conversationId: string): string =>
  `cnv_${createHash('sha256').update(`${login}\n${conversationId}`).digest('hex').slice(0, 24)}`;

/** Seconds, or milliseconds when the number is too large to be seconds. */
export function toMillis(timestamp: number | undefined, now: number): number {
  if (timestamp === undefined) return now;
  return Math.floor(timestamp >= 1e11 ? timestamp : timestamp * 1000);
}

// Short, so a burst overshoots OUTBOX_MAX_PENDING by at most ~100 ms of intake (the count itself is a cheap counters read).
const PENDING_CACHE_MS = 100;

export function createInboundMessages(deps: InboundMessagesDeps) {
  const { store, clock, ids } = deps;
  let pendingCheckedAt = Number.NEGATIVE_INFINITY;
  let pendingCount = 0;

  /** Backpressure: a worker that cannot keep up must not let the queue grow without bound. */
  async function checkBackpressure(now: number): Promise<void> {
    if (now - pendingCheckedAt > PENDING_CACHE_MS) {
      pendingCount = await store.outbox.countUndelivered();
      pendingCheckedAt = now;
    }
    if (pendingCount >= deps.maxPending) {
      throw new AppError('overloaded', `${pendingCount} messages are waiting to be delivered; retry later`, { retryAfter: 5 });
    }
  }

  function bind(pending: Conversation, req: PostMessageRequest, now: number): ResolvedConversation {
    return {
      conversation: { ...pending, conversationId: req.conversation_id, clientId: req.sender.id, state: 'active', refBound: true, updatedAt: now, lastActivityAt: now },
      changed: true,
      binding: true,
    };
  }

  async function resolveConversation(connection: Connection, req: PostMessageRequest, now: number): Promise<ResolvedConversation> {
    const { login, scopeId } = connection;
    const existing = await store.conversations.getByConversationId(login, req.conversation_id);
    if (existing) {
      if (existing.scopeId === scopeId) return { conversation: existing, changed: false, binding: false };
      // The login now serves another amoCRM account, which has never seen this chat: start it afresh.
      return {
        conversation: { ...existing, scopeId, amojoChatId: null, clientRefId: null, state: 'active', refBound: false, updatedAt: now, lastActivityAt: now },
        changed: true,
        binding: false,
      };
    }
    if (req.conversation_ref_id) {
      const byRef = await store.conversations.getByAmojoChatId(scopeId, req.conversation_ref_id);
      if (byRef && byRef.conversationId === null) return bind(byRef, req, now);
    }
    const digits = phoneDigits(req.sender.phone);
    if (!req.conversation_ref_id && digits) {
      const pending = await store.conversations.findPendingByPhone(login, digits);
      if (pending && pending.scopeId === scopeId) return bind(pending, req, now);
    }
    return {
      conversation: {
        id: conversationRowId(login, req.conversation_id),
        login,
        scopeId,
        conversationId: req.conversation_id,
        // A ref id we do not know (a hook we missed): trust it, amojo binds the chat on send.
        amojoChatId: req.conversation_ref_id ?? null,
        clientId: req.sender.id,
        clientRefId: req.sender.ref_id ?? null,
        phone: digits,
        state: 'active',
        refBound: Boolean(req.conversation_ref_id),
        createdAt: now,
        updatedAt: now,
        lastActivityAt: now,
      },
      changed: true,
      binding: Boolean(req.conversation_ref_id),
    };
  }

  function buildPayload(req: PostMessageRequest, msgid: string, resolved: ResolvedConversation, scopeId: string, now: number): NewMessageEntryPayload {
    const s = req.sender;
    const profile = s.phone || s.email ? { ...(s.phone ? { phone: s.phone } : {}), ...(s.email ? { email: s.email } : {}) } : undefined;
    const user: Participant = {
      id: s.id,
      name: s.name,
      ...(s.avatar ? { avatar: s.avatar } : {}),
      ...(profile ? { profile } : {}),
      ...(s.profile_link ? { profile_link: s.profile_link } : {}),
    };
    const refId = s.ref_id ?? (resolved.binding ? resolved.conversation.clientRefId ?? undefined : undefined);
    const conversationRefId = req.conversation_ref_id ?? (resolved.binding ? resolved.conversation.amojoChatId ?? undefined : undefined);
    const source = req.source_external_id ? { external_id: req.source_external_id } : undefined;
    const msec = toMillis(req.timestamp, now);
    const message: SendMessageInput = {
      timestamp: Math.floor(msec / 1000),
      msec_timestamp: msec,
      msgid,
      conversation_id: req.conversation_id,
      ...(conversationRefId ? { conversation_ref_id: conversationRefId } : {}),
      ...(req.silent !== undefined ? { silent: req.silent } : {}),
      ...(source ? { source } : {}),
      sender: { ...user, ...(refId ? { ref_id: refId } : {}) },
      message: req.message,
    };
    // amojo requires user.name on create chat; the provider API guarantees a non-empty sender.name.
    const createChat: CreateChatRequest = { conversation_id: req.conversation_id, ...(source ? { source } : {}), user: { ...user, name: s.name } };
    return { scopeId, conversationRef: resolved.conversation.id, createChat, message };
  }

  return {
    /** `raw` is the request body as received (unknown fields included), stored for audit and replay. */
    async accept(req: PostMessageRequest, raw: unknown = req): Promise<AcceptedMessage> {
      const connection = await requireConnectedAccount(store, req.account);
      const login = connection.login;
      if (req.msgid) {
        const existing = await store.messages.getByMsgid(login, req.msgid);
        if (existing) return { id: existing.id, msgid: req.msgid, status: 'queued' };
      }
      const now = clock.now();
      await checkBackpressure(now);
      const msgid = req.msgid ?? ids('amc');
      const resolved = await resolveConversation(connection, req, now);
      const messageId = ids('msg');
      const payload = buildPayload(req, msgid, resolved, connection.scopeId, now);
      const message: StoredMessage = {
        id: messageId,
        direction: 'inbound',
        login,
        scopeId: connection.scopeId,
        conversationId: req.conversation_id,
        amojoChatId: resolved.conversation.amojoChatId,
        msgid,
        amojoMsgId: null,
        status: 'queued',
        lastError: null,
        payload: raw,
        createdAt: now,
        updatedAt: now,
      };
      const result = await store.acceptInboundMessage({
        message,
        ...(resolved.changed ? { conversation: resolved.conversation } : {}),
        outbox: [newMessageEntry({ messageId, login, conversationId: req.conversation_id, payload })],
        now,
      });
      if (result.created) deps.outboxSignal.wake();
      // Keeps the conversation on the reconciler's "recently active" list (a hint: never fails the request).
      if (result.created && !resolved.changed) await touchIfStale(store, resolved.conversation, now).catch(() => undefined);
      return { id: result.message.id, msgid, status: 'queued' };
    },
  };
}

export type InboundMessages = ReturnType<typeof createInboundMessages>;
