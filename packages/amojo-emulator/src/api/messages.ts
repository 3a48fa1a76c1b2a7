import { deliveryStatusSchema, editMessageSchema } from './schemas/requests';
import { AmojoApiError, badRequest } from '../errors';
import type { MessageRecord, WireMessage } from '../state/types';
import type { ApiResult, ScopeContext } from './context';
import { newMessage } from './new-message';
import { isRecord, parseBody, rawObject } from './validate';

export const messageNotFound = (why: string): AmojoApiError => new AmojoApiError(404, 'ORIGIN_MESSAGE_NOT_FOUND', 'message not found', why);

/** `POST /{scope_id}` carries both events; event_type picks the handler. */
export function messageEvent(ctx: ScopeContext): ApiResult {
  const type = isRecord(ctx.body) ? ctx.body.event_type : undefined;
  if (type === 'new_message') return newMessage(ctx);
  if (type === 'edit_message') return editMessage(ctx);
  throw badRequest('invalid request: event_type: expected "new_message" or "edit_message"');
}

/** A message of this scope by amojo id or by our msgid. */
export function findMessage(ctx: ScopeContext, ref: { id?: string | undefined; msgid?: string | undefined }): MessageRecord | undefined {
  const scopeId = ctx.scope.scopeId;
  return (ref.id ? ctx.store.messageInScope(scopeId, ref.id) : undefined) ?? (ref.msgid ? ctx.store.messageByClientMsgid(scopeId, ref.msgid) : undefined);
}

function editMessage(ctx: ScopeContext): ApiResult {
  const { payload } = parseBody(editMessageSchema, ctx.body);
  const message = findMessage(ctx, payload);
  if (!message) throw messageNotFound(`no message ${payload.msgid ?? payload.id} in this scope`);
  const chat = ctx.store.chats.get(message.chatId);
  if (!chat || chat.conversationId !== payload.conversation_id) {
    throw messageNotFound('the message is not in the chat named by conversation_id');
  }
  message.edits.push({ at: ctx.now, message: message.message });
  message.message = rawObject(rawObject(ctx.body, 'payload'), 'message') as WireMessage;
  // Undocumented answer; the new_message shape under its own key is the likeliest and the SDK accepts any object.
  return {
    status: 200,
    body: { edit_message: { msgid: message.id, ref_id: message.clientMsgId ?? '', conversation_id: chat.id } },
  };
}

/** Stores 1 delivered / 2 read / -1 error, keeping every report (tests check the sequence). */
export function deliveryStatus(ctx: ScopeContext): ApiResult {
  const req = parseBody(deliveryStatusSchema, ctx.body);
  const pathId = ctx.params.msgid ?? '';
  if (req.msgid !== pathId) throw badRequest('invalid request: msgid: must equal the message id in the path');
  const message = ctx.store.messageInScope(ctx.scope.scopeId, pathId);
  if (!message) throw messageNotFound(`no message ${pathId} in this scope`);
  const record = {
    status: req.delivery_status,
    errorCode: req.error_code ?? null,
    error: req.error ?? null,
    at: ctx.now,
  };
  message.deliveryStatus = record;
  message.deliveryHistory.push(record);
  return { status: 200 };
}
