import { newMessageSchema } from './schemas/requests';
import { badRequest, duplicateMsgid } from '../errors';
import type { MessageRecord, UserRecord, WireMessage } from '../state/types';
import { commitChat, ensureLead, planChat } from './chats';
import type { ApiResult, ScopeContext } from './context';
import { commitClientUser, findAmoUser, planClientUser } from './participants';
import { parseBody, rawObject } from './validate';

/**
 * new_message: the integration reports a customer's message (or imports one a manager/bot wrote on
 * its side, then `receiver` is set). Everything is checked before anything is created, so a refused
 * request leaves no half-made chat behind.
 */
export function newMessage(ctx: ScopeContext): ApiResult {
  const { payload } = parseBody(newMessageSchema, ctx.body);
  const raw = rawObject(ctx.body, 'payload');
  const scopeId = ctx.scope.scopeId;
  const duplicate =
    ctx.settings.msgidUniqueness === 'per_channel'
      ? ctx.store.messageInChannelByMsgid(ctx.channel.id, payload.msgid)
      : ctx.store.messageByClientMsgid(scopeId, payload.msgid);
  if (duplicate) throw duplicateMsgid();
  if (payload.conversation_ref_id && !payload.conversation_id) throw badRequest('conversation_ref_id needs conversation_id');

  const outgoing = payload.receiver !== undefined;
  let author: UserRecord | undefined;
  if (outgoing) {
    // An import of an amoCRM-side message: the author must be a real amoCRM user or the channel bot.
    if (!payload.sender.ref_id) throw badRequest('sender.ref_id is required when receiver is set');
    author = findAmoUser(ctx, payload.sender.ref_id);
    if (!author) throw badRequest('sender.ref_id is neither an amoCRM user nor the channel bot');
  }
  const clientPlan = planClientUser(ctx, outgoing ? payload.receiver! : payload.sender);
  const chatPlan = planChat(ctx, payload.conversation_id, payload.conversation_ref_id, payload.source?.external_id ?? null);

  const client = commitClientUser(ctx, clientPlan);
  const chat = commitChat(ctx, chatPlan, client, 'new_message');
  if (chat.clientUserId === null) chat.clientUserId = client.id;
  // amoCRM opens an "incoming request" for a chat that starts from the customer, unless imported silently.
  if (!outgoing && !payload.silent) ensureLead(ctx, chat, 'incoming_message');

  const replyRef = payload.reply_to?.message;
  const replied = replyRef
    ? ((replyRef.id ? ctx.store.messageInScope(scopeId, replyRef.id) : undefined) ??
      (replyRef.msgid ? ctx.store.messageByClientMsgid(scopeId, replyRef.msgid) : undefined))
    : undefined;

  const message: MessageRecord = ctx.store.addMessage({
    id: ctx.ids(),
    scopeId,
    chatId: chat.id,
    clientMsgId: payload.msgid,
    direction: outgoing ? 'out' : 'in',
    origin: 'integration',
    senderId: outgoing ? author!.id : client.id,
    receiverId: outgoing ? client.id : null,
    message: rawObject(raw, 'message') as WireMessage,
    timestamp: payload.timestamp,
    msecTimestamp: payload.msec_timestamp,
    createdAt: ctx.now,
    silent: payload.silent ?? false,
    sourceExternalId: payload.source?.external_id ?? null,
    // Kept even when the quoted message is unknown: amojo's handling of that is undocumented.
    replyTo: replyRef ? { id: replied?.id ?? replyRef.id ?? null, msgid: replied?.clientMsgId ?? replyRef.msgid ?? null } : null,
    deliveryStatus: null,
    deliveryHistory: [],
    edits: [],
    reactions: [],
  });

  return {
    status: 200,
    body: {
      new_message: {
        msgid: message.id,
        ref_id: payload.msgid,
        conversation_id: chat.id,
        sender_id: message.senderId,
        ...(message.receiverId !== null ? { receiver_id: message.receiverId } : {}),
      },
    },
  };
}
