import { createHash } from 'node:crypto';
import { parseWebhook, reactionTargetId, verifyWebhookSignature, type MessageHook, type WebhookEvent } from '@amochan/amojo';
import { wireChannelId } from '../amocrm/channels';
import type { Clock } from '../lib/clock';
import { AppError } from '../lib/errors';
import { assertRawJsonDepth, WEBHOOK_MAX_DEPTH } from '../lib/json-limits';
import type { IdGenerator } from '../lib/ids';
import type { Logger } from '../lib/logger';
import type { WakeSignal } from '../lib/wake-signal';
import { messageEntryId, outboundOrderingKey } from '../storage/amojo-entries';
import type { Connection, Conversation, NewOutboxEntry, StoredMessage, Store, WebhookReceipt } from '../storage/types';
import { touchIfStale } from './activity';
import { eventChannel, loadChannels, placeHook, sourceChannel } from './conversation-channel';
import { messageCreatedData, reactionData, typingData } from './hook-events';
import { buildProviderEvent, type ProviderEvent } from './provider-event';
import type { RecoveryGate } from './recovery-gate';
import { phoneDigits } from './relay-accounts';

/**
 * amojo → provider intake. amojo sends each hook once, waits 5 s and never retries, so the hook is
 * verified, deduplicated and committed together with its provider event, and the answer goes out
 * right away; delivery happens in the outbox worker.
 */

export interface AmojoHooksDeps {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  outboxSignal: WakeSignal;
  /** The channel secret amojo signs hooks with. */
  channelSecret: string | undefined;
  /** Holds a live hook of a chat while that chat's messages are being recovered from history. */
  recoveryGate?: RecoveryGate;
  /** Told the kind and result of every hook (metrics). */
  onReceipt?: (kind: WebhookReceipt['kind'], result: HookReceiptResult) => void;
}

export type HookOutcome = 'accepted' | 'duplicate' | 'ignored';
/** For metrics; `stored` includes unknown-kind hooks kept as a receipt only. */
export type HookReceiptResult = 'stored' | 'duplicate' | 'bad_signature' | 'unknown_scope' | 'malformed' | 'wrong_account' | 'disconnected';

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/** JSON with object keys sorted: two bodies that differ only in formatting or key order hash alike. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as Record<string, unknown>)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The source a message hook names. amoCRM's docs do not say where a write-first hook carries the
 * source the manager picked: `message.source` is documented for new_message, so look there first,
 * then on the conversation; accept either.
 */
export function hookSourceExternalId(m: MessageHook['message']): string | null {
  const fromConversation = (m.conversation as { source?: { external_id?: unknown } | null }).source?.external_id;
  const id = m.source?.external_id || (typeof fromConversation === 'string' ? fromConversation : '');
  return id ? id : null;
}

interface Planned {
  receiptKind: WebhookReceipt['kind'];
  key: string;
  message?: StoredMessage;
  conversation?: Conversation;
  outbox: NewOutboxEntry[];
  /** An existing conversation not re-saved here; its lastActivityAt is bumped after commit. */
  existing?: Conversation;
  /** The existing conversation learned its channel from the hook's source: set after commit (compare-and-set). */
  learned?: { id: string; channelId: string | null; expected: string | null };
}

