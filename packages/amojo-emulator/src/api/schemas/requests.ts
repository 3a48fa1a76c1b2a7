import { z } from 'zod';
import { editMessageContentSchema, newMessageContentSchema } from './message-content';

/*
 * Request bodies as the Chats API reference describes them, the emulator's own reading of the docs.
 * Unknown fields are stripped (amojo ignores what it does not know); the handlers keep the raw body
 * where the original must be stored.
 */

const id = z.string().min(1);
const url = z.string().regex(/^https?:\/\/\S+$/i, 'expected an http(s) URL');
const whole = z.number().int().nonnegative();

const source = z.object({
  external_id: z
    .string()
    .min(1)
    .max(40)
    .regex(/^[\x20-\x7e]+$/, 'expected printable ASCII'),
});
const profile = z.object({ phone: z.string().optional(), email: z.string().optional() });

/** sender / receiver of new_message, user of create chat. */
export const participantSchema = z.object({
  id,
  ref_id: z.string().optional(),
  name: z.string().optional(),
  avatar: url.optional(),
  profile: profile.optional(),
  profile_link: url.optional(),
});
export type Participant = z.infer<typeof participantSchema>;

export const connectSchema = z.object({
  account_id: id,
  title: z.string().optional(),
  // The emulator speaks only v2 hooks; a client that would get the deprecated v1 format from the
  // real amojo (the default when this is left out) is refused rather than fooled.
  hook_api_version: z.literal('v2'),
  is_time_window_disabled: z.boolean().optional(),
});

export const disconnectSchema = z.object({ account_id: id });

export const createChatSchema = z.object({
  conversation_id: id,
  source: source.optional(),
  // The reference marks user.name as required on create chat.
  user: participantSchema.extend({ name: z.string().min(1) }),
});

const messageRef = z.looseObject({ msgid: z.string().optional(), id: z.string().optional() });

export const newMessageSchema = z.object({
  event_type: z.literal('new_message'),
  payload: z.object({
    timestamp: whole,
    msec_timestamp: whole,
    msgid: id,
    conversation_id: id,
    conversation_ref_id: z.string().optional(),
    silent: z.boolean().optional(),
    source: source.optional(),
    sender: participantSchema,
    receiver: participantSchema.optional(),
    message: newMessageContentSchema,
    // A quote names its message by msgid or id, or carries the quoted content for a message amoCRM never saw.
    reply_to: z.object({ message: messageRef.refine((m) => Boolean(m.msgid || m.id || m.type), 'msgid, id or the quoted content') }).optional(),
    // One forwarded message per new_message.
    forwards: z.object({ messages: z.array(messageRef).length(1), conversation_ref_id: z.string().optional() }).optional(),
  }),
});

export const editMessageSchema = z.object({
  event_type: z.literal('edit_message'),
  payload: z
    .object({
      timestamp: whole,
      msec_timestamp: whole,
      msgid: z.string().optional(),
      id: z.string().optional(),
      conversation_id: id,
      message: editMessageContentSchema,
    })
    .refine((p) => Boolean(p.msgid || p.id), { path: ['msgid'], message: 'msgid or id is required' }),
});

export const deliveryStatusSchema = z
  .object({
    msgid: id,
    delivery_status: z.union([z.literal(1), z.literal(2), z.literal(-1)]),
    error_code: z.union([z.literal(901), z.literal(902), z.literal(903), z.literal(904), z.literal(905)]).optional(),
    error: z.string().optional(),
  })
  .refine((b) => b.error_code !== 905 || Boolean(b.error && b.error.trim()), { path: ['error'], message: '905 needs an error text' });

export const typingSchema = z.object({
  conversation_id: id,
  sender: z.object({ id }),
  duration_ms: z.number().int().positive().optional(),
});

export const reactSchema = z
  .object({
    conversation_id: z.string().optional(),
    conversation_ref_id: z.string().optional(),
    msgid: z.string().optional(),
    id: z.string().optional(),
    user: z.object({ id: z.string().optional(), ref_id: z.string().optional() }),
    type: z.enum(['react', 'unreact']),
    emoji: z.string().optional(),
  })
  .refine((b) => Boolean(b.conversation_id || b.conversation_ref_id), { path: ['conversation_id'], message: 'conversation_id or conversation_ref_id' })
  .refine((b) => Boolean(b.msgid) !== Boolean(b.id), { path: ['msgid'], message: 'exactly one of msgid and id' })
  .refine((b) => Boolean(b.user.id || b.user.ref_id), { path: ['user'], message: 'user.id or user.ref_id' });
