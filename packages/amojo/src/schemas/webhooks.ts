import { z } from 'zod';
import { amojoUserShape, idSchema, looseNumber, looseString } from './common';
import { reactionTargetId } from './reaction-target';

/*
 * Hooks amojo POSTs to the channel's callback URL (hook_api_version v2). amojo sends each hook once
 * and never retries, so these schemas are deliberately lenient: only the ids needed to route the
 * hook are required, everything else may be missing, null or '', and unknown fields are kept.
 */

const conversationRefSchema = z.looseObject({ id: idSchema, client_id: looseString });

export const messageHookReceiverSchema = z.looseObject(amojoUserShape);

export const messageHookSenderSchema = z.looseObject({ id: idSchema, name: looseString, avatar: looseString });

export const hookMessageContentSchema = z.looseObject({
  id: idSchema,
  // A plain string, not an enum: a type amojo adds later must not make us drop the hook.
  type: z.string().min(1),
  text: looseString,
  markup: z.unknown().optional(),
  template: z.unknown().optional(),
  tag: looseString,
  media: looseString,
  thumbnail: looseString,
  file_name: looseString,
  file_size: looseNumber,
  media_group_id: looseString,
  reply_to: z.unknown().optional(),
  forwards: z.unknown().optional(),
  location: z.looseObject({ lon: looseNumber, lat: looseNumber }).nullish(),
  contact: z.looseObject({ name: looseString, phone: looseString }).nullish(),
});
export type HookMessageContent = z.infer<typeof hookMessageContentSchema>;

export const messageHookSchema = z.looseObject({
  account_id: idSchema,
  time: looseNumber,
  message: z.looseObject({
    receiver: messageHookReceiverSchema,
    sender: messageHookSenderSchema,
    conversation: conversationRefSchema,
    source: z.looseObject({ external_id: looseString }).nullish(),
    timestamp: looseNumber,
    msec_timestamp: looseNumber,
    message: hookMessageContentSchema,
  }),
});
export type MessageHook = z.infer<typeof messageHookSchema>;

/**
 * A manager started the chat from a lead card: amojo does not know our conversation yet, so
 * conversation.client_id is missing (or empty).
 */
export function isWriteFirstHook(hook: MessageHook): boolean {
  return !hook.message.conversation.client_id;
}

/** The write-first variant, stated explicitly: no client ids, and the phone the manager chose. */
export const writeFirstMessageHookSchema = messageHookSchema.superRefine((hook, ctx) => {
  if (hook.message.conversation.client_id) {
    ctx.addIssue({ code: 'custom', path: ['message', 'conversation', 'client_id'], message: 'a write-first hook has no conversation.client_id' });
  }
  if (!hook.message.receiver.phone) {
    ctx.addIssue({ code: 'custom', path: ['message', 'receiver', 'phone'], message: 'a write-first hook carries receiver.phone' });
  }
});
export type WriteFirstMessageHook = z.infer<typeof writeFirstMessageHookSchema>;

export const typingHookSchema = z.looseObject({
  account_id: idSchema,
  time: looseNumber,
  action: z.looseObject({
    typing: z.looseObject({
      user: z.looseObject({ id: idSchema }),
      conversation: conversationRefSchema,
      expired_at: looseNumber,
    }),
  }),
});
export type TypingHook = z.infer<typeof typingHookSchema>;

/** The docs disagree: the reacted-to message comes as `msgid` or as `message:{id,...}`. Both pass. */
export const reactionHookSchema = z.looseObject({
  account_id: idSchema,
  time: looseNumber,
  action: z.looseObject({
    reaction: z
      .looseObject({
        msgid: looseString,
        message: z.looseObject({ id: looseString, client_id: looseString, msgid: looseString }).nullish(),
        user: z.looseObject({ id: idSchema }),
        conversation: conversationRefSchema,
        type: z.string().min(1),
        emoji: looseString,
      })
      .refine((r) => Boolean(reactionTargetId(r)), { message: 'reaction names no message (msgid or message.id)', path: ['msgid'] }),
  }),
});
export type ReactionHook = z.infer<typeof reactionHookSchema>;