export function createAmojoHooks(deps: AmojoHooksDeps) {
  const { store, clock, ids } = deps;

  function eventEntry(event: ProviderEvent, orderingKey: string, messageId: string | null): NewOutboxEntry {
    return { id: messageId ? messageEntryId(messageId) : ids('obx'), destination: 'provider', kind: 'event', orderingKey, payload: event, messageId };
  }

  async function findConversation(connection: Connection, amojoChatId: string, clientId: string | null | undefined): Promise<Conversation | null> {
    return (
      (await store.conversations.getByAmojoChatId(connection.scopeId, amojoChatId)) ??
      (clientId ? await store.conversations.getByConversationId(connection.login, clientId) : null)
    );
  }

  async function planMessage(connection: Connection, hook: MessageHook, now: number): Promise<Planned> {
    const m = hook.message;
    const chatId = m.conversation.id;
    const existing = await findConversation(connection, chatId, m.conversation.client_id);
    let conversation: Conversation | undefined;
    const channels = await loadChannels(store, connection.login);
    const source = await sourceChannel(store, connection, hookSourceExternalId(m), channels);
    if (!existing) {
      const writeFirst = !m.conversation.client_id;
      conversation = {
        id: ids('cnv'),
        login: connection.login,
        scopeId: connection.scopeId,
        conversationId: m.conversation.client_id || null,
        amojoChatId: chatId,
        clientId: m.receiver.client_id || null,
        clientRefId: m.receiver.id,
        phone: phoneDigits(m.receiver.phone),
        state: writeFirst ? 'pending' : 'active',
        refBound: false,
        channelId: null,
        createdAt: now,
        updatedAt: now,
        lastActivityAt: now,
      };
    } else if (!existing.amojoChatId || existing.scopeId !== connection.scopeId) {
      conversation = {
        ...existing,
        scopeId: connection.scopeId,
        amojoChatId: chatId,
        clientRefId: existing.clientRefId ?? m.receiver.id,
        updatedAt: now,
        lastActivityAt: now,
      };
    }
    const placed = placeHook(conversation ?? existing!, source, channels, now);
    // A row saved here anyway carries it; an existing one is not re-saved whole for it (a stale full
    // save could undo a concurrent write-first binding): it gets a compare-and-set after commit.
    let learned: Planned['learned'];
    if (placed.learned && conversation) conversation = placed.conversation;
    else if (placed.learned) learned = { id: existing!.id, channelId: placed.conversation.channelId, expected: existing!.channelId };
    if (placed.ignoredSource) {
      deps.logger.warn(
        { scopeId: connection.scopeId, amojoChatId: chatId, channel: placed.channel.channelId, sourceChannel: placed.ignoredSource.channelId },
        "a manager's message names the source of another channel than its conversation's; the event names the conversation's channel",
      );
    }
    const current = conversation ?? existing!;
    const conversationId = m.conversation.client_id || current.conversationId || null;
    const receiverId = m.receiver.client_id || current.clientId || null;
    const message: StoredMessage = {
      id: ids('msg'),
      direction: 'outbound',
      login: connection.login,
      scopeId: connection.scopeId,
      conversationId,
      amojoChatId: chatId,
      msgid: null,
      amojoMsgId: m.message.id,
      senderRefId: m.sender.id,
      status: 'queued',
      lastError: null,
      payload: hook,
      createdAt: now,
      updatedAt: now,
    };
    const event = buildProviderEvent({
      type: 'message.created',
      account: connection.login,
      channel: wireChannelId(placed.channel.channelId),
      now,
      ids,
      data: messageCreatedData(hook, { conversationId, receiverId }),
    });
    return {
      receiptKind: 'message',
      key: `msg:${m.message.id}`,
      message,
      ...(conversation ? { conversation } : existing ? { existing } : {}),
      ...(learned ? { learned } : {}),
      outbox: [eventEntry(event, outboundOrderingKey(connection.scopeId, chatId), message.id)],
    };
  }

  async function plan(connection: Connection, hook: WebhookEvent, now: number): Promise<Planned> {
    if (hook.kind === 'message') return planMessage(connection, hook.data, now);
    // Typing and reactions carry no id of their own: the key is their parsed content, so a replay
    // that only differs in whitespace or key order is still a duplicate.
    const key = `${hook.kind}:${sha256(canonicalJson(hook.data))}`;
    if (hook.kind === 'typing') {
      const t = hook.data.action.typing;
      const conversation = await findConversation(connection, t.conversation.id, t.conversation.client_id);
      const data = typingData(hook.data, t.conversation.client_id || conversation?.conversationId || null);
      const channel = eventChannel(conversation, await loadChannels(store, connection.login));
      const event = buildProviderEvent({ type: 'typing', account: connection.login, channel, now, ids, data });
      // Own ordering key: a stuck message must not delay a typing indicator, which is worthless late.
      return { receiptKind: 'typing', key, outbox: [eventEntry(event, `typing:${connection.scopeId}:${t.conversation.id}`, null)] };
    }
    const r = hook.data.action.reaction;
    const conversation = await findConversation(connection, r.conversation.id, r.conversation.client_id);
    const target = reactionTargetId(r);
    const reacted = target ? await store.messages.getByAmojoMsgId(target) : null;
    const data = reactionData(hook.data, r.conversation.client_id || conversation?.conversationId || null, reacted?.msgid ?? null);
    const channel = eventChannel(conversation, await loadChannels(store, connection.login));
    const event = buildProviderEvent({ type: 'reaction', account: connection.login, channel, now, ids, data });
    return { receiptKind: 'reaction', key, outbox: [eventEntry(event, outboundOrderingKey(connection.scopeId, r.conversation.id), null)] };
  }

  /** The one commit of a planned hook, shared by receive() and acceptRecovered(). */
  async function commit(connection: Connection, planned: Planned, raw: string, now: number): Promise<{ duplicate: boolean }> {
    const receipt: WebhookReceipt = { key: planned.key, scopeId: connection.scopeId, kind: planned.receiptKind, raw, receivedAt: now };
    const result = await store.acceptWebhook({
      receipt,
      ...(planned.message ? { message: planned.message } : {}),
      ...(planned.conversation ? { conversation: planned.conversation } : {}),
      outbox: planned.outbox,
      now,
    });
    // A hint for the reconciler, not part of the unit of work: losing it costs nothing.
    if (!result.duplicate && planned.existing) await touchIfStale(store, planned.existing, now).catch(() => undefined);
    // Also outside it: the event already names the channel, and a later message learns it again if this is lost.
    if (!result.duplicate && planned.learned) {
      const { id, channelId, expected } = planned.learned;
      await store.conversations.setChannel(id, channelId, expected, now).catch(() => undefined);
    }
    return result;
  }

  const report = (kind: WebhookReceipt['kind'], result: HookReceiptResult): void => deps.onReceipt?.(kind, result);

  return {
    /**
     * What can be refused from the request line and headers alone, before the body is read: no
     * signature at all (401), or a scope no account is connected with (404).
     */
    async precheck(input: { scopeId: string; signature: string | string[] | undefined }): Promise<void> {
      if (typeof input.signature !== 'string' || input.signature === '') {
        report('unknown', 'bad_signature');
        throw new AppError('invalid_signature', 'X-Signature is missing: amojo signs every hook with the channel secret');
      }
      if (!(await store.connections.getByScope(input.scopeId))) {
        report('unknown', 'unknown_scope');
        throw new AppError('unknown_scope', `unknown scope_id "${input.scopeId}": no amoCRM account is connected with it`);
      }
    },

    /**
     * Signature first, on the raw bytes (nothing is parsed or stored for a bad one), then the
     * scope, then the shape. A hook of a kind we do not know is kept (receipt only) and answered
     * 200: amojo would not resend it anyway, and refusing would only fill amojo's error log.
     */
    async receive(input: { scopeId: string; rawBody: Buffer; signature: string | undefined }): Promise<HookOutcome> {
      if (!verifyWebhookSignature(input.rawBody, input.signature, deps.channelSecret ?? '')) {
        report('unknown', 'bad_signature');
        throw new AppError('invalid_signature', "X-Signature does not match the body: the hook was not signed with this channel's secret");
      }
      const connection = await store.connections.getByScope(input.scopeId);
      if (!connection) {
        report('unknown', 'unknown_scope');
        throw new AppError('unknown_scope', `unknown scope_id "${input.scopeId}": no amoCRM account is connected with it`);
      }
      const now = clock.now();
      // A signed but absurdly nested body would overflow the stack when stored: 400, not 500.
      try {
        assertRawJsonDepth(input.rawBody, WEBHOOK_MAX_DEPTH);
      } catch (err) {
        report('unknown', 'malformed');
        throw err;
      }
      const parsed = parseWebhook(input.rawBody);
      const raw = input.rawBody.toString('utf8');
      if (!parsed.ok) {
        if (parsed.reason === 'unknown_kind') {
          const receipt: WebhookReceipt = { key: `unknown:${sha256(input.rawBody)}`, scopeId: connection.scopeId, kind: 'unknown', raw, receivedAt: now };
          const { duplicate } = await store.acceptWebhook({ receipt, outbox: [], now });
          deps.logger.warn({ scopeId: connection.scopeId, bytes: input.rawBody.length }, 'amojo sent a hook of an unknown kind; stored, not relayed');
          report('unknown', duplicate ? 'duplicate' : 'stored');
          return duplicate ? 'duplicate' : 'ignored';
        }
        const first = parsed.issues[0];
        const where = first && first.path.length > 0 ? `${first.path.join('.')}: ` : '';
        deps.logger.warn(
          { scopeId: connection.scopeId, reason: parsed.reason, issues: parsed.issues.slice(0, 5), body: raw.slice(0, 2000) },
          'malformed amojo hook',
        );
        report(parsed.kind ?? 'unknown', 'malformed');
        throw new AppError('invalid_request', `malformed amojo hook (${parsed.reason}): ${where}${first?.message ?? 'invalid'}`);
      }
      // The scope names the binding; the body must be about that binding's amojo account. A body
      // signed for another account and posted here would otherwise reach this scope's login.
      if (parsed.hook.data.account_id !== connection.amojoAccountId) {
        deps.logger.warn({ scopeId: connection.scopeId, kind: parsed.hook.kind }, "refused an amojo hook: its account_id is not the scope's connected account");
        report(parsed.hook.kind, 'wrong_account');
        throw new AppError('forbidden', "the hook's account_id is not the account connected with this scope_id");
      }
      // amojo may still send a few hooks after a disconnect: nobody is there to receive them, and
      // refusing would only fill amojo's error log (it never retries).
      if (connection.status !== 'connected') {
        deps.logger.info(
          { scopeId: connection.scopeId, kind: parsed.hook.kind, login: connection.login },
          'ignored an amojo hook for a disconnected binding; not relayed',
        );
        report(parsed.hook.kind, 'disconnected');
        return 'ignored';
      }
      // Messages and reactions share the conversation's order: anything recovered from this chat's
      // history that was written before this hook must be committed first.
      const hook = parsed.hook;
      const chatId = hook.kind === 'message' ? hook.data.message.conversation.id : hook.kind === 'reaction' ? hook.data.action.reaction.conversation.id : null;
      if (chatId && deps.recoveryGate) await deps.recoveryGate.beforeLive(connection.scopeId, chatId);
      const planned = await plan(connection, hook, now);
      const { duplicate } = await commit(connection, planned, raw, now);
      report(planned.receiptKind, duplicate ? 'duplicate' : 'stored');
      if (duplicate) return 'duplicate';
      deps.outboxSignal.wake();
      return 'accepted';
    },

    /**
     * A manager message rebuilt from chat history goes through the very same plan,
     * event and receipt key (`msg:<amojo id>`) as its hook would have, so whichever of the two comes
     * second — the late hook, or another reconcile pass — is a duplicate and nothing is sent twice.
     */
    async acceptRecovered(connection: Connection, hook: MessageHook, raw: string): Promise<'accepted' | 'duplicate'> {
      const now = clock.now();
      const { duplicate } = await commit(connection, await planMessage(connection, hook, now), raw, now);
      if (duplicate) return 'duplicate';
      deps.outboxSignal.wake();
      return 'accepted';
    },
  };
}

export type AmojoHooks = ReturnType<typeof createAmojoHooks>;
