import { z } from 'zod';
import { amojoUserShape, idSchema, looseNumber, looseString } from './common';

/*
 * What amojo answers. looseObject everywhere: amojo adds fields over time (is_time_window_disabled
 * appeared later) and we must not fail a successful call because of a field we do not know.
 */

export const connectResponseSchema = z.looseObject({
  account_id: idSchema,
  scope_id: idSchema,
  title: looseString,
  hook_api_version: looseString,
  is_time_window_disabled: z.boolean().optional(),
});
export type ConnectResponse = z.infer<typeof connectResponseSchema>;

/** amojo returns the user's contacts either flat (phone/email) or under `profile`: accept both. */
export const chatUserSchema = z.looseObject({
  ...amojoUserShape,
  profile: z.looseObject({ phone: looseString, email: looseString }).nullish(),
});
export type ChatUser = z.infer<typeof chatUserSchema>;

export const createChatResponseSchema = z.looseObject({
  id: idSchema,
  user: chatUserSchema,
});
export type CreateChatResponse = z.infer<typeof createChatResponseSchema>;

/** Picks the user's phone/email whichever shape amojo used (flat wins when both are present). */
export function chatUserContacts(user: ChatUser): { phone?: string; email?: string } {
  const phone = user.phone || user.profile?.phone || undefined;
  const email = user.email || user.profile?.email || undefined;
  return { ...(phone ? { phone } : {}), ...(email ? { email } : {}) };
}

/** Only `new_message.msgid` (amojo's message id) is guaranteed. */
export const newMessageResponseSchema = z.looseObject({
  new_message: z.looseObject({
    msgid: idSchema,
    ref_id: looseString,
    conversation_id: looseString,
    sender_id: looseString,
    receiver_id: looseString,
  }),
});
export type NewMessageResponse = z.infer<typeof newMessageResponseSchema>;

/** edit_message answers like new_message in practice, but nothing is documented: keep it open. */
export const editMessageResponseSchema = z.looseObject({});
export type EditMessageResponse = z.infer<typeof editMessageResponseSchema>;

const historyParticipantSchema = z.looseObject({
  id: looseString,
  client_id: looseString,
  ref_id: looseString,
  name: looseString,
  avatar: looseString,
  phone: looseString,
  email: looseString,
});

export const historyMessageSchema = z.looseObject({
  timestamp: looseNumber,
  msec_timestamp: looseNumber,
  sender: historyParticipantSchema.nullish(),
  receiver: historyParticipantSchema.nullish(),
  message: z
    .looseObject({
      id: looseString,
      client_id: looseString,
      type: looseString,
      text: looseString,
      media: looseString,
      thumbnail: looseString,
      file_name: looseString,
      file_size: looseNumber,
    })
    .nullish(),
});
export type HistoryMessage = z.infer<typeof historyMessageSchema>;

export const historyResponseSchema = z.looseObject({ messages: z.array(historyMessageSchema) });
export type HistoryResponse = z.infer<typeof historyResponseSchema>;

/** amojo's error body, e.g. 403 `{"status":0,"error_code":403,"error_type":"ORIGIN_INVALID_SIGNATURE",...}`. */
export const amojoErrorBodySchema = z
  .looseObject({
    status: z.number().optional(),
    error_code: z.number().optional(),
    error_type: z.string().optional(),
    error_description: z.string().optional(),
  })
  .refine((b) => b.error_type !== undefined || b.error_code !== undefined, 'not an amojo error body');
export type AmojoErrorBody = z.infer<typeof amojoErrorBodySchema>;
