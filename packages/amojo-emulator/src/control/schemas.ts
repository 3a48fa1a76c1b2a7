import { z } from 'zod';

/*
 * Arguments of the control API (the emulator acting as amoCRM). The same schemas check in-process
 * calls and the JSON bodies of the HTTP control routes, so both behave identically. Ids are
 * camelCase; message fields mirror the hook's snake_case so they read like what is sent.
 */

const chatRef = {
  scopeId: z.string().min(1),
  /** amojo's chat id. */
  chatId: z.string().min(1).optional(),
  /** The integration's conversation_id, when that is what the test knows. */
  conversationId: z.string().min(1).optional(),
};
const needsChat = (a: { chatId?: string | undefined; conversationId?: string | undefined }): boolean => Boolean(a.chatId || a.conversationId);
const chatRefMessage = { message: 'chatId or conversationId is required' };

const author = z.object({ id: z.string().min(1).optional(), name: z.string().optional() }).optional();

export const managerReplyArgsSchema = z
  .object({
    ...chatRef,
    /** Any type string amojo may send; `text` by default. */
    type: z.string().min(1).default('text'),
    text: z.string().optional(),
    media: z.string().optional(),
    thumbnail: z.string().optional(),
    file_name: z.string().optional(),
    file_size: z.number().int().nonnegative().optional(),
    /** Buttons, sent verbatim as `markup`. */
    markup: z.unknown().optional(),
    media_group_id: z.string().optional(),
    /** The amoCRM user who writes; the scope's default manager when absent (an unknown id creates one). */
    sender: author,
  })
  .refine(needsChat, chatRefMessage)
  .refine((a) => a.type !== 'text' || Boolean(a.text), { message: 'a text message needs text' })
  .refine((a) => a.type === 'text' || Boolean(a.media), { message: 'a media message needs media' });
export type ManagerReplyArgs = z.input<typeof managerReplyArgsSchema>;

export const writeFirstArgsSchema = z.object({
  scopeId: z.string().min(1),
  /** The number the manager picked; normalised to digits like amoCRM does. */
  phone: z.string().min(1),
  text: z.string().min(1),
  /** The contact's name in amoCRM. */
  name: z.string().optional(),
  sender: author,
  /**
   * The source the manager picked in amoCRM's "write first" list (its external_id): the hook then
   * carries it as `message.source.external_id`, like chats an integration opened with a source.
   */
  sourceExternalId: z.string().min(1).optional(),
});
export type WriteFirstArgs = z.input<typeof writeFirstArgsSchema>;

export const typingArgsSchema = z
  .object({
    ...chatRef,
    /** amoCRM user who types; the default manager when absent. */
    userId: z.string().min(1).optional(),
    /** expired_at = now + this (5 s by default). */
    expiresInMs: z.number().int().positive().default(5000),
  })
  .refine(needsChat, chatRefMessage);
export type TypingArgs = z.input<typeof typingArgsSchema>;

export const reactArgsSchema = z
  .object({
    ...chatRef,
    /** amojo's message id (our msgid is accepted too). */
    messageId: z.string().min(1),
    emoji: z.string().optional(),
    type: z.enum(['react', 'unreact']).default('react'),
    userId: z.string().min(1).optional(),
    /** Which documented layout names the message: `message:{id,client_id}` (default) or `msgid`. */
    shape: z.enum(['message', 'msgid']).default('message'),
  })
  .refine(needsChat, chatRefMessage);
export type ReactArgs = z.input<typeof reactArgsSchema>;

export const addChannelArgsSchema = z.object({
  id: z.string().min(1).optional(),
  secret: z.string().min(1).optional(),
  webhookUrl: z.string().min(1).nullable().optional(),
});
export type AddChannelArgs = z.input<typeof addChannelArgsSchema>;

export const listMessagesArgsSchema = z.object({
  scopeId: z.string().optional(),
  chatId: z.string().optional(),
});
export type ListMessagesArgs = z.input<typeof listMessagesArgsSchema>;

export const failNextArgsSchema = z.object({
  count: z.number().int().nonnegative(),
  status: z.number().int().min(100).max(599),
  body: z.unknown().optional(),
  retryAfter: z.union([z.number(), z.string()]).optional(),
  headers: z.record(z.string(), z.string()).optional(),
});

export const latencyArgsSchema = z.object({ ms: z.number().nonnegative() });
export const dropWebhooksArgsSchema = z.object({ count: z.union([z.number().int().nonnegative(), z.literal('all')]) });
export const webhookUrlArgsSchema = z.object({ url: z.string().min(1).nullable(), channelId: z.string().optional() });
export const msgidUniquenessArgsSchema = z.object({ mode: z.enum(['per_account', 'per_channel']) });
