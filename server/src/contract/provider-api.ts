import { DELIVERY_ERROR_CODES, DELIVERY_STATUS, messageSchema, sourceSchema } from '@amochan/amojo';
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
    source_external_id: sourceSchema.shape.external_id.optional(),
    /** The amojo chat id of a write-first chat (`data.conversation.ref_id` of its event). */
    conversation_ref_id: z.string().min(1).optional(),
  })
  .superRefine((body, ctx) => {
    // The SDK checks the scheme; amoCRM must also be able to fetch it, so insist on a real absolute URL.
    const media = (body.message as { media?: unknown }).media;
    if (typeof media === 'string' && !isAbsoluteHttpUrl(media)) {
      ctx.addIssue({ code: 'custom', path: ['message', 'media'], message: 'expected an absolute http(s) URL' });
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
