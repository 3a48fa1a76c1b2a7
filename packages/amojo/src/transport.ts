import type { z } from 'zod';
import { signRequest } from './signing';
import type { SignedHeaders } from './signing';
import { AmojoApiError, AmojoHttpError, AmojoInvalidResponseError, AmojoNetworkError, AmojoRateLimitedError } from './errors';
import type { HttpErrorInit, ZodIssues } from './errors';
import { amojoErrorBodySchema } from './schemas/responses';
import { fetchWithTimeout } from './fetch-with-timeout';
import { defaultRetryPolicy, withRetry } from './retry';
import { parseRetryAfter } from './retry-after';
import type { RetryPolicy } from './retry';

/*
 * The signed-request pipeline shared by every client method: serialise once, sign those exact
 * bytes, send them, map the answer to a value or a typed error, retry per policy.
 */

export const DEFAULT_AMOJO_BASE_URL = 'https://amojo.amocrm.ru';
export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_USER_AGENT = 'amochan-amojo/0.1';

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

const causeMessage = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause));

export interface TransportOptions {
  secret: string;
  baseUrl?: string;
  fetch?: FetchLike;
  /** Source of "now" for the Date header, message timestamps and Retry-After dates. */
  clock?: () => Date;
  timeoutMs?: number;
  retry?: RetryPolicy;
  userAgent?: string;
}

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

export type Expect<T> =
  | { kind: 'empty' }
  /** `empty` is returned for 204 / an empty body (history without messages). */
  | { kind: 'json'; schema: z.ZodType<T>; empty?: T };

export interface TransportRequest<T> {
  method: HttpMethod;
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  expect: Expect<T>;
}

export interface SignedFetchInit {
  method: HttpMethod;
  headers: Record<string, string>;
  body?: string;
}

/**
 * What one signed request looks like on the wire: headers from signRequest plus the exact body
 * string (objects are serialised once here). Handy for the emulator's tests and for curl-like tools.
 */
export function signedFetchInit(input: { method: HttpMethod; path: string; body?: unknown; secret: string; date?: Date | string }): SignedFetchInit {
  const body = input.body === undefined ? '' : typeof input.body === 'string' ? input.body : JSON.stringify(input.body);
  const headers: SignedHeaders = signRequest({ method: input.method, path: input.path, body, secret: input.secret, date: input.date ?? new Date() });
  return { method: input.method, headers: { ...headers }, ...(input.method === 'GET' ? {} : { body }) };
}

function queryString(query: TransportRequest<unknown>['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.append(k, String(v));
  const qs = params.toString();
  return qs ? `?${qs}` : '';
}

function invalidJsonIssue(text: string): ZodIssues {
  return [{ code: 'custom', path: [], message: 'response body is not valid JSON', input: text.slice(0, 200) }];
}

function errorFromResponse(init: HttpErrorInit): AmojoHttpError {
  if (init.status === 429) return new AmojoRateLimitedError(init);
  let json: unknown;
  try {
    json = JSON.parse(init.body);
  } catch {
    return new AmojoHttpError(init);
  }
  const parsed = amojoErrorBodySchema.safeParse(json);
  return parsed.success ? new AmojoApiError(init, parsed.data) : new AmojoHttpError(init);
}

export interface Transport {
  request<T>(req: TransportRequest<T>): Promise<T>;
}

export function createTransport(options: TransportOptions): Transport {
  const baseUrl = (options.baseUrl ?? DEFAULT_AMOJO_BASE_URL).replace(/\/+$/, '');
  const doFetch: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));
  const clock = options.clock ?? (() => new Date());
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const retry = options.retry ?? defaultRetryPolicy;
  const userAgent = options.userAgent ?? DEFAULT_USER_AGENT;

  async function attempt<T>(req: TransportRequest<T>, bodyText: string): Promise<T> {
    // Signed per attempt: the Date must be fresh, the body bytes are the same every time.
    const signed = signRequest({ method: req.method, path: req.path, body: bodyText, secret: options.secret, date: clock() });
    const init: RequestInit = {
      method: req.method,
      headers: { ...signed, Accept: 'application/json', 'User-Agent': userAgent },
      ...(req.method === 'GET' ? {} : { body: bodyText }),
    };
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      const res = await fetchWithTimeout(doFetch, `${baseUrl}${req.path}${queryString(req.query)}`, init, timeoutMs);
      status = res.status;
      retryAfter = res.headers.get('retry-after');
      text = res.text;
    } catch (err) {
      if (!(err instanceof AmojoNetworkError)) throw err;
      const message =
        err.code === 'timeout'
          ? `amojo did not answer ${req.method} ${req.path} within ${timeoutMs} ms; retry later or raise timeoutMs`
          : `could not reach amojo at ${baseUrl} (${causeMessage(err.cause)}); check AMOJO_BASE_URL and connectivity`;
      throw new AmojoNetworkError(err.code, message, { cause: err.cause });
    }

    if (status < 200 || status > 299) {
      const retryAfterMs = parseRetryAfter(retryAfter, clock().getTime());
      throw errorFromResponse({ status, body: text, method: req.method, path: req.path, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
    }
    const expect = req.expect;
    if (expect.kind === 'empty') return undefined as T;
    if (text.trim() === '' && expect.empty !== undefined) return expect.empty;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new AmojoInvalidResponseError({ status, body: text, method: req.method, path: req.path, issues: invalidJsonIssue(text), cause: err });
    }
    const parsed = expect.schema.safeParse(json);
    if (!parsed.success) {
      throw new AmojoInvalidResponseError({ status, body: text, method: req.method, path: req.path, issues: parsed.error.issues });
    }
    return parsed.data;
  }

  return {
    request<T>(req: TransportRequest<T>): Promise<T> {
      // Serialised exactly once: these bytes are hashed, signed and sent on every attempt.
      const bodyText = req.body === undefined ? '' : JSON.stringify(req.body);
      return withRetry(retry, () => attempt(req, bodyText));
    },
  };
}
