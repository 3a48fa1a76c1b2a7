import type { CreateChatRequest, Participant, ReplyTo, SendMessageInput } from '@amochan/amojo';
import { effectiveChannels, type EffectiveChannel } from '../amocrm/channels';
import type { Clock } from '../lib/clock';
import { AppError } from '../lib/errors';
import type { IdGenerator } from '../lib/ids';
import type { WakeSignal } from '../lib/wake-signal';
import { newMessageEntry, type NewMessageEntryPayload } from '../storage/amojo-entries';
import type { Connection, IntakeContext, StoredMessage, Store } from '../storage/types';
import { TIMESTAMP_MS_FROM, type PostMessageRequest } from '../contract/provider-api';
import { amojoMsgidFor, amojoRefOf } from './amojo-msgid';
import { placeProviderMessage, requireDeclaredChannel } from './conversation-channel';
import { resolveConversation, type ResolvedConversation } from './inbound-conversation';
import { touchIfStale } from './activity';
import { phoneDigits, refuseUnconnected } from './relay-accounts';

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
  /** The channel's bot (AMOJO_BOT_ID): the author of messages the business sent outside amoCRM. */
  botId?: string | undefined;
}

export interface AcceptedMessage {
  id: string;
  msgid: string;
  status: 'queued';
}

/** Seconds, or milliseconds when the number is too large to be seconds (contract/provider-api.ts). */
export function toMillis(timestamp: number | undefined, now: number): number {
  if (timestamp === undefined) return now;
  return Math.floor(timestamp >= TIMESTAMP_MS_FROM ? timestamp : timestamp * 1000);
}

// Short, so a burst overshoots OUTBOX_MAX_PENDING by at most ~100 ms of intake (the count itself is a cheap counters read).
const PENDING_CACHE_MS = 100;

