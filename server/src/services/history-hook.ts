import { messageHookSchema, type HistoryMessage, type MessageHook } from '@amochan/amojo';
import type { Connection, Conversation } from '../storage/types';

/**
 * Chat history → the message hook amojo would have sent. The reconciler feeds the result to the
 * same intake as a real hook (services/amojo-hooks.ts acceptRecovered), so the provider gets the
 * very same message.created event either way.
 */

/** When a history entry was written (ms); history carries seconds and, usually, milliseconds. */
export function historyMessageAt(m: HistoryMessage): number {
  if (typeof m.msec_timestamp === 'number' && m.msec_timestamp > 0) return m.msec_timestamp;
  return typeof m.timestamp === 'number' ? m.timestamp * 1000 : 0;
}

/**
 * A message an amoCRM user (manager, Salesbot) wrote — the kind amojo announces with a hook — as
 * opposed to the customer's messages, which came from us. Told apart by what only ours carry:
 * our msgid (`message.client_id`) and our sender id (`sender.client_id`); and the customer's amojo
 * id (`clientRefId`) as the sender is the customer whatever the ids say.
 */
export function isManagerMessage(m: HistoryMessage, conversation: Pick<Conversation, 'clientRefId'>): boolean {
  if (!m.message?.id || !m.sender?.id) return false;
  if (m.message.client_id) return false;
  if (m.sender.client_id) return false;
  if (conversation.clientRefId && m.sender.id === conversation.clientRefId) return false;
  return true;
}

/** Marks hooks rebuilt from history in the stored payload (audit); providers never see it. */
export const RECOVERED_MARKER = 'amochan_recovered_from';

/**
 * The v2 message hook for a history entry, or null when the entry lacks what a hook must carry
 * (then it cannot be relayed and the reconciler logs it). The receiver falls back to what we know
 * of the customer, since history may leave it out.
 */
export function historyToHook(m: HistoryMessage, conversation: Conversation, connection: Pick<Connection, 'amojoAccountId'>): MessageHook | null {
  if (!conversation.amojoChatId || !m.message || !m.sender) return null;
  const at = historyMessageAt(m);
  const receiver = m.receiver ?? {};
  const receiverId = receiver.id || conversation.clientRefId;
  if (!receiverId) return null;
  const receiverClientId = receiver.client_id || conversation.clientId;
  const { client_id: _ourMsgid, ...content } = m.message;
  const candidate = {
    account_id: connection.amojoAccountId,
    time: Math.floor(at / 1000),
    message: {
      receiver: {
        id: receiverId,
        ...(receiverClientId ? { client_id: receiverClientId } : {}),
        ...(receiver.name ? { name: receiver.name } : {}),
        ...(receiver.phone || conversation.phone ? { phone: receiver.phone || conversation.phone } : {}),
        ...(receiver.email ? { email: receiver.email } : {}),
      },
      sender: { id: m.sender.id, ...(m.sender.name ? { name: m.sender.name } : {}) },
      conversation: { id: conversation.amojoChatId, ...(conversation.conversationId ? { client_id: conversation.conversationId } : {}) },
      timestamp: Math.floor(at / 1000),
      msec_timestamp: at,
      message: content,
    },
    [RECOVERED_MARKER]: 'history',
  };
  const parsed = messageHookSchema.safeParse(candidate);
  return parsed.success ? parsed.data : null;
}
