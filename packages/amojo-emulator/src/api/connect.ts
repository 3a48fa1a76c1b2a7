import { connectSchema, disconnectSchema } from './schemas/requests';
import { badRequest } from '../errors';
import type { ScopeRecord } from '../state/types';
import type { ApiResult, ChannelContext } from './context';
import { parseBody } from './validate';

export function scopeIdOf(channelId: string, accountId: string): string {
  return `${channelId}_${accountId}`;
}

/**
 * Connect is idempotent: amoCRM disconnects the channel on every widget uninstall, and the
 * integration reconnects the same scope on reinstall.
 */
export function connect(ctx: ChannelContext): ApiResult {
  const req = parseBody(connectSchema, ctx.body);
  const scopeId = scopeIdOf(ctx.channel.id, req.account_id);
  let scope = ctx.store.scopes.get(scopeId);
  if (scope) {
    scope.connected = true;
    scope.connectedAt = ctx.now;
    scope.disconnectedAt = null;
    scope.connectCount += 1;
    if (req.title !== undefined) scope.title = req.title;
    if (req.is_time_window_disabled !== undefined) scope.isTimeWindowDisabled = req.is_time_window_disabled;
  } else {
    scope = createScope(ctx, scopeId, req.account_id, req.title ?? '', req.is_time_window_disabled ?? false);
  }
  scope.hookApiVersion = req.hook_api_version;
  return {
    status: 200,
    body: {
      account_id: scope.accountId,
      scope_id: scope.scopeId,
      title: scope.title,
      hook_api_version: scope.hookApiVersion,
      is_time_window_disabled: scope.isTimeWindowDisabled,
    },
  };
}

function createScope(ctx: ChannelContext, scopeId: string, accountId: string, title: string, noWindow: boolean): ScopeRecord {
  const managerId = ctx.ids();
  const scope: ScopeRecord = {
    scopeId,
    channelId: ctx.channel.id,
    accountId,
    title,
    hookApiVersion: 'v2',
    isTimeWindowDisabled: noWindow,
    connected: true,
    connectedAt: ctx.now,
    disconnectedAt: null,
    connectCount: 1,
    managerId,
  };
  ctx.store.scopes.set(scopeId, scope);
  // Every account has at least one amoCRM user to answer in managerReply.
  ctx.store.addUser({
    id: managerId,
    scopeId,
    clientId: null,
    role: 'manager',
    name: 'Manager',
    avatar: null,
    phone: null,
    email: null,
    profileLink: null,
    createdAt: ctx.now,
  });
  return scope;
}

/**
 * 200 with an empty body. The docs say nothing about an account that was never connected; it is
 * refused with 400 (bad data), the strictest documented answer. Disconnecting an account that was
 * connected before stays a 200 even when repeated: amoCRM itself disconnects on every uninstall, so
 * an integration's own disconnect often comes second.
 */
export function disconnect(ctx: ChannelContext): ApiResult {
  const req = parseBody(disconnectSchema, ctx.body);
  const scope = ctx.store.scopes.get(scopeIdOf(ctx.channel.id, req.account_id));
  if (!scope) throw badRequest(`invalid request: account_id: account ${req.account_id} was never connected to this channel`);
  if (scope.connected) {
    scope.connected = false;
    scope.disconnectedAt = ctx.now;
  }
  return { status: 200 };
}
