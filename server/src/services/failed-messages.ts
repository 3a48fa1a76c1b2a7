import { wireChannelId } from '../amocrm/channels';
import type { IdGenerator } from '../lib/ids';
import type { FailedMessageEvents } from '../outbox/types';
import type { Store } from '../storage/types';
import { buildProviderEvent } from './provider-event';

/**
 * `message.failed`: a message the provider sent (answered 202) will not reach amoCRM. Without it the
 * only way to learn so is polling GET /api/v1/messages/:id. Own ordering key per conversation, so it
 * waits neither for later messages of the conversation nor for unrelated events.
 */
export function createFailedMessageEvents(ids: IdGenerator, store: Pick<Store, 'conversations'>): FailedMessageEvents {
  /** The conversation's channel, so a gateway with several numbers knows which one's message failed. */
  async function channelOf(login: string, conversationId: string | null): Promise<string | null> {
    if (!conversationId) return null;
    const conversation = await store.conversations.getByConversationId(login, conversationId);
    return conversation?.channelId ? wireChannelId(conversation.channelId) : null;
  }
  return {
    async entryFor(message, error, now) {
      const event = buildProviderEvent({
        type: 'message.failed',
        account: message.login,
        channel: await channelOf(message.login, message.conversationId),
        now,
        ids,
        data: { id: message.id, msgid: message.msgid, conversation_id: message.conversationId, error },
      });
      return {
        id: ids('obx'),
        destination: 'provider',
        kind: 'event',
        orderingKey: `failed:${message.login}:${message.conversationId ?? ''}`,
        payload: event,
        messageId: null,
      };
    },
  };
}
