import type { Participant } from './schemas/requests';
import { AmojoApiError, badRequest } from '../errors';
import type { EmulatorStore } from '../state/store';
import type { ChannelRecord, UserRecord } from '../state/types';
import type { ScopeContext } from './context';

/** amoCRM keeps phone numbers as digits only (`+7 915 111-22-33` → `79151112233`). */
export function normalizePhone(phone: string | undefined | null): string | null {
  if (!phone) return null;
  const digits = phone.replace(/\D+/g, '');
  return digits === '' ? null : digits;
}

/**
 * A customer-side participant resolved in two steps so a request that fails validation changes
 * nothing: `plan` only looks (and throws), `commit` creates or binds.
 */
export interface ClientUserPlan {
  participant: Participant;
  existing: UserRecord | undefined;
  /** The write-first receiver named by ref_id, whose client id this request binds. */
  bindTo: UserRecord | undefined;
}

export function planClientUser(ctx: ScopeContext, participant: Participant): ClientUserPlan {
  if (participant.ref_id) {
    const user = ctx.store.userInScope(ctx.scope.scopeId, participant.ref_id);
    if (!user) throw new AmojoApiError(404, 'ORIGIN_NOT_FOUND', 'user not found', `ref_id ${participant.ref_id} is no user of this scope`);
    if (user.role !== 'client') throw badRequest('ref_id names an amoCRM user, not a client');
    if (user.clientId !== null && user.clientId !== participant.id) {
      throw badRequest('user is already bound to another id');
    }
    return { participant, existing: undefined, bindTo: user };
  }
  return { participant, existing: ctx.store.userByClient(ctx.scope.scopeId, participant.id), bindTo: undefined };
}

export function commitClientUser(ctx: ScopeContext, plan: ClientUserPlan): UserRecord {
  const p = plan.participant;
  let user = plan.bindTo ?? plan.existing;
  if (plan.bindTo) ctx.store.bindUser(plan.bindTo, p.id);
  if (!user) {
    user = ctx.store.addUser({
      id: ctx.ids(),
      scopeId: ctx.scope.scopeId,
      clientId: p.id,
      role: 'client',
      name: p.name ?? '',
      avatar: null,
      phone: null,
      email: null,
      profileLink: null,
      createdAt: ctx.now,
    });
  }
  // Later messages refresh the contact card, as amojo does with the sender's profile.
  if (p.name) user.name = p.name;
  if (p.avatar) user.avatar = p.avatar;
  if (p.profile_link) user.profileLink = p.profile_link;
  const phone = normalizePhone(p.profile?.phone);
  if (phone) user.phone = phone;
  if (p.profile?.email) user.email = p.profile.email;
  return user;
}

/** The synthetic record of a channel's bot: one id per channel, valid in every scope. */
export function botUser(channel: ChannelRecord, scopeId: string): UserRecord {
  return {
    id: channel.botId,
    scopeId,
    clientId: null,
    role: 'bot',
    name: 'Bot',
    avatar: null,
    phone: null,
    email: null,
    profileLink: null,
    createdAt: 0,
  };
}

/** An amoCRM-side author (manager or the channel bot), as `sender.ref_id` names it in an import. */
export function findAmoUser(ctx: ScopeContext, id: string): UserRecord | undefined {
  if (id === ctx.channel.botId) return botUser(ctx.channel, ctx.scope.scopeId);
  const user = ctx.store.userInScope(ctx.scope.scopeId, id);
  return user && user.role === 'manager' ? user : undefined;
}

/** Any participant by amojo id, the bot included; for serialising history and hooks. */
export function userById(store: EmulatorStore, channel: ChannelRecord, scopeId: string, id: string | null): UserRecord | undefined {
  if (id === null) return undefined;
  if (id === channel.botId) return botUser(channel, scopeId);
  return store.users.get(id);
}
