import { connect, disconnect } from '../api/connect';
import { createChat } from '../api/chats';
import type { ApiResult, ChannelContext, ScopeContext } from '../api/context';
import { history } from '../api/history';
import { deliveryStatus, messageEvent } from '../api/messages';
import { react, typing } from '../api/signals';

export const API_PREFIX = '/v2/origin/custom';

/**
 * amojo's endpoints. The first path segment addresses either the channel (connect, disconnect) or
 * a scope `{channel_id}_{account_id}`; `:name` segments are captured.
 */
export type RouteDef =
  | { endpoint: string; method: string; pattern: string[]; target: 'channel'; handler: (ctx: ChannelContext) => ApiResult }
  | { endpoint: string; method: string; pattern: string[]; target: 'scope'; handler: (ctx: ScopeContext) => ApiResult };

export const ROUTES: RouteDef[] = [
  { endpoint: 'connect', method: 'POST', pattern: [':channel', 'connect'], target: 'channel', handler: connect },
  { endpoint: 'disconnect', method: 'DELETE', pattern: [':channel', 'disconnect'], target: 'channel', handler: disconnect },
  { endpoint: 'message', method: 'POST', pattern: [':scope'], target: 'scope', handler: messageEvent },
  { endpoint: 'create_chat', method: 'POST', pattern: [':scope', 'chats'], target: 'scope', handler: createChat },
  { endpoint: 'typing', method: 'POST', pattern: [':scope', 'typing'], target: 'scope', handler: typing },
  { endpoint: 'react', method: 'POST', pattern: [':scope', 'react'], target: 'scope', handler: react },
  { endpoint: 'delivery_status', method: 'POST', pattern: [':scope', ':msgid', 'delivery_status'], target: 'scope', handler: deliveryStatus },
  { endpoint: 'history', method: 'GET', pattern: [':scope', 'chats', ':chat', 'history'], target: 'scope', handler: history },
];

export type RouteMatch = { kind: 'ok'; route: RouteDef; params: Record<string, string> } | { kind: 'wrong_method'; allow: string[] } | { kind: 'none' };

function matchPattern(pattern: string[], segments: string[]): Record<string, string> | null {
  if (pattern.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const s = segments[i]!;
    if (p.startsWith(':')) {
      if (s === '') return null;
      params[p.slice(1)] = s;
    } else if (p !== s) {
      return null;
    }
  }
  return params;
}

/** `segments` are the raw (still percent-encoded) path pieces after the API prefix. */
export function matchRoute(method: string, segments: string[]): RouteMatch {
  const allow: string[] = [];
  for (const route of ROUTES) {
    const params = matchPattern(route.pattern, segments);
    if (!params) continue;
    if (route.method === method) return { kind: 'ok', route, params };
    allow.push(route.method);
  }
  return allow.length > 0 ? { kind: 'wrong_method', allow } : { kind: 'none' };
}
