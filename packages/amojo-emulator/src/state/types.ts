/*
 * The emulator's in-memory records. amojo ids are `id`; integration-side ids (ours) are named after
 * what the integration calls them (`clientId`, `conversationId`, `clientMsgId`). Records are
 * returned to tests as-is, so they stay plain JSON-able objects.
 */

export interface ChannelRecord {
  id: string;
  secret: string;
  /** Callback URL with `:scope_id`; null until configured. */
  webhookUrl: string | null;
  /** The channel bot's amojo user id: a valid `sender.ref_id` for bot messages. */
  botId: string;
}

export interface ScopeRecord {
  scopeId: string;
  channelId: string;
  accountId: string;
  title: string;
  hookApiVersion: string;
  isTimeWindowDisabled: boolean;
  connected: boolean;
  connectedAt: number;
  disconnectedAt: number | null;
  connectCount: number;
  /** The default amoCRM user who answers in managerReply. */
  managerId: string;
}

export type UserRole = 'client' | 'manager' | 'bot';

export interface UserRecord {
  id: string;
  scopeId: string;
  /** The integration's id for this user (sender.id); null for a write-first receiver not yet bound. */
  clientId: string | null;
  role: UserRole;
  name: string;
  avatar: string | null;
  /** Digits only, as amoCRM normalises phone numbers. */
  phone: string | null;
  email: string | null;
  profileLink: string | null;
  createdAt: number;
}

export type ChatOrigin = 'create_chat' | 'new_message' | 'write_first';

export interface ChatRecord {
  id: string;
  scopeId: string;
  /** The integration's conversation_id; null for a write-first chat not yet bound. */
  conversationId: string | null;
  sourceExternalId: string | null;
  clientUserId: string | null;
  origin: ChatOrigin;
  leadId: string | null;
  createdAt: number;
  /** When conversation_ref_id bound a write-first chat to a conversation_id. */
  boundAt: number | null;
}

/** `in`: from the customer side into amoCRM; `out`: from amoCRM (manager/bot) toward the customer. */
export type Direction = 'in' | 'out';
export type MessageOrigin = 'integration' | 'manager' | 'write_first';
export type DeliveryStatusCode = 1 | 2 | -1;

export interface DeliveryStatusRecord {
  status: DeliveryStatusCode;
  errorCode: number | null;
  error: string | null;
  at: number;
}

export interface ReactionRecord {
  userId: string | null;
  by: 'integration' | 'manager';
  type: 'react' | 'unreact';
  emoji: string | null;
  at: number;
}

/** The `message` object as it travels on the wire (unknown fields kept). */
export interface WireMessage {
  type: string;
  text?: string;
  media?: string;
  thumbnail?: string;
  file_name?: string;
  file_size?: number;
  markup?: unknown;
  [key: string]: unknown;
}

export interface MessageRecord {
  id: string;
  scopeId: string;
  chatId: string;
  /** The integration's msgid; null for messages written in amoCRM. */
  clientMsgId: string | null;
  direction: Direction;
  origin: MessageOrigin;
  senderId: string;
  receiverId: string | null;
  message: WireMessage;
  timestamp: number;
  msecTimestamp: number;
  createdAt: number;
  silent: boolean;
  sourceExternalId: string | null;
  replyTo: { id: string | null; msgid: string | null } | null;
  deliveryStatus: DeliveryStatusRecord | null;
  deliveryHistory: DeliveryStatusRecord[];
  edits: Array<{ at: number; message: WireMessage }>;
  reactions: ReactionRecord[];
}

export interface LeadRecord {
  id: string;
  scopeId: string;
  chatId: string;
  contactUserId: string | null;
  status: 'unsorted' | 'in_work';
  origin: 'incoming_message' | 'write_first';
  createdAt: number;
}

export interface TypingRecord {
  scopeId: string;
  chatId: string;
  senderId: string | null;
  durationMs: number | null;
  at: number;
}
