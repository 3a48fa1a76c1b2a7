/**
 * The amojo chat of each conversation this worker has already seen, so delivering a conversation's
 * later messages needs no read of its row (one round trip per message on PostgreSQL). Keyed by
 * scope and conversation: a chat belongs to one amoCRM account's scope, and a conversation whose
 * login moved to another account gets a new chat there, under another key. amojo's createChat is
 * idempotent on conversation_id within a scope, so a chat id, once known for a key, never changes;
 * another instance learning the same chat learns the same id. Bounded: the oldest entries go first.
 */
export interface KnownChats {
  get(scopeId: string, conversationRef: string): string | undefined;
  remember(scopeId: string, conversationRef: string, chatId: string): void;
}

export const DEFAULT_KNOWN_CHATS = 10_000;

export function createKnownChats(capacity = DEFAULT_KNOWN_CHATS): KnownChats {
  const chats = new Map<string, string>();
  const key = (scopeId: string, conversationRef: string) => `${scopeId}\n${conversationRef}`;
  return {
    get(scopeId, conversationRef) {
      const k = key(scopeId, conversationRef);
      const chatId = chats.get(k);
      if (chatId !== undefined) {
        // Most recently used last, so eviction takes the least recently used.
        chats.delete(k);
        chats.set(k, chatId);
      }
      return chatId;
    },
    remember(scopeId, conversationRef, chatId) {
      const k = key(scopeId, conversationRef);
      chats.delete(k);
      chats.set(k, chatId);
      if (chats.size > capacity) chats.delete(chats.keys().next().value as string);
    },
  };
}
