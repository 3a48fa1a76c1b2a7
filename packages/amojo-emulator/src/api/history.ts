import { badRequest } from '../errors';
import { chatNotFound } from './chats';
import type { ApiResult, ScopeContext } from './context';
import { userById } from './participants';
import { historyEntry } from './serialize';

export const HISTORY_MAX_LIMIT = 50;

function intParam(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw badRequest(`invalid request: ${name}: expected a non-negative integer`);
  const value = Number(raw);
  if (value < min || value > max) throw badRequest(`invalid request: ${name}: must be between ${min} and ${max}`);
  return value;
}

/**
 * History of one chat, newest first, addressed by amojo's chat id (not our conversation_id).
 * Paged by offset/limit with limit ≤ 50; a page with nothing on it is a 204.
 */
export function history(ctx: ScopeContext): ApiResult {
  const chatId = ctx.params.chat ?? '';
  const chat = ctx.store.chatInScope(ctx.scope.scopeId, chatId);
  if (!chat) throw chatNotFound(`no chat ${chatId} in this scope (history wants amojo's chat id)`);
  const limit = intParam(ctx.query, 'limit', HISTORY_MAX_LIMIT, 1, HISTORY_MAX_LIMIT);
  const offset = intParam(ctx.query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);

  const ids = ctx.store.messageIdsOfChat(chat.id);
  const messages: Record<string, unknown>[] = [];
  // Walk backwards from the newest without copying the whole chat.
  for (let i = ids.length - 1 - offset; i >= 0 && messages.length < limit; i--) {
    const message = ctx.store.messages.get(ids[i]!);
    if (!message) continue;
    const sender = userById(ctx.store, ctx.channel, message.scopeId, message.senderId);
    const receiver = userById(ctx.store, ctx.channel, message.scopeId, message.receiverId);
    messages.push(historyEntry(message, sender, receiver));
  }
  return messages.length === 0 ? { status: 204 } : { status: 200, body: { messages } };
}
