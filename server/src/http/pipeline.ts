import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import type { Logger } from '../lib/logger';
import { AppError } from '../lib/errors';
import { findJsonViolation, violationError, type JsonLimits } from '../lib/json-limits';
import type { Metrics } from '../lib/metrics';
import type { BodyBudget } from './body-budget';
import { errorBody, headersFor, normaliseError } from './error-handler';
import { observeRequest } from './observe';
import { readBody } from './read-body';

/**
 * The request pipeline of the API routes, served by plain node:http (the amojo hooks, the provider
 * API, the widget API): express's per-request setup, helmet and body-parser cost about as much as a
 * hook's whole commit, so these routes never touch express. A route is a plain function from a
 * parsed request to a reply; everything around it — CORS, authentication, body limits, compressed
 * bodies, JSON and form bodies, JSON shape limits, error mapping, the latency metric, the request
 * log line and the observer tap — lives here once.
 *
 * Order for each request: CORS (a browser-facing mount; a preflight is answered here), the mount's
 * authentication, 404 for an unknown route, the route's precheck, the body, the route. Everything
 * that can be refused on the headers is refused before an unauthenticated sender's body is read.
 */

/** `Auth`: what the mount's authentication established (the widget's caller); undefined without one. */
export interface RouteRequest<Auth = undefined> {
  method: string;
  /** Path without the query string, as received. */
  path: string;
  /** Path and query, as received (what a log or a tap shows). */
  url: string;
  params: Record<string, string>;
  query: Record<string, string | string[] | undefined>;
  headers: IncomingHttpHeaders;
  /** Client address under TRUST_PROXY, the same rule express applies to req.ip. */
  ip: string | undefined;
  /** The exact bytes (body: 'raw'), or the parsed body (body: 'json' | 'form'); undefined without a body. */
  rawBody?: Buffer;
  body?: unknown;
  auth: Auth;
  /**
   * Headers every answer to this request carries, the route's reply or its error (CORS, a rate
   * limit's state). Routes add to it; on a mount without CORS it starts undefined (`??= {}`).
   */
  replyHeaders?: Record<string, string> | undefined;
}

export interface Reply {
  status: number;
  body: unknown;
}

export interface RouteSpec<Auth = undefined> {
  method: 'GET' | 'POST' | 'PUT';
  /** Pattern relative to the mount, express style (`/messages/:id/status`); also the metric label. */
  pattern: string;
  /**
   * raw: any content type, bytes untouched (the HMAC covers them); json: application/json only;
   * form: what a browser's $.ajax sends, an object as application/json or form-encoded (no body is
   * fine: the route sees undefined).
   */
  body?: 'raw' | 'json' | 'form';
  /**
   * Runs before the body is read, on the headers and path alone: what can be refused without the
   * body (a missing signature, an unknown scope, a rate limit) is refused at once, before the
   * sender's bytes are buffered.
   */
  precheck?(req: RouteRequest<Auth>): Promise<void> | void;
  handle(req: RouteRequest<Auth>): Promise<Reply>;
}

/** One exchange as an observer sees it (the sandbox console's log): after the answer was sent. */
export interface Exchange {
  surface: string;
  method: string;
  path: string;
  status: number;
  durationMs: number;
  requestBody?: unknown;
  responseBody?: unknown;
}
export type ExchangeTap = (exchange: Exchange) => void;

export interface Mount<Auth = undefined> {
  /** `/api/v1`: every path under it belongs to this mount (an unknown one answers 404 after auth). */
  prefix: string;
  /** The surface name an observer sees (provider_api); no tap call without one. */
  surface?: string;
  /** Headers on every answer of this mount (a browser-facing one's security headers). */
  headers?: Readonly<Record<string, string>>;
  /**
   * A browser-facing mount's CORS, first of all (unknown paths too): puts its headers in `headers`
   * (they go on every answer, errors included), throws to refuse the origin, and returns true for
   * a preflight, which is then answered 204 with those headers and nothing else runs.
   */
  cors?: (req: IncomingMessage, headers: Record<string, string>) => boolean;
  /**
   * Checked before any body is read, for unknown paths too. Returns the error to answer, or null
   * (synchronously: the provider token); or a promise of what the route sees as `req.auth` (the
   * widget's caller), which rejects with the error to answer.
   */
  authenticate?: (req: IncomingMessage) => AppError | null | Promise<Auth>;
  bodyLimitBytes: number;
  /** Shape limits of a parsed body (json and form). */
  jsonLimits?: JsonLimits;
  routes: Array<RouteSpec<Auth>>;
}

