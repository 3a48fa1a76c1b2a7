import { randomUUID } from 'node:crypto';
import { truncateBody, type EventBus } from './event-bus';
import { PROVIDER_SIGNATURE_HEADER, verifyProviderSignature } from '../outbox/provider-signature';
import { createProviderApiClient, type ProviderApiClient } from './provider-api-client';

/**
 * The built-in demo provider of the sandbox: a tiny messaging service whose only customers live in
 * the console's customer pane. It plays the provider's part exactly as the integration guide asks —
 * verifies X-Amochan-Signature on the raw body, answers 2xx at once, reports "delivered" on receipt
 * and "read" once the customer pane showed the message — and sends the customer's messages through
 * POST /api/v1/messages with the provider API token. State is in memory: a restart forgets it.
 */

export interface DemoMessage {
  key: string;
  from: 'customer' | 'manager';
  text: string;
  at: number;
  /** customer: our message id from the 202 (msg_…); manager: amojo's message id (event data.id). */
  id: string | null;
  /** customer: queued / sent / failed…; manager: received / delivered / read / failed. */
  status: string;
  error: string | null;
}

export interface DemoConversation {
  /** The provider's conversation_id. */
  conversationId: string;
  /** amojo's chat id, once an event told it. */
  refId: string | null;
  customer: { id: string; name: string; phone: string | null; refId: string | null };
  /** The provider channel (number, bot) the conversation lives on, as events name it; null: the default one. */
  channel: string | null;
  /** Started by a manager ("write first"): the first answer echoes conversation_ref_id and sender.ref_id. */
  writeFirst: boolean;
  /** The server knows our conversation_id (false for a write-first chat nobody answered yet). */
  bound: boolean;
  typingUntil: number;
  createdAt: number;
  messages: DemoMessage[];
}

export interface DemoProviderOptions {
  bus?: EventBus;
  /** PROVIDER_WEBHOOK_SECRET: events signed with anything else are refused. */
  secret: string | undefined;
  apiToken: string | undefined;
  now?: () => number;
  /** How long after receipt "delivered" is reported (a beat, so the console shows "sent" first). */
  deliveredDelayMs?: number;
}

export interface WebhookOutcome {
  status: number;
  body: unknown;
}

interface EventEnvelope {
  id?: string;
  type?: string;
  account?: string;
  channel?: string | null;
  data?: Record<string, any>;
}

const MAX_MESSAGES = 200;
const DEMO_NAMES = ['Anna Petrova', 'Boris Ivanov', 'Chen Li', 'Dana Kowalski', 'Emre Yilmaz'];
const MANAGER_RANK: Record<string, number> = { received: 0, delivered: 1, reading: 2, read: 3 };

