import { randomUUID } from 'node:crypto';

/*
 * Hook bodies exactly as amojo documents them (hook_api_version v2), for tests of a receiver. The
 * defaults reproduce the documented shapes field for field:
 * - `sender` is `{id}` only: amoCRM sends no manager name (pass `senderName` to test a receiver
 *   against the optional `name` the docs mention);
 * - `receiver` is `{id, client_id, phone, email}` with "" for an unknown phone or email;
 * - every common `message` field is present: "" / 0 / null when empty.
 * amojo documents no edit hook, so there is no builder for one.
 */

export interface HookBase {
  /** The account's amojo id (`account_id`). */
  accountId?: string;
  /** Seconds; `time` of the hook. Defaults to now. */
  time?: number;
}

export interface MessageHookInput extends HookBase {
  /** amojo's chat id (`conversation.id`). */
  chatId?: string;
  /** Our conversation_id (`conversation.client_id`). */
  conversationId?: string;
  receiver?: { id?: string; clientId?: string; phone?: string; email?: string };
  /** The amoCRM user who wrote (`sender.id`). */
  senderId?: string;
  /** Only if a test needs the optional `sender.name`; amoCRM normally sends none. */
  senderName?: string;
  /** amojo's message id. */
  messageId?: string;
  /** Milliseconds; `timestamp`/`msec_timestamp` of the message. Defaults to `time`. */
  msecTimestamp?: number;
  sourceExternalId?: string;
  /** Fields of the inner `message` over the defaults (type text): text, media, file_name, markup, media_group_id… */
  message?: Record<string, unknown>;
}

export type WriteFirstHookInput = Omit<MessageHookInput, 'conversationId' | 'receiver'> & {
  /** The number the manager chose; required, it is how the integration finds the customer. */
  phone: string;
  receiverId?: string;
};

export interface TypingHookInput extends HookBase {
  userId?: string;
  chatId?: string;
  conversationId?: string;
  /** Seconds; when the typing indicator expires. Defaults to time + 5. */
  expiredAt?: number;
}

export interface ReactionHookInput extends HookBase {
  /** amojo's id of the reacted-to message. */
  messageId: string;
  /** Our msgid of that message, when it is one of ours (only in the `message` layout). */
  messageClientId?: string;
  /** The docs show both: `msgid` at the top, or a `message:{id, client_id}` object. */
  layout?: 'msgid' | 'message';
  type?: 'react' | 'unreact';
  emoji?: string;
  userId?: string;
  chatId?: string;
  conversationId?: string;
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

function base(input: HookBase): { account_id: string; time: number } {
  return { account_id: input.accountId ?? randomUUID(), time: input.time ?? nowSeconds() };
}

function conversation(chatId: string | undefined, conversationId: string | undefined): Record<string, string> {
  return { id: chatId ?? randomUUID(), ...(conversationId !== undefined ? { client_id: conversationId } : {}) };
}

/** The inner `message` of a hook: the documented fields typed, anything a test adds kept as is. */
export interface HookMessageContent {
  id: string;
  type: string;
  text: string;
  [field: string]: unknown;
}

function messageContent(input: MessageHookInput): HookMessageContent {
  return {
    id: input.messageId ?? randomUUID(),
    type: 'text',
    text: 'Hello from amoCRM',
    markup: null,
    tag: '',
    media: '',
    thumbnail: '',
    file_name: '',
    file_size: 0,
    ...input.message,
  };
}

function messageEnvelope(input: MessageHookInput, receiver: Record<string, string>, conv: Record<string, string>) {
  const b = base(input);
  const msec = input.msecTimestamp ?? b.time * 1000;
  return {
    ...b,
    message: {
      receiver,
      sender: { id: input.senderId ?? randomUUID(), ...(input.senderName !== undefined ? { name: input.senderName } : {}) },
      conversation: conv,
      ...(input.sourceExternalId !== undefined ? { source: { external_id: input.sourceExternalId } } : {}),
      timestamp: Math.floor(msec / 1000),
      msec_timestamp: msec,
      message: messageContent(input),
    },
  };
}

/** A manager's message in a chat the integration started: both client ids are present. */
export function buildMessageHook(input: MessageHookInput = {}) {
  const r = input.receiver ?? {};
  const receiver = { id: r.id ?? randomUUID(), client_id: r.clientId ?? 'client-1', phone: r.phone ?? '', email: r.email ?? '' };
  return messageEnvelope(input, receiver, conversation(input.chatId, input.conversationId ?? 'conversation-1'));
}

/**
 * A manager wrote first from a lead card: amojo knows none of our ids yet, so `conversation.client_id`
 * and `receiver.client_id` are absent, and `receiver.phone` holds the chosen number.
 */
export function buildWriteFirstHook(input: WriteFirstHookInput) {
  const receiver = { id: input.receiverId ?? randomUUID(), phone: input.phone, email: '' };
  return messageEnvelope(input, receiver, conversation(input.chatId, undefined));
}

export function buildTypingHook(input: TypingHookInput = {}) {
  const b = base(input);
  return {
    ...b,
    action: {
      typing: {
        user: { id: input.userId ?? randomUUID() },
        conversation: conversation(input.chatId, input.conversationId ?? 'conversation-1'),
        expired_at: input.expiredAt ?? b.time + 5,
      },
    },
  };
}

export function buildReactionHook(input: ReactionHookInput) {
  const target =
    (input.layout ?? 'message') === 'msgid'
      ? { msgid: input.messageId }
      : { message: { id: input.messageId, ...(input.messageClientId !== undefined ? { client_id: input.messageClientId } : {}) } };
  return {
    ...base(input),
    action: {
      reaction: {
        ...target,
        user: { id: input.userId ?? randomUUID() },
        conversation: conversation(input.chatId, input.conversationId ?? 'conversation-1'),
        type: input.type ?? 'react',
        ...((input.type ?? 'react') === 'react' || input.emoji !== undefined ? { emoji: input.emoji ?? '👍' } : {}),
      },
    },
  };
}
