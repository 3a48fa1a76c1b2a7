import { reactSchema, typingSchema } from './schemas/requests';
import { badRequest } from '../errors';
import { chatNotFound } from './chats';
import type { ApiResult, ScopeContext } from './context';
import { findMessage, messageNotFound } from './messages';
import { parseBody } from './validate';

/** The customer is typing: recorded for tests, answered 204 like amojo. */
export function typing(ctx: ScopeContext): ApiResult {
  const req = parseBody(typingSchema, ctx.body);
  const chat = ctx.store.chatByConversationId(ctx.scope.scopeId, req.conversation_id);
  // The docs give typing one answer, 204, and 404 only for an unknown channel or message. An
  // unknown conversation is bad data, so 400: stricter than a silent 204, and not a 404 amojo
  // does not document for chats.
  if (!chat) throw badRequest(`invalid request: conversation_id: no chat ${req.conversation_id} in this scope`);
  const sender = ctx.store.userByClient(ctx.scope.scopeId, req.sender.id);
  ctx.store.typing.push({
    scopeId: ctx.scope.scopeId,
    chatId: chat.id,
    senderId: sender?.id ?? null,
    durationMs: req.duration_ms ?? null,
    at: ctx.now,
  });
  // Typing is a stream of pings; keep the recent ones only so a long sandbox run stays small.
  if (ctx.store.typing.length > 1000) ctx.store.typing.splice(0, ctx.store.typing.length - 1000);
  return { status: 204 };
}

/** A customer's reaction to a message, by our msgid or amojo's id. */
export function react(ctx: ScopeContext): ApiResult {
  const req = parseBody(reactSchema, ctx.body);
  const scopeId = ctx.scope.scopeId;
  const chat = req.conversation_ref_id
    ? ctx.store.chatInScope(scopeId, req.conversation_ref_id)
    : ctx.store.chatByConversationId(scopeId, req.conversation_id ?? '');
  if (!chat) throw chatNotFound(`no chat ${req.conversation_ref_id ?? req.conversation_id}`);
  const message = findMessage(ctx, req);
  if (!message || message.chatId !== chat.id) throw messageNotFound(`no message ${req.msgid ?? req.id} in that chat`);
  const user = req.user.ref_id ? ctx.store.userInScope(scopeId, req.user.ref_id) : ctx.store.userByClient(scopeId, req.user.id ?? '');
  message.reactions.push({
    userId: user?.id ?? null,
    by: 'integration',
    type: req.type,
    emoji: req.emoji ?? null,
    at: ctx.now,
  });
  return { status: 200 };
}
