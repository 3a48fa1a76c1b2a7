import { reactionTargetId, type MessageHook, type ReactionHook, type TypingHook } from '@amochan/amojo';

/**
 * The `data` of the provider events made from amojo hooks. amojo sends optional fields as missing,
 * null or ''; the provider gets one predictable shape instead (strings default to '', sizes to 0),
 * and any field we do not know yet is passed through untouched.
 */

const str = (v: string | null | undefined): string => v ?? '';
const opt = <K extends string>(key: K, v: string | null | undefined): Partial<Record<K, string>> => (v ? ({ [key]: v } as Record<K, string>) : {});

export interface ConversationRef {
  /** The provider's conversation_id; null while a write-first chat is not bound yet. */
  id: string | null;
  /** amojo's chat id: echo it back as conversation_ref_id when answering a write-first chat. */
  ref_id: string;
}

export function messageCreatedData(hook: MessageHook, ids: { conversationId: string | null; receiverId: string | null }): Record<string, unknown> {
  const m = hook.message;
  const content = m.message;
  const { markup, ...rest } = content;
  const message: Record<string, unknown> = {
    ...rest,
    type: content.type,
    text: str(content.text),
    media: str(content.media),
    thumbnail: str(content.thumbnail),
    file_name: str(content.file_name),
    file_size: content.file_size ?? 0,
  };
  if (markup !== undefined && markup !== null) message.markup = markup;
  const conversation: ConversationRef = { id: ids.conversationId, ref_id: m.conversation.id };
  return {
    id: content.id,
    conversation,
    receiver: {
      id: ids.receiverId,
      ref_id: m.receiver.id,
      ...opt('name', m.receiver.name),
      ...opt('phone', m.receiver.phone),
      ...opt('email', m.receiver.email),
    },
    // amoCRM's hooks name no manager (only sender.id): null says so rather than guessing one.
    sender: { ref_id: m.sender.id, name: m.sender.name || null },
    message,
    ...(m.source?.external_id ? { source: { external_id: m.source.external_id } } : {}),
    timestamp: m.timestamp ?? hook.time ?? Math.floor((m.msec_timestamp ?? 0) / 1000),
    ...(m.msec_timestamp ? { msec_timestamp: m.msec_timestamp } : {}),
  };
}

export function typingData(hook: TypingHook, conversationId: string | null): Record<string, unknown> {
  const t = hook.action.typing;
  const conversation: ConversationRef = { id: conversationId, ref_id: t.conversation.id };
  return { conversation, user: { ref_id: t.user.id }, ...(t.expired_at ? { expired_at: t.expired_at } : {}) };
}

export function reactionData(hook: ReactionHook, conversationId: string | null, providerMsgid: string | null): Record<string, unknown> {
  const r = hook.action.reaction;
  const conversation: ConversationRef = { id: conversationId, ref_id: r.conversation.id };
  return {
    conversation,
    // `id` is amojo's message id; `msgid` is the provider's own, when the message came from it.
    message: { id: reactionTargetId(r) ?? null, msgid: providerMsgid },
    user: { ref_id: r.user.id },
    type: r.type,
    emoji: r.emoji ?? null,
  };
}
