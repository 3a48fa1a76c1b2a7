import type { Conversation, Store } from '../storage/types';

/**
 * "Recently active" for the reconciler: a conversation's lastActivityAt moves whenever a message
 * passes through it. Only once a minute per conversation, so a busy chat costs one extra UPDATE a
 * minute, not one per message; the reconciler's windows are hours, so a minute of slack is nothing.
 */
export const ACTIVITY_TOUCH_MS = 60_000;

export async function touchIfStale(store: Pick<Store, 'conversations'>, conversation: Pick<Conversation, 'id' | 'lastActivityAt'>, now: number): Promise<void> {
  if (now - conversation.lastActivityAt < ACTIVITY_TOUCH_MS) return;
  await store.conversations.touch(conversation.id, now);
}