export function createDemoProvider(options: DemoProviderOptions) {
  const now = options.now ?? Date.now;
  const conversations = new Map<string, DemoConversation>();
  const account = { login: null as string | null, connected: false, scopeId: null as string | null };
  let customerCount = 0;

  function addConversation(c: Omit<DemoConversation, 'messages' | 'typingUntil' | 'createdAt'>): DemoConversation {
    const conversation: DemoConversation = { ...c, typingUntil: 0, createdAt: now(), messages: [] };
    conversations.set(c.conversationId, conversation);
    return conversation;
  }

  function push(conversation: DemoConversation, message: Omit<DemoMessage, 'key' | 'at'>): DemoMessage {
    const full: DemoMessage = { ...message, key: randomUUID(), at: now() };
    conversation.messages.push(full);
    if (conversation.messages.length > MAX_MESSAGES) conversation.messages.shift();
    return full;
  }

  function newCustomer(input: { name?: string; phone?: string } = {}): DemoConversation {
    customerCount += 1;
    const n = `${Date.now().toString(36)}${customerCount}`;
    const phone = input.phone?.replace(/\D/g, '') || null;
    return addConversation({
      conversationId: `demo-conv-${n}`,
      refId: null,
      customer: { id: `demo-customer-${n}`, name: input.name?.trim() || DEMO_NAMES[customerCount - 1] || `Customer ${customerCount}`, phone, refId: null },
      channel: null,
      writeFirst: false,
      bound: false,
    });
  }

  /** A manager's message: into its conversation, or a new one for a chat a manager started. */
  function onMessageCreated(data: Record<string, any>, channel: string | null): DemoMessage {
    const conversationId: string | null = data.conversation?.id ?? null;
    const refId: string | null = data.conversation?.ref_id ?? null;
    let conversation = conversationId ? conversations.get(conversationId) : [...conversations.values()].find((c) => refId && c.refId === refId);
    if (!conversation) {
      const phone: string | null = data.receiver?.phone ? String(data.receiver.phone).replace(/\D/g, '') : null;
      const suffix = phone ?? randomUUID().slice(0, 8);
      conversation = addConversation({
        conversationId: conversationId ?? `demo-wf-${suffix}-${Date.now().toString(36)}`,
        refId,
        customer: {
          id: data.receiver?.id ?? `demo-customer-${suffix}`,
          name: data.receiver?.name || (phone ? `+${phone}` : 'Customer'),
          phone,
          refId: data.receiver?.ref_id ?? null,
        },
        // A manager's write first names the source it was written from: the customer's answer goes back on it.
        channel,
        writeFirst: conversationId === null,
        bound: conversationId !== null,
      });
    }
    conversation.refId ??= refId;
    conversation.typingUntil = 0;
    const m = data.message ?? {};
    const text = m.text || (m.media ? `[${m.type}] ${m.file_name || m.media}` : `[${m.type ?? 'message'}]`);
    return push(conversation, { from: 'manager', text, id: typeof data.id === 'string' ? data.id : null, status: 'received', error: null });
  }

  function apply(event: EventEnvelope): DemoMessage | null {
    const data = event.data ?? {};
    switch (event.type) {
      case 'message.created':
        return onMessageCreated(data, typeof event.channel === 'string' ? event.channel : null);
      case 'typing': {
        const c = [...conversations.values()].find((x) => x.conversationId === data.conversation?.id || (x.refId && x.refId === data.conversation?.ref_id));
        if (c) c.typingUntil = data.expired_at ? Number(data.expired_at) * 1000 : now() + 5000;
        return null;
      }
      case 'account.connected':
        Object.assign(account, { login: event.account ?? null, connected: true, scopeId: data.scope_id ?? null });
        return null;
      case 'account.disconnected':
        Object.assign(account, { login: event.account ?? null, connected: false });
        return null;
      default:
        return null;
    }
  }

  /** Reports a status and records the outcome on the message. */
  async function report(api: ProviderApiClient, message: DemoMessage, status: 'delivered' | 'read'): Promise<void> {
    if (!message.id) return;
    const reply = await api.call('POST', `/api/v1/messages/${encodeURIComponent(message.id)}/status`, { status });
    // Never step back: a slow "delivered" answer must not overwrite "read".
    if (reply.ok && (MANAGER_RANK[status] ?? 0) > (MANAGER_RANK[message.status] ?? 0)) message.status = status;
    if (!reply.ok) message.error = `could not report "${status}": ${reply.error}`;
  }

  return {
    /** POST /sandbox/provider/webhook, given the raw bytes; the answer goes back to our outbox. */
    receive(raw: Buffer, signature: string | undefined, selfUrl: string): WebhookOutcome {
      const body = raw.toString('utf8');
      let event: EventEnvelope = {};
      try {
        event = JSON.parse(body) as EventEnvelope;
      } catch {
        // Judged after the signature: an unsigned garbage body is a signature failure first.
      }
      const verified = Boolean(options.secret) && verifyProviderSignature(raw, signature, options.secret ?? '', { nowMs: now() });
      const outcome: WebhookOutcome = verified
        ? { status: 200, body: { ok: true } }
        : {
            status: 401,
            body: {
              error: { code: 'invalid_signature', message: `${PROVIDER_SIGNATURE_HEADER} does not match PROVIDER_WEBHOOK_SECRET (or is older than 5 minutes)` },
            },
          };
      const message = verified ? apply(event) : null;
      options.bus?.publish('provider_event', {
        eventId: event.id ?? null,
        type: event.type ?? null,
        account: event.account ?? null,
        signature: signature ?? null,
        verified,
        status: outcome.status,
        note: verified ? (message ? 'shown in the customer pane; "delivered" will be reported' : null) : 'signature check failed: event refused',
        body: truncateBody(body),
      });
      if (message) {
        const api = createProviderApiClient(selfUrl, options.apiToken);
        setTimeout(() => void report(api, message, 'delivered').catch(() => undefined), options.deliveredDelayMs ?? 400).unref();
      }
      return outcome;
    },

    /** The customer pane showed these manager messages: report "read" for the ones not read yet. */
    async markRead(conversationId: string, selfUrl: string): Promise<number> {
      const conversation = conversations.get(conversationId);
      if (!conversation) return 0;
      const api = createProviderApiClient(selfUrl, options.apiToken);
      // Only after "delivered" went out, so amoCRM sees the statuses in their natural order.
      const unread = conversation.messages.filter((m) => m.from === 'manager' && m.status === 'delivered');
      for (const m of unread) m.status = 'reading';
      await Promise.all(
        unread.map((m) =>
          report(api, m, 'read').finally(() => {
            if (m.status === 'reading') m.status = 'delivered';
          }),
        ),
      );
      return unread.length;
    },

    /** The customer typed a message: it goes to the server like any provider's would. */
    async send(input: { conversationId?: string; text: string; login: string; selfUrl: string }): Promise<DemoMessage> {
      const conversation = (input.conversationId && conversations.get(input.conversationId)) || newCustomer();
      const echoRefs = conversation.writeFirst && !conversation.bound;
      const msgid = `demo-${randomUUID()}`;
      const body = {
        account: input.login,
        conversation_id: conversation.conversationId,
        msgid,
        sender: {
          id: conversation.customer.id,
          name: conversation.customer.name,
          ...(conversation.customer.phone ? { phone: `+${conversation.customer.phone}` } : {}),
          ...(echoRefs && conversation.customer.refId ? { ref_id: conversation.customer.refId } : {}),
        },
        message: { type: 'text', text: input.text },
        ...(conversation.channel ? { channel: conversation.channel } : {}),
        ...(echoRefs && conversation.refId ? { conversation_ref_id: conversation.refId } : {}),
      };
      const message = push(conversation, { from: 'customer', text: input.text, id: null, status: 'sending', error: null });
      const reply = await createProviderApiClient(input.selfUrl, options.apiToken).call('POST', '/api/v1/messages', body);
      if (reply.ok) {
        message.id = String((reply.body as { id?: unknown }).id ?? '') || null;
        message.status = 'queued';
        conversation.bound = true;
      } else {
        message.status = 'failed';
        message.error = reply.error;
      }
      return message;
    },

    newCustomer,
    conversations: () => [...conversations.values()],
    account: () => ({ ...account }),
  };
}

export type DemoProvider = ReturnType<typeof createDemoProvider>;
