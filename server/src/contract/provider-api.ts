import { messageSchema, sourceSchema } from '@amochan/amojo';
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

export const senderSchema = z.object({
  id,
  name: z.string().trim().min(1),
  avatar: httpUrl.optional(),
  phone: z.string().max(64).optional(),
  email: z.string().max(254).optional(),
  profile_link: httpUrl.optional(),
  /** amojo's id of this customer, when the provider echoes it back from a write-first event. */
  ref_id: z.string().min(1).optional(),
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

export const postMessageSchema = z
  .object({
    account: id,
    conversation_id: id,
    msgid: id.optional(),
    sender: senderSchema,
    message: messageSchema,
    /** Unix seconds; milliseconds are accepted too (values ≥ 10^11). Defaults to now. */
    timestamp: z.number().nonnegative().optional(),
    silent: z.boolean().optional(),
    /** The provider channel the customer wrote to; absent/null = the login's default channel. */
    channel: channelIdSchema.nullable().optional(),
    /** Deprecated: use `channel`. A raw amoCRM source external_id, sent to amojo as is. */
    source_external_id: sourceSchema.shape.external_id.optional(),
    /** The amojo chat id of a write-first chat (`data.conversation.ref_id` of its event). */
    conversation_ref_id: z.string().min(1).optional(),
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
  });
export type PostMessageRequest = z.infer<typeof postMessageSchema>;

export const DELIVERY_STATUS_BY_NAME = { delivered: 1, read: 2, failed: -1 } as const;
export type ProviderDeliveryStatus = keyof typeof DELIVERY_STATUS_BY_NAME;

export const postStatusSchema = z.object({
  status: z.enum(['delivered', 'read', 'failed']),
  error_code: z.union([z.literal(901), z.literal(902), z.literal(903), z.literal(904), z.literal(905)]).optional(),
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
