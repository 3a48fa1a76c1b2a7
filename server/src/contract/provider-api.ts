import { DELIVERY_ERROR_CODES, DELIVERY_STATUS, editMessageContentSchema, messageSchema, sourceSchema } from '@amochan/amojo';
import { z } from 'zod';

/**
 * The provider API's request bodies (`/api/v1`). The message part reuses the SDK's per-type schema
 * (the same rules amojo applies), so a message that passes here is one amojo accepts; a refusal
 * names the field path (`message.file_name`) so the provider's developer can fix it at once.
 */

export function isAbsoluteHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

const httpUrl = z.string().refine(isAbsoluteHttpUrl, 'expected an absolute http(s) URL');
const id = z.string().trim().min(1).max(255);

/** amojo ids (chats, users, messages) are lowercase uuids; anything else cannot name one of its objects. */
export const AMOJO_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const amojoId = z.string().trim().toLowerCase().regex(AMOJO_ID_PATTERN, 'expected an amojo id (a uuid, as in the event)');

/**
 * Unix seconds, or milliseconds: a value ≥ 10^11 is read as milliseconds (10^11 seconds is the year
 * 5138, so no real time in seconds is that large). Above 10^13 ms (the year 2286) it is no time at all.
 */
export const TIMESTAMP_MS_FROM = 1e11;
export const TIMESTAMP_MAX = 1e13;

export const senderSchema = z.object({
  id,
  name: z.string().trim().min(1).max(255),
  avatar: httpUrl.optional(),
  phone: z.string().max(64).optional(),
  email: z.string().max(254).optional(),
  profile_link: httpUrl.optional(),
  /** amojo's id of this customer: `data.receiver.ref_id` of a write-first event (never `sender.ref_id`, the manager). */
  ref_id: amojoId.optional(),
});

/**
 * A provider channel (a number, a bot, a page). Ids appear in events, URLs and the CLI's `id=name`
 * pairs, so they are short and plain; names are what amoCRM shows as the source's name.
 */
export const MAX_CHANNELS = 50;
export const channelIdSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(64)
  .regex(/^[A-Za-z0-9+][A-Za-z0-9._:@+-]*$/, 'letters, digits and . _ : @ + - only, starting with a letter, a digit or +');