export interface PipelineDeps {
  logger: Logger;
  metrics: Metrics;
  clientIp: (req: IncomingMessage) => string | undefined;
  tap?: ExchangeTap;
  /** Caps the bodies read at once (503 past it); without one, no cap. */
  bodyBudget?: BodyBudget;
}

/** Returns true when it took the request; anything else goes on to express. */
export type RawHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

interface CompiledRoute {
  spec: RouteSpec<unknown>;
  regex: RegExp;
  names: string[];
  label: string;
}

function compile(prefix: string, spec: RouteSpec<unknown>): CompiledRoute {
  const names: string[] = [];
  const source = spec.pattern
    .split('/')
    .map((part) => {
      if (!part.startsWith(':')) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(part.slice(1));
      return '([^/]+)';
    })
    .join('/');
  // Express's defaults: case-insensitive, an optional trailing slash.
  return { spec, names, regex: new RegExp(`^${source}/?$`, 'i'), label: `${prefix}${spec.pattern}` };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** A preflight's answer: no body, and none of the JSON answers' headers. */
function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string>): void {
  res.writeHead(status, headers);
  res.end();
}

/** The media type of the body when its charset (if given) is UTF-8, else null. */
function utf8Type(req: IncomingMessage): string | null {
  const [type = '', ...params] = (req.headers['content-type'] ?? '').split(';');
  const charset = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('charset='));
  return charset === undefined || charset === 'charset=utf-8' ? type.trim().toLowerCase() : null;
}

const isJsonType = (req: IncomingMessage): boolean => utf8Type(req) === 'application/json';

const hasBody = (req: IncomingMessage): boolean => req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

function decodeParam(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new AppError('invalid_request', 'a path segment is not valid percent-encoding');
  }
}

const notJson = () => new AppError('invalid_request', 'request body is not valid JSON');
const wrongType = () => new AppError('unsupported_media_type', 'send the body as application/json');

function checkShape(body: unknown, mount: Mount<unknown>): unknown {
  if (mount.jsonLimits && body !== null && typeof body === 'object') {
    const violation = findJsonViolation(body, mount.jsonLimits);
    if (violation) throw violationError(violation);
  }
  return body;
}

async function parseJsonBody(req: IncomingMessage, mount: Mount<unknown>): Promise<unknown> {
  if (!hasBody(req) || !isJsonType(req)) {
    req.resume();
    throw wrongType();
  }
  const raw = await readBody(req, mount.bodyLimitBytes, { inflate: true });
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    throw notJson();
  }
  return checkShape(json, mount);
}

/** jQuery's form encoding has a few flat fields; more is not a form of ours. */
const MAX_FORM_FIELDS = 20;

/**
 * body: 'form'. An object (or array: the route's schema names what is wrong with it), as JSON or
 * form-encoded; a JSON scalar is refused as not JSON. Form fields are flat (`a[b]=` is a field
 * named `a[b]`), a repeated field is an array.
 */
async function parseFormBody(req: IncomingMessage, mount: Mount<unknown>): Promise<unknown> {
  const type = utf8Type(req);
  if (type !== 'application/json' && type !== 'application/x-www-form-urlencoded') {
    req.resume();
    throw wrongType();
  }
  const text = (await readBody(req, mount.bodyLimitBytes, { inflate: true })).toString('utf8');
  if (type === 'application/x-www-form-urlencoded') {
    if (text === '') return {};
    if (text.split('&').length > MAX_FORM_FIELDS) throw new AppError('invalid_request', `a form body has at most ${MAX_FORM_FIELDS} fields`);
    // A plain object (parseQuery's has no prototype); spreading keeps a `__proto__` field a field.
    return checkShape({ ...parseQuery(text) }, mount);
  }
  const first = text.trimStart()[0];
  if (first === undefined) return {};
  if (first !== '{' && first !== '[') throw notJson();
  try {
    return checkShape(JSON.parse(text), mount);
  } catch (err) {
    if (err instanceof SyntaxError) throw notJson();
    throw err;
  }
}

/** An observer sees the exchange after the answer went out; whatever it does never reaches the caller. */
function tapSafely(tap: ExchangeTap, logger: Logger, exchange: Exchange): void {
  try {
    tap(exchange);
  } catch (err) {
    logger.warn({ err }, 'exchange tap failed');
  }
}

