import type { EmulatorControl, MessageRecord } from '@amochan/amojo-emulator';
import { AppError } from '../lib/errors';

/**
 * The amoCRM side of the console: what amoCRM (the embedded emulator) holds for the sandbox account —
 * its chats, their messages and the delivery statuses the provider reported — and the two things a
 * manager does from it: reply in a chat, and write first to a phone number.
 */

export interface InboxMessage {
  id: string;
  /** customer: came in through the channel; manager: written in amoCRM. */
  from: 'customer' | 'manager';
  author: string;
  /** The text, or the caption of an attachment ('' when it has none). */
  text: string;
  /** The message type (text, picture, video, file, voice, audio, sticker, location, contact). */
  kind: string;
  /** What a non-text message is, e.g. "picture · p.jpg", "location · 55.75, 37.61"; null for text. */
  attachment: string | null;
  at: number;
  /** Manager messages: sent (the hook reached us) / delivered / read / failed; customer: received. */
  status: string;
  /** Every status the provider reported, oldest first, e.g. ["delivered", "read"]. */
  history: string[];
  error: string | null;
}

export interface InboxChat {
  id: string;
  title: string;
  phone: string | null;
  origin: string;
  /** Our conversation_id as amoCRM knows it (null: a write-first chat nobody answered yet). */
  conversationId: string | null;
  lastAt: number;
  messages: InboxMessage[];
}

export interface InboxView {
  connected: boolean;
  scopeId: string | null;
  chats: InboxChat[];
}

const STATUS_NAME: Record<number, string> = { 1: 'delivered', 2: 'read', [-1]: 'failed' };

/**
 * A picture, a location or a contact shown as its caption alone reads like a text message: say what
 * it is, with what identifies it (file name, coordinates, the contact's name and phone).
 */
export function describeAttachment(c: MessageRecord['message']): string | null {
  const any = c as Record<string, unknown>;
  const type = String(c.type ?? 'text');
  if (type === 'text') return null;
  if (type === 'location') {
    const loc = any.location as { lat?: number; lon?: number } | undefined;
    return loc ? `location · ${loc.lat}, ${loc.lon}` : 'location';
  }
  if (type === 'contact') {
    const contact = any.contact as { name?: string; phone?: string } | undefined;
    return contact ? `contact · ${[contact.name, contact.phone].filter(Boolean).join(' ')}` : 'contact';
  }
  const name = (any.file_name as string | undefined) || (any.sticker_id as string | undefined) || (any.media as string | undefined);
  const seconds = typeof any.media_duration === 'number' && any.media_duration > 0 ? ` · ${any.media_duration} s` : '';
  return name ? `${type} · ${name}${seconds}` : `${type}${seconds}`;
}

export function createInbox(emulator: EmulatorControl, amojoAccountId: string) {
  /** The sandbox account's scope, the connected one first (a reconnect keeps the same scope id). */
  function scope() {
    const scopes = emulator.listConnections().filter((s) => s.accountId === amojoAccountId);
    return scopes.find((s) => s.connected) ?? scopes[0] ?? null;
  }

  function requireScope(): string {
    const s = scope();
    if (!s?.connected)
      throw new AppError('account_not_connected', 'the sandbox amoCRM account is not connected: connect it in the widget (login demo, password demo) first');
    return s.scopeId;
  }

  function view(): InboxView {
    const s = scope();
    if (!s) return { connected: false, scopeId: null, chats: [] };
    const users = new Map(emulator.listUsers(s.scopeId).map((u) => [u.id, u]));
    const byChat = new Map<string, InboxMessage[]>();
    for (const m of emulator.listMessages({ scopeId: s.scopeId })) {
      const from = m.direction === 'in' ? 'customer' : 'manager';
      const author = users.get(m.senderId);
      const last = m.deliveryStatus;
      const list = byChat.get(m.chatId) ?? [];
      list.push({
        id: m.id,
        from,
        author: author?.name || (from === 'manager' ? 'Manager' : 'Customer'),
        text: m.message.text ?? '',
        kind: String(m.message.type ?? 'text'),
        attachment: describeAttachment(m.message),
        at: m.msecTimestamp || m.createdAt,
        status: from === 'customer' ? 'received' : last ? (STATUS_NAME[last.status] ?? String(last.status)) : 'sent',
        history: m.deliveryHistory.map((h) => STATUS_NAME[h.status] ?? String(h.status)),
        error: last?.error ?? null,
      });
      byChat.set(m.chatId, list);
    }
    const chats = emulator.listChats(s.scopeId).map((chat): InboxChat => {
      const messages = (byChat.get(chat.id) ?? []).sort((a, b) => a.at - b.at);
      const client = chat.clientUserId ? users.get(chat.clientUserId) : undefined;
      return {
        id: chat.id,
        title: client?.name || (client?.phone ? `+${client.phone}` : 'Customer'),
        phone: client?.phone ?? null,
        origin: chat.origin,
        conversationId: chat.conversationId,
        lastAt: messages.at(-1)?.at ?? chat.createdAt,
        messages: messages.slice(-200),
      };
    });
    chats.sort((a, b) => b.lastAt - a.lastAt);
    return { connected: s.connected, scopeId: s.scopeId, chats };
  }

  return {
    view,
    async reply(chatId: string, text: string) {
      const r = await emulator.managerReply({ scopeId: requireScope(), chatId, text });
      return { messageId: r.messageId, chatId: r.chatId, webhookStatus: r.webhook.status, webhookError: r.webhook.error };
    },
    async writeFirst(phone: string, text: string, name?: string, sourceExternalId?: string) {
      const r = await emulator.writeFirst({
        scopeId: requireScope(),
        phone,
        text,
        ...(name ? { name } : {}),
        ...(sourceExternalId ? { sourceExternalId } : {}),
      });
      return { messageId: r.messageId, chatId: r.chatId, webhookStatus: r.webhook.status, webhookError: r.webhook.error };
    },
  };
}

export type Inbox = ReturnType<typeof createInbox>;
