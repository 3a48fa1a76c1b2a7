import { messageEntryId } from '../storage/amojo-entries';
import { effectiveStatus } from '../services/message-status';
import type { Store } from '../storage/types';
import type { DemoConversation } from './demo-provider';

/**
 * The customer pane's data: the demo provider's conversations, newest activity first, with each
 * customer message's state on our side (queued → sent, or failed / dead) read from the store — what
 * GET /api/v1/messages/:id would answer, without an HTTP round trip per message per refresh.
 */
export async function customerView(conversations: DemoConversation[], store: Pick<Store, 'messages' | 'outbox'>) {
  const now = Date.now();
  const views = await Promise.all(
    conversations.map(async (c) => {
      const messages = await Promise.all(
        c.messages.map(async (m) => {
          if (m.from !== 'customer' || !m.id || !['queued', 'sent'].includes(m.status)) return m;
          const stored = await store.messages.get(m.id);
          if (!stored) return m;
          const entry = await store.outbox.get(messageEntryId(stored.id));
          m.status = effectiveStatus(stored, entry);
          m.error = stored.lastError ?? entry?.lastError ?? null;
          return m;
        }),
      );
      const lastAt = messages.at(-1)?.at ?? c.createdAt;
      return {
        conversationId: c.conversationId,
        customer: c.customer,
        channel: c.channel,
        writeFirst: c.writeFirst,
        bound: c.bound,
        typing: c.typingUntil > now,
        lastAt,
        messages,
      };
    }),
  );
  return views.sort((a, b) => b.lastAt - a.lastAt);
}