export const channelDeclSchema = z.object({ id: channelIdSchema, name: z.string().trim().min(1, 'must not be empty').max(255) });
export type ChannelDecl = z.infer<typeof channelDeclSchema>;
export const channelListSchema = z
  .array(channelDeclSchema)
  // amoCRM allows 50 sources per integration and account on its older docs page (100 on Kommo's).
  .max(MAX_CHANNELS, `at most ${MAX_CHANNELS} channels (amoCRM's source limit per integration)`)
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((c, i) => {
      if (seen.has(c.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate channel id "${c.id}"` });
      seen.add(c.id);
    });
  });
export const putChannelsSchema = z.object({ channels: channelListSchema });
export type PutChannelsRequest = z.infer<typeof putChannelsSchema>;

export interface ChannelSourceView {
  amocrm_account_id: number;
  external_id: string;
  source_id: number | null;
  pipeline_id: number | null;
  state: 'pending' | 'created' | 'deleting' | 'error';
  error: string | null;
}
export interface ChannelView {
  /** null: the implicit channel of a login that declared none. */
  id: string | null;
  name: string;
  sources: ChannelSourceView[];
}
export interface ChannelsReply {
  channels: ChannelView[];
}

/** The quoted message: the customer's own earlier one by its msgid, or a manager's by its amojo id (`data.id` of its event). */
export const replyToSchema = z
  .object({ msgid: id.optional(), id: id.optional() })
  .refine((r) => Boolean(r.msgid) !== Boolean(r.id), 'reply_to needs exactly one of msgid (a customer message) or id (a manager message)');

export const postMessageSchema = z
  .object({
    account: id,
    conversation_id: id,
    msgid: id.optional(),
    /** "in" (default): the customer wrote. "out": the business wrote to the customer outside amoCRM (imported as the channel bot's). */
    direction: z.enum(['in', 'out']).default('in'),
    /** The customer who wrote (direction "in"). */
    sender: senderSchema.optional(),
    /** The customer written to (direction "out"). */
    receiver: senderSchema.optional(),
    message: messageSchema,
    timestamp: z.number().nonnegative().max(TIMESTAMP_MAX, `must be Unix seconds, or milliseconds (at most ${TIMESTAMP_MAX})`).optional(),
    silent: z.boolean().optional(),
    /** The provider channel the customer wrote to; absent/null = the login's default channel. */
    channel: channelIdSchema.nullable().optional(),
    /** Deprecated: use `channel`. A raw amoCRM source external_id, sent to amojo as is. */
    source_external_id: sourceSchema.shape.external_id.optional(),
    /** The amojo chat id of a write-first chat (`data.conversation.ref_id` of its event). */
    conversation_ref_id: amojoId.optional(),
    reply_to: replyToSchema.optional(),
  })
  .superRefine((body, ctx) => {
    if (body.channel != null && body.source_external_id !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['source_external_id'], message: 'give either channel or the deprecated source_external_id, not both' });
    }
    // The SDK checks the scheme; amoCRM must also be able to fetch it, so insist on a real absolute URL.
    const media = (body.message as { media?: unknown }).media;
    if (typeof media === 'string' && !isAbsoluteHttpUrl(media)) {
      ctx.addIssue({ code: 'custom', path: ['message', 'media'], message: 'expected an absolute http(s) URL' });
    }
    if (body.direction === 'in' && !body.sender) ctx.addIssue({ code: 'custom', path: ['sender'], message: 'required: the customer who wrote' });
    if (body.direction === 'in' && body.receiver) {
      ctx.addIssue({ code: 'custom', path: ['receiver'], message: 'only with direction "out" (the customer written to)' });
    }
    if (body.direction === 'out') {
      if (!body.receiver) ctx.addIssue({ code: 'custom', path: ['receiver'], message: 'required with direction "out": the customer the business wrote to' });
      if (body.sender) ctx.addIssue({ code: 'custom', path: ['sender'], message: 'not allowed with direction "out": the author is the channel\'s bot' });
    }
  });
export type PostMessageRequest = z.infer<typeof postMessageSchema>;

/** The provider says `failed` where amojo says `error`; the codes are amojo's. */
export const DELIVERY_STATUS_BY_NAME = { delivered: DELIVERY_STATUS.delivered, read: DELIVERY_STATUS.read, failed: DELIVERY_STATUS.error } as const;
export type ProviderDeliveryStatus = keyof typeof DELIVERY_STATUS_BY_NAME;

export const postStatusSchema = z.object({
  status: z.enum(['delivered', 'read', 'failed']),
  error_code: z.literal(DELIVERY_ERROR_CODES).optional(),
  error: z.string().max(1000).optional(),
});
export type PostStatusRequest = z.infer<typeof postStatusSchema>;

export const postTypingSchema = z.object({
  account: id,
  conversation_id: id,
  sender_id: id,
});
export type PostTypingRequest = z.infer<typeof postTypingSchema>;

export const messageLookupQuerySchema = z.object({
  account: id.optional(),
  msgid: id.optional(),
});

export const postEditSchema = z.object({
  account: id,
  /** The provider's msgid of the customer's earlier message. */
  msgid: id,
  // The docs make media fields optional on edit: a caption can change without re-sending the file.
  message: editMessageContentSchema,
});
export type PostEditRequest = z.infer<typeof postEditSchema>;

export const postReactionSchema = z.object({
  account: id,
  conversation_id: id,
  /** The customer's id (like typing's sender_id). */
  sender_id: id,
  /** `{msgid}`: a customer message by the provider's msgid; `{id}`: a manager message by its amojo id. */
  target: replyToSchema,
  emoji: z.string().trim().min(1).max(32),
  remove: z.boolean().optional(),
});
export type PostReactionRequest = z.infer<typeof postReactionSchema>;
