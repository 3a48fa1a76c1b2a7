import { z } from 'zod';
import { idSchema, participantSchema, sourceSchema, unixMillisSchema, unixSecondsSchema } from './common';
import { DELIVERY_ERROR, DELIVERY_ERROR_CODES, DELIVERY_STATUS_CODES } from './delivery-status';
import { editMessageContentSchema, messageSchema } from './message';

/*
 * Request bodies we send to amojo (and the emulator checks on receipt). Plain z.object: extra keys
 * are stripped on parse, and the inferred types have no index signature, so typos fail to compile.
 */

export const connectRequestSchema = z.object({
  account_id: idSchema,
  title: z.string().optional(),
  // Always v2: amojo defaults to the deprecated v1 hook format when this is omitted.
  hook_api_version: z.literal('v2'),
  is_time_window_disabled: z.boolean().optional(),
});
export type ConnectRequest = z.infer<typeof connectRequestSchema>;

export const disconnectRequestSchema = z.object({ account_id: idSchema });
export type DisconnectRequest = z.infer<typeof disconnectRequestSchema>;

export const createChatRequestSchema = z.object({
  conversation_id: idSchema,
  source: sourceSchema.optional(),
  // The docs list user.name as required here (amoCRM names the new contact after it).
  user: participantSchema.extend({ name: z.string().min(1) }),
});
export type CreateChatRequest = z.infer<typeof createChatRequestSchema>;

/**
 * `reply_to.message` names the quoted message by our msgid or amojo's id, or, for a message amoCRM
 * never saw, carries its content (type, text, sender, timestamp…) with no id at all: the docs allow
 * all three, so one of msgid, id or type is required and the fields are kept as given.
 */
export const replyToSchema = z.object({
  message: z
    .looseObject({ msgid: z.string().optional(), id: z.string().optional(), type: z.string().optional() })
    .refine((m) => Boolean(m.msgid || m.id || m.type), 'reply_to.message needs msgid, id, or the quoted content (type, text…)'),
});
export type ReplyTo = z.infer<typeof replyToSchema>;

/** The docs forward exactly one message per new_message; a second one is refused, not dropped. */
export const forwardsSchema = z.object({
  messages: z.array(z.looseObject({ msgid: z.string().optional(), id: z.string().optional() })).length(1),
  conversation_ref_id: z.string().optional(),
});
export type Forwards = z.infer<typeof forwardsSchema>;

export const newMessagePayloadSchema = z.object({
  timestamp: unixSecondsSchema,
  msec_timestamp: unixMillisSchema,
  // Our id and amojo's idempotency key: amojo rejects a second message with the same msgid.
  msgid: idSchema,
  conversation_id: idSchema,
  // Sent with conversation_id to bind a chat a manager started ("write first").
  conversation_ref_id: z.string().optional(),
  silent: z.boolean().optional(),
  source: sourceSchema.optional(),
  sender: participantSchema,
  // Only for messages written by a manager or the bot on the integration's side.
  receiver: participantSchema.optional(),
  message: messageSchema,
  reply_to: replyToSchema.optional(),
  forwards: forwardsSchema.optional(),
});
export type NewMessagePayload = z.infer<typeof newMessagePayloadSchema>;

export const newMessageRequestSchema = z.object({
  event_type: z.literal('new_message'),
  payload: newMessagePayloadSchema,
});
export type NewMessageRequest = z.infer<typeof newMessageRequestSchema>;

export const editMessagePayloadSchema = z
  .object({
    timestamp: unixSecondsSchema,
    msec_timestamp: unixMillisSchema,
    msgid: z.string().optional(),
    id: z.string().optional(),
    conversation_id: idSchema,
    message: editMessageContentSchema,
  })
  .refine((p) => Boolean(p.msgid || p.id), { message: 'edit_message needs msgid or id', path: ['msgid'] });
export type EditMessagePayload = z.infer<typeof editMessagePayloadSchema>;

export const editMessageRequestSchema = z.object({
  event_type: z.literal('edit_message'),
  payload: editMessagePayloadSchema,
});
export type EditMessageRequest = z.infer<typeof editMessageRequestSchema>;

/** Both events share `POST /v2/origin/custom/{scope_id}`; this is what that endpoint accepts. */
export const messageEventRequestSchema = z.discriminatedUnion('event_type', [newMessageRequestSchema, editMessageRequestSchema]);
export type MessageEventRequest = z.infer<typeof messageEventRequestSchema>;

export const deliveryStatusRequestSchema = z
  .object({
    msgid: idSchema,
    delivery_status: z.literal(DELIVERY_STATUS_CODES),
    error_code: z.literal(DELIVERY_ERROR_CODES).optional(),
    error: z.string().optional(),
  })
  .superRefine((body, ctx) => {
    if (body.error_code === DELIVERY_ERROR.other && !body.error?.trim()) {
      ctx.addIssue({ code: 'custom', path: ['error'], message: 'error_code 905 ("other") requires an error text' });
    }
  });
export type DeliveryStatusRequest = z.infer<typeof deliveryStatusRequestSchema>;

export const typingRequestSchema = z.object({
  conversation_id: idSchema,
  sender: z.object({ id: idSchema }),
  duration_ms: z.number().int().positive().optional(),
});
export type TypingRequest = z.infer<typeof typingRequestSchema>;

export const reactRequestSchema = z
  .object({
    conversation_id: z.string().optional(),
    conversation_ref_id: z.string().optional(),
    msgid: z.string().optional(),
    id: z.string().optional(),
    user: z.object({ id: z.string().optional(), ref_id: z.string().optional() }),
    type: z.enum(['react', 'unreact']),
    emoji: z.string().optional(),
  })
  .superRefine((body, ctx) => {
    if (!body.conversation_id && !body.conversation_ref_id) {
      ctx.addIssue({ code: 'custom', path: ['conversation_id'], message: 'react needs conversation_id or conversation_ref_id' });
    }
    if (!body.msgid && !body.id) ctx.addIssue({ code: 'custom', path: ['msgid'], message: 'react needs msgid or id' });
    if (!body.user.id && !body.user.ref_id) ctx.addIssue({ code: 'custom', path: ['user'], message: 'react needs user.id or user.ref_id' });
  });
export type ReactRequest = z.infer<typeof reactRequestSchema>;
