import type { ChannelContext, ScopeContext } from '../api/context';
import { AmojoApiError, amojoErrorBody, badRequest, invalidSignature } from '../errors';
import type { FaultInjector } from '../faults';
import type { IdGenerator } from '../ids';
import type { EmulatorSettings } from '../settings';
import type { EmulatorStore } from '../state/store';
import { API_PREFIX, matchRoute } from './routes';
import { verifyEnvelope, verifySignature, type InboundRequest } from './verify-request';

export interface DispatchDeps {
  store: EmulatorStore;
  faults: FaultInjector;
  ids: IdGenerator;
  settings: EmulatorSettings;
  clock: () => number;
  dateToleranceMs: number;
}

export interface DispatchOutcome {
  status: number;
  /** undefined: empty body. */
  body: unknown;
  headers: Record<string, string>;
  endpoint: string | null;
  scopeId: string | null;
  errorType: string | null;
  reason: string | null;
  injected: boolean;
}

/**
 * One API request through amojo's checks, in order: injected fault, route and method, signed
 * headers and Date, channel and signature, scope, JSON body, then the endpoint. Synchronous and express-free, so it
 * is cheap and testable on its own.
 */
export function dispatch(req: InboundRequest, deps: DispatchDeps): DispatchOutcome {
  const injected = deps.faults.takeFailure();
  if (injected) {
    return { ...blank(injected.status), body: injected.body, headers: injected.headers, injected: true, reason: 'failNext' };
  }
  const queryAt = req.rawPath.indexOf('?');
  const pathOnly = queryAt === -1 ? req.rawPath : req.rawPath.slice(0, queryAt);
  const query = new URLSearchParams(queryAt === -1 ? '' : req.rawPath.slice(queryAt + 1));
  const segments = pathOnly.slice(API_PREFIX.length + 1).split('/');
  const match = matchRoute(req.method, segments);
  let endpoint: string | null = null;
  let scopeId: string | null = null;
  try {
    // The docs list 200, 204, 400, 403 and 404 only. A known path with the wrong method is answered
    // like an unknown path (404, no Allow header): amojo documents no 405.
    if (match.kind !== 'ok') {
      const why = match.kind === 'wrong_method' ? `wrong method: use ${match.allow.join(', ')}` : 'no such endpoint';
      throw new AmojoApiError(404, 'ORIGIN_NOT_FOUND', 'not found', why);
    }
    const { route } = match;
    endpoint = route.endpoint;
    const now = deps.clock();
    // The docs do not say which check amojo runs first, so the strictest order is used: headers,
    // body hash and Date, then the signature, and only then anything that tells the caller what
    // exists. A request for an unknown channel cannot carry a valid signature (the secret is the
    // channel's), so it is the same 403 as any bad signature, never a 404 that confirms the guess.
    verifyEnvelope(req, { now, dateToleranceMs: deps.dateToleranceMs });
    const params = decodeParams(match.params);
    const first = route.target === 'channel' ? params.channel! : params.scope!;
    // A scope id is `{channel_id}_{account_id}`; channel ids are uuids, so the first `_` splits it.
    const channelId = route.target === 'channel' ? first : first.slice(0, Math.max(0, first.indexOf('_')));
    const channel = deps.store.channels.get(channelId);
    if (!channel) throw invalidSignature(`unknown_channel ${channelId || first}`);
    verifySignature(req, channel.secret);

    const base: ChannelContext = { store: deps.store, ids: deps.ids, settings: deps.settings, now, channel, params, query, body: undefined };
    if (route.target === 'scope') {
      scopeId = first;
      const scope = deps.store.activeScope(first);
      if (!scope) throw new AmojoApiError(404, 'ORIGIN_SCOPE_NOT_FOUND', 'scope not found', `scope ${first} is unknown or disconnected`);
      base.body = parseJson(req);
      const ctx: ScopeContext = { ...base, scope };
      return { ...blank(0), ...route.handler(ctx), endpoint, scopeId };
    }
    base.body = parseJson(req);
    return { ...blank(0), ...route.handler(base), endpoint, scopeId };
  } catch (err) {
    if (err instanceof AmojoApiError) return fromError(err, endpoint, scopeId);
    const message = err instanceof Error ? err.message : String(err);
    return fromError(new AmojoApiError(500, 'ORIGIN_INTERNAL_ERROR', 'internal error', `emulator bug: ${message}`), endpoint, scopeId);
  }
}

function blank(status: number): DispatchOutcome {
  return { status, body: undefined, headers: {}, endpoint: null, scopeId: null, errorType: null, reason: null, injected: false };
}

function fromError(error: AmojoApiError, endpoint: string | null, scopeId: string | null): DispatchOutcome {
  return {
    ...blank(error.status),
    body: amojoErrorBody(error.status, error.type, error.description),
    endpoint,
    scopeId,
    errorType: error.type,
    reason: error.reason ?? error.description,
  };
}

function decodeParams(raw: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    try {
      out[k] = decodeURIComponent(v);
    } catch {
      throw badRequest(`invalid request: malformed percent-encoding in the path`);
    }
  }
  return out;
}

/** GET carries no body; everything else must be one JSON document (already MD5-checked). */
function parseJson(req: InboundRequest): unknown {
  if (req.method === 'GET') return undefined;
  try {
    return JSON.parse(req.body.toString('utf8'));
  } catch {
    throw badRequest('invalid request: body is not valid JSON');
  }
}
