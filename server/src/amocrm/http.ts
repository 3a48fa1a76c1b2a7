import { fetchWithTimeout, type TimedResponse } from '@amochan/amojo';
import type { Clock } from '../lib/clock';
import type { FetchFn } from '../lib/http-fetch';
import { AmocrmError } from './errors';
import { errorFromResponse } from './problem';

/**
 * One amoCRM HTTP exchange: JSON in, JSON out, timeouts, and every failure turned into an
 * AmocrmError (network and timeouts are `amocrm_unavailable`, hence retryable). No token handling:
 * callers pass the bearer token they hold. Never logs bodies, which carry tokens.
 */
export interface AmocrmRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Path with leading slash, e.g. `/api/v4/sources`. */
  path: string;
  query?: Record<string, string | string[]>;
  body?: unknown;
}

export interface AmocrmResponse {
  status: number;
  /** Parsed JSON, or null for an empty body (204). */
  body: unknown;
}

export interface AmocrmHttpDeps {
  fetch: FetchFn;
  clock: Clock;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
}

export type AmocrmHttp = (baseUrl: string, request: AmocrmRequest, accessToken?: string) => Promise<AmocrmResponse>;

export function buildUrl(baseUrl: string, request: Pick<AmocrmRequest, 'path' | 'query'>): string {
  const url = new URL(`${baseUrl.replace(/\/+$/, '')}${request.path}`);
  for (const [key, value] of Object.entries(request.query ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) url.searchParams.append(key, v);
  }
  return url.toString();
}

export function createAmocrmHttp(deps: AmocrmHttpDeps): AmocrmHttp {
  const timeoutMs = deps.timeoutMs ?? 10_000;
  return async (baseUrl, request, accessToken) => {
    const what = `${request.method} ${request.path}`;
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
    if (request.body !== undefined) headers['Content-Type'] = 'application/json';
    let res: TimedResponse;
    try {
      const init = { method: request.method, headers, ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}) };
      res = await fetchWithTimeout(deps.fetch, buildUrl(baseUrl, request), init, timeoutMs);
    } catch (err) {
      throw new AmocrmError('amocrm_unavailable', `${what}: amoCRM did not answer (${err instanceof Error ? err.message : String(err)}); retry later`, {
        cause: err,
      });
    }
    if (res.status < 200 || res.status > 299) throw errorFromResponse(res.status, res.text, res.headers.get('retry-after'), deps.clock.now(), what);
    if (res.text.trim() === '') return { status: res.status, body: null };
    try {
      return { status: res.status, body: JSON.parse(res.text) as unknown };
    } catch (err) {
      throw new AmocrmError('bad_response', `${what}: amoCRM answered ${res.status} with a body that is not JSON`, { cause: err, status: res.status });
    }
  };
}
