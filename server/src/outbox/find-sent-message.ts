import type { AmojoClient } from '@amochan/amojo';

/**
 * After a crash between sending a message and recording it, amojo answers the resend with
 * "duplicate msgid" and no id. The message is delivered either way; this finds amojo's id for it in
 * the chat's newest history (history lists our msgid as `message.client_id`) so the stored message
 * still gets its amojo id — status reports and reactions refer to it. Best effort: null if not found.
 */
export async function findSentMessageId(
  amojo: Pick<AmojoClient, 'getHistory'>,
  scopeId: string,
  chatId: string,
  msgid: string,
  pages = 2,
): Promise<string | null> {
  try {
    for (let page = 0; page < pages; page++) {
      const { messages } = await amojo.getHistory(scopeId, chatId, { offset: page * 50, limit: 50 });
      const found = messages.find((m) => m.message?.client_id === msgid && m.message.id);
      if (found) return found.message!.id!;
      if (messages.length < 50) return null;
    }
  } catch {
    // The delivery itself succeeded; a missing id only costs the lookup by amojo id later.
  }
  return null;
}
