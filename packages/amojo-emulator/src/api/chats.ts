import { createChatSchema } from './schemas/requests';
import { AmojoApiError, badRequest } from '../errors';
import type { ChatOrigin, ChatRecord, LeadRecord, UserRecord } from '../state/types';
import type { ApiResult, ScopeContext } from './context';
import { commitClientUser, planClientUser, userById } from './participants';
import { userView } from './serialize';
import { parseBody } from './validate';

export const chatNotFound = (why: string): AmojoApiError => new AmojoApiError(404, 'ORIGIN_CHAT_NOT_FOUND', 'chat not found', why);

/** Where a message or create-chat request lands: an existing chat, a write-first chat to bind, or a new one. */
export type ChatPlan =
  | { kind: 'existing'; chat: ChatRecord }
  | { kind: 'bind'; chat: ChatRecord; conversationId: string }
  | { kind: 'new'; conversationId: string; sourceExternalId: string | null };

export function planChat(ctx: ScopeContext, conversationId: string, refId: string | undefined, sourceExternalId: string | null): ChatPlan {
  const known = ctx.store.chatByConversationId(ctx.scope.scopeId, conversationId);
  if (refId) {
    const target = ctx.store.chatInScope(ctx.scope.scopeId, refId);
    if (!target) throw chatNotFound(`conversation_ref_id ${refId} is no chat of this scope`);
    if (target.conversationId !== null && target.conversationId !== conversationId) {
      throw badRequest('conversation_ref_id is bound to another conversation_id');
    }
    if (known && known.id !== target.id) throw badRequest('conversation_id already belongs to another chat');
    return target.conversationId === null ? { kind: 'bind', chat: target, conversationId } : { kind: 'existing', chat: target };
  }
  return known ? { kind: 'existing', chat: known } : { kind: 'new', conversationId, sourceExternalId };
}

export function commitChat(ctx: ScopeContext, plan: ChatPlan, client: UserRecord | null, origin: ChatOrigin): ChatRecord {
  if (plan.kind === 'existing') return plan.chat;
  if (plan.kind === 'bind') {
    ctx.store.bindChat(plan.chat, plan.conversationId, ctx.now);
    return plan.chat;
  }
  return ctx.store.addChat({
    id: ctx.ids(),
    scopeId: ctx.scope.scopeId,
    conversationId: plan.conversationId,
    sourceExternalId: plan.sourceExternalId,
    clientUserId: client?.id ?? null,
    origin,
    leadId: null,
    createdAt: ctx.now,
    boundAt: null,
  });
}

/** An unsorted lead (incoming request) for a chat that has none yet. */
export function ensureLead(ctx: ScopeContext, chat: ChatRecord, origin: LeadRecord['origin']): LeadRecord {
  const existing = chat.leadId === null ? undefined : ctx.store.leads.get(chat.leadId);
  if (existing) return existing;
  const lead = ctx.store.addLead({
    id: ctx.ids(),
    scopeId: ctx.scope.scopeId,
    chatId: chat.id,
    contactUserId: chat.clientUserId,
    status: origin === 'write_first' ? 'in_work' : 'unsorted',
    origin,
    createdAt: ctx.now,
  });
  chat.leadId = lead.id;
  return lead;
}

/** Returns the existing chat for a known conversation_id, so retries and races are harmless. */
export function createChat(ctx: ScopeContext): ApiResult {
  const req = parseBody(createChatSchema, ctx.body);
  const plan = planChat(ctx, req.conversation_id, undefined, req.source?.external_id ?? null);
  if (plan.kind === 'existing') {
    const user = userById(ctx.store, ctx.channel, ctx.scope.scopeId, plan.chat.clientUserId);
    return { status: 200, body: { id: plan.chat.id, user: user ? userView(user) : null } };
  }
  const userPlan = planClientUser(ctx, req.user);
  const user = commitClientUser(ctx, userPlan);
  const chat = commitChat(ctx, plan, user, 'create_chat');
  return { status: 200, body: { id: chat.id, user: userView(user) } };
}