/** Serves the mounts; anything outside them is left to the caller (express). */
export function createPipeline(deps: PipelineDeps, mounts: Array<Mount<unknown>>): RawHandler {
  const compiled = mounts.map((mount) => ({ mount, routes: mount.routes.map((r) => compile(mount.prefix, r)) }));

  async function run(mount: Mount<unknown>, routes: CompiledRoute[], rest: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const url = req.url ?? '';
    const path = url.split('?')[0] ?? '';
    const method = req.method ?? 'GET';
    let label = 'unmatched';
    let status: number;
    let errorCode: string | undefined;
    let request: RouteRequest<unknown> | undefined;
    let responseBody: unknown;
    // CORS headers, until the request exists and carries them.
    let corsHeaders: Record<string, string> | undefined;
    try {
      if (mount.cors && mount.cors(req, (corsHeaders = {}))) {
        sendEmpty(res, 204, { ...mount.headers, ...corsHeaders });
        observeRequest(deps, { method, path, route: label, status: 204, started, ip: deps.clientIp(req) });
        return;
      }
      // HEAD is GET without the body (node:http leaves it out), as every HTTP server answers it.
      const routeMethod = method === 'HEAD' ? 'GET' : method;
      let matched: { route: CompiledRoute; groups: string[] } | undefined;
      for (const route of routes) {
        if (route.spec.method !== routeMethod) continue;
        const m = route.regex.exec(rest);
        if (m) {
          matched = { route, groups: m.slice(1) };
          break;
        }
      }
      // The label first, so even a refused call counts under its route; authentication before
      // anything else, so an unknown path tells an unauthenticated caller nothing.
      if (matched) label = matched.route.label;
      const auth = mount.authenticate?.(req);
      if (auth instanceof AppError) throw auth;
      const authenticated = auth ? await auth : undefined;
      if (!matched) throw new AppError('not_found', `no route for ${method} ${path}`);
      const params: Record<string, string> = {};
      matched.route.names.forEach((name, i) => {
        params[name] = decodeParam(matched.groups[i]!);
      });
      const queryIndex = url.indexOf('?');
      request = {
        method,
        path,
        url,
        params,
        query: queryIndex < 0 ? {} : parseQuery(url.slice(queryIndex + 1)),
        headers: req.headers,
        ip: deps.clientIp(req),
        auth: authenticated,
        replyHeaders: corsHeaders,
      };
      await matched.route.spec.precheck?.(request);
      const bodyMode = matched.route.spec.body;
      if (bodyMode && hasBody(req)) {
        const release = deps.bodyBudget?.take(req, mount.bodyLimitBytes);
        try {
          if (bodyMode === 'raw') request.rawBody = await readBody(req, mount.bodyLimitBytes, { inflate: false });
          else request.body = await (bodyMode === 'form' ? parseFormBody(req, mount) : parseJsonBody(req, mount));
        } finally {
          release?.();
        }
      } else if (bodyMode === 'json') request.body = await parseJsonBody(req, mount);
      const reply = await matched.route.spec.handle(request);
      status = reply.status;
      responseBody = reply.body;
      sendJson(res, status, reply.body, request.replyHeaders ? { ...mount.headers, ...request.replyHeaders } : mount.headers);
    } catch (err) {
      // Refused before its body arrived: the rest is discarded as it comes (never buffered), and
      // the connection ends with this answer rather than waiting on a sender we already refused.
      const unread = !req.complete;
      req.resume();
      const appError = normaliseError(err, deps.logger, { method, path });
      status = appError.status;
      errorCode = appError.code;
      responseBody = errorBody(appError);
      sendJson(res, status, responseBody, {
        ...mount.headers,
        ...(request?.replyHeaders ?? corsHeaders),
        ...headersFor(appError),
        ...(unread ? { Connection: 'close' } : {}),
      });
    }
    observeRequest(deps, { method, path, route: label, status, started, ip: request?.ip ?? deps.clientIp(req), errorCode });
    // A browser-facing mount's OPTIONS calls are CORS negotiation: nothing worth showing an observer.
    if (deps.tap && mount.surface && !(mount.cors && method === 'OPTIONS')) {
      tapSafely(deps.tap, deps.logger, {
        surface: mount.surface,
        method,
        path: url,
        status,
        durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10,
        ...(request?.body !== undefined ? { requestBody: request.body } : {}),
        ...(responseBody !== undefined ? { responseBody } : {}),
      });
    }
  }

  return (req, res) => {
    const url = req.url ?? '';
    for (const { mount, routes } of compiled) {
      const lower = url.slice(0, mount.prefix.length).toLowerCase();
      if (lower !== mount.prefix.toLowerCase()) continue;
      const rest = url.slice(mount.prefix.length).split('?')[0]!;
      if (rest !== '' && !rest.startsWith('/')) continue;
      void run(mount, routes, rest, req, res);
      return true;
    }
    return false;
  };
}