export function createInboundMessages(deps: InboundMessagesDeps) {
  const { store, clock, ids } = deps;
  let pendingCheckedAt = Number.NEGATIVE_INFINITY;
  let pendingCount = 0;
  // One count at a time: the requests that find the cached figure stale meanwhile wait for that
  // count instead of each running their own (on PostgreSQL 32 concurrent requests made it ~80
  // counts a second instead of 10).
  let counting: Promise<void> | null = null;

  /** Backpressure: a worker that cannot keep up must not let the queue grow without bound. */
  async function checkBackpressure(now: number): Promise<void> {
    if (now - pendingCheckedAt > PENDING_CACHE_MS) {
      counting ??= store.outbox
        .countUndelivered()
        .then((n) => {
          pendingCount = n;
          pendingCheckedAt = now;
        })
        .finally(() => {
          counting = null;
        });
      await counting;
    }
    if (pendingCount >= deps.maxPending) {
      throw new AppError('overloaded', `${pendingCount} messages are waiting to be delivered; retry later`, { retryAfter: 5 });
    }
  }

  const customerOf = (req: PostMessageRequest) => (req.direction === 'out' ? req.receiver! : req.sender!);

  /** The quoted message (read with the intake context), named the way amojo can find it; unknown → 422 now rather than a dead entry later. */
  function resolveReplyTo(login: string, replyTo: PostMessageRequest['reply_to'], quoted: StoredMessage | null): ReplyTo | undefined {
    if (!replyTo) return undefined;
    if (replyTo.msgid) {
      if (!quoted) throw new AppError('unknown_target', `reply_to.msgid "${replyTo.msgid}": account "${login}" sent no message with that msgid`);
      return { message: amojoRefOf(quoted) };
    }
    if (!quoted || quoted.login !== login) {
      throw new AppError('unknown_target', `reply_to.id "${replyTo.id}" is no message of account "${login}": use data.id of a message.created event`);
    }
    return { message: { id: replyTo.id! } };
  }

  /**
   * The amoCRM source of the message's channel, once amoCRM has created it; none without an
   * installation (no OAuth), exactly as before channels existed. The deprecated source_external_id
   * is sent as is.
   */
  function sourceFor(req: PostMessageRequest, channel: EffectiveChannel | undefined, ctx: IntakeContext): { external_id: string } | undefined {
    if (req.source_external_id) return { external_id: req.source_external_id };
    if (!channel) return undefined;
    if (!ctx.installation || ctx.installation.status === 'uninstalled') return undefined;
    const row = ctx.sources.find((s) => s.channelId === channel.channelId);
    return row?.state === 'created' ? { external_id: row.externalId } : undefined;
  }

  /**
   * The message's conversation, and the channel it goes through (conversation-channel.ts). A row
   * saved with the message anyway carries the channel it learned; an existing one is not re-saved
   * whole for it (a stale full save could undo a concurrent change): learnChannel, after commit,
   * is a compare-and-set. Refusals come in this order: an undeclared channel, then the
   * conversation's own (resolveConversation), then a channel mismatch.
   */
  function conversationOf(connection: Connection, ctx: IntakeContext, req: PostMessageRequest, now: number) {
    const channels = effectiveChannels(connection.login, ctx.channels);
    const requested = req.channel == null ? undefined : requireDeclaredChannel(connection.login, channels, req.channel);
    const found = resolveConversation(ctx, {
      connection,
      conversationId: req.conversation_id,
      conversationRefId: req.conversation_ref_id,
      customer: customerOf(req),
      customerField: req.direction === 'out' ? 'receiver' : 'sender',
      channelId: requested?.channelId,
      now,
    });
    // A raw source_external_id says nothing we can trust about the channel: the conversation is left as it is.
    if (req.source_external_id) return { resolved: found, channel: undefined, learnChannel: undefined };
    const placed = placeProviderMessage(found.conversation, requested, channels, now);
    if (!placed.learned) return { resolved: found, channel: placed.channel, learnChannel: undefined };
    if (found.changed) return { resolved: { ...found, conversation: placed.conversation }, channel: placed.channel, learnChannel: undefined };
    const { id, channelId: expected } = found.conversation;
    const learnChannel = async (): Promise<void> => void (await store.conversations.setChannel(id, placed.conversation.channelId, expected, now));
    return { resolved: found, channel: placed.channel, learnChannel };
  }

  function buildPayload(
    req: PostMessageRequest,
    login: string,
    msgid: string,
    resolved: ResolvedConversation,
    scopeId: string,
    replyTo: ReplyTo | undefined,
    now: number,
    source: { external_id: string } | undefined,
  ): NewMessageEntryPayload {
    const s = customerOf(req);
    const profile = s.phone || s.email ? { ...(s.phone ? { phone: s.phone } : {}), ...(s.email ? { email: s.email } : {}) } : undefined;
    const user: Participant = {
      id: s.id,
      name: s.name,
      ...(s.avatar ? { avatar: s.avatar } : {}),
      ...(profile ? { profile } : {}),
      ...(s.profile_link ? { profile_link: s.profile_link } : {}),
    };
    const refId = s.ref_id ?? (resolved.binding ? (resolved.conversation.clientRefId ?? undefined) : undefined);
    const conversationRefId = req.conversation_ref_id ?? (resolved.binding ? (resolved.conversation.amojoChatId ?? undefined) : undefined);
    const msec = toMillis(req.timestamp, now);
    const customer = { ...user, ...(refId ? { ref_id: refId } : {}) };
    const message: SendMessageInput = {
      timestamp: Math.floor(msec / 1000),
      msec_timestamp: msec,
      // Unique per channel whatever the provider numbers its messages (amojo-msgid.ts).
      msgid: amojoMsgidFor(login, msgid),
      conversation_id: req.conversation_id,
      ...(conversationRefId ? { conversation_ref_id: conversationRefId } : {}),
      ...(req.silent !== undefined ? { silent: req.silent } : {}),
      ...(source ? { source } : {}),
      // An outgoing import is the bot's message to the customer: amojo then wants sender.ref_id = the bot id.
      ...(req.direction === 'out' ? { sender: { id: deps.botId!, ref_id: deps.botId! }, receiver: customer } : { sender: customer }),
      message: req.message,
      ...(replyTo ? { reply_to: replyTo } : {}),
    };
    // amojo requires user.name on create chat; the provider API guarantees a non-empty name.
    const createChat: CreateChatRequest = { conversation_id: req.conversation_id, ...(source ? { source } : {}), user: { ...user, name: s.name } };
    const chat = resolved.conversation.amojoChatId;
    return { scopeId, conversationRef: resolved.conversation.id, ...(chat ? { amojoChatId: chat } : {}), createChat, message };
  }

  /** A message whose msgid the store has not seen (or a repeat racing it: the store tells). */
  async function acceptNew(req: PostMessageRequest, raw: unknown, connection: Connection, ctx: IntakeContext): Promise<AcceptedMessage> {
    const login = connection.login;
    if (req.direction === 'out' && !deps.botId) {
      throw new AppError(
        'bot_not_configured',
        'direction "out" imports a message as the channel bot\'s, and this server has no AMOJO_BOT_ID (the bot id amoCRM support gave with the channel)',
      );
    }
    const now = clock.now();
    await checkBackpressure(now);
    const msgid = req.msgid ?? ids('amc');
    // Every lookup was made by the one read (accept); what is left is deciding, in the order the
    // refusals have always come: the conversation's, then the quoted message's.
    const { resolved, channel, learnChannel } = conversationOf(connection, ctx, req, now);
    const replyTo = resolveReplyTo(login, req.reply_to, ctx.quoted);
    const source = sourceFor(req, channel, ctx);
    const messageId = ids('msg');
    const payload = buildPayload(req, login, msgid, resolved, connection.scopeId, replyTo, now, source);
    const message: StoredMessage = {
      id: messageId,
      direction: 'inbound',
      login,
      scopeId: connection.scopeId,
      conversationId: req.conversation_id,
      amojoChatId: resolved.conversation.amojoChatId,
      msgid,
      amojoMsgId: null,
      senderRefId: null,
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
    // The message is accepted either way; a channel not learned now is learned from a later message.
    if (result.created) await learnChannel?.().catch(() => undefined);
    // Keeps the conversation on the reconciler's "recently active" list (a hint: never fails the request).
    if (result.created && !resolved.changed) await touchIfStale(store, resolved.conversation, now).catch(() => undefined);
    return { id: result.message.id, msgid, status: 'queued' };
  }

  return {
    /** `raw` is the request body as received (unknown fields included), stored for audit and replay. */
    async accept(req: PostMessageRequest, raw: unknown = req): Promise<AcceptedMessage> {
      // Everything the intake looks up, in one read (one round trip on PostgreSQL), the connected
      // binding of the login included; only a refusal for a login without one reads more.
      const ctx = await store.readIntakeContext({
        login: req.account,
        conversationId: req.conversation_id,
        conversationRefId: req.conversation_ref_id,
        phone: phoneDigits(customerOf(req)?.phone),
        replyToMsgid: req.reply_to?.msgid,
        replyToAmojoMsgId: req.reply_to?.id,
        customerRefId: customerOf(req)?.ref_id,
      });
      const connection = ctx.connection ?? (await refuseUnconnected(store, req.account));
      try {
        return await acceptNew(req, raw, connection, ctx);
      } catch (err) {
        // A repeat is answered as the first time was, whatever would refuse a new message now
        // (backpressure, a channel since removed…). Looked up only on failure: a repeat that
        // reaches the store is answered from there (acceptInboundMessage dedupes on the msgid
        // before writing anything), which spares every new message a lookup (a round trip on
        // PostgreSQL).
        const existing = req.msgid ? await store.messages.getByMsgid(connection.login, req.msgid).catch(() => null) : null;
        if (existing) return { id: existing.id, msgid: req.msgid!, status: 'queued' };
        throw err;
      }
    },
  };
}

export type InboundMessages = ReturnType<typeof createInboundMessages>;
