import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import type { Logger } from '../lib/logger';
import { AppError } from '../lib/errors';
import { findJsonViolation, violationError, type JsonLimits } from '../lib/json-limits';
import { secondsSince, type Metrics } from '../lib/metrics';
import type { BodyBudget } from './body-budget';
import { errorBody, headersFor, normaliseError } from './error-handler';
import { statusClass } from './metrics';
import { readBody } from './read-body';
import { logRequest } from './request-logger';

/**
 * The request pipeline of the routes served by plain node:http (the amojo hooks and the provider
 * API): express's per-request setup, helmet and body-parser cost about as much as a hook's whole
 * commit, so these routes never touch express. A route is a plain function from a parsed request to
 * a reply; everything around it — authentication, body limits, compressed bodies, JSON shape limits,
 * error mapping, the latency metric, the request log line and the observer tap — lives here once.
 */

export interface RouteRequest {
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
  /** The exact bytes (body: 'raw'), or the parsed JSON (body: 'json'); undefined without a body. */
  rawBody?: Buffer;
  body?: unknown;
}

export interface Reply {
  status: number;
  body: unknown;
}

export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT';
  /** Pattern relative to the mount, express style (`/messages/:id/status`); also the metric label. */
  pattern: string;
  /** raw: any content type, bytes untouched (the HMAC covers them); json: application/json only. */
  body?: 'raw' | 'json';
  /**
   * Runs before the body is read, on the headers and path alone: what can be refused without the
   * body (a missing signature, an unknown scope) is refused at once, before an unauthenticated
   * sender's bytes are buffered.
   */
  precheck?(req: RouteRequest): Promise<void> | void;
  handle(req: RouteRequest): Promise<Reply>;
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

export interface Mount {
  /** `/api/v1`: every path under it belongs to this mount (an unknown one answers 404 after auth). */
  prefix: string;
  /** The surface name an observer sees (provider_api); no tap call without one. */
  surface?: string;
  /** Checked before any body is read; throws (or returns) the error to answer. */
  authenticate?: (headers: IncomingHttpHeaders) => AppError | null;
  bodyLimitBytes: number;
  jsonLimits?: JsonLimits;
  routes: RouteSpec[];
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
  spec: RouteSpec;
  regex: RegExp;
  names: string[];
  label: string;
}

function compile(prefix: string, spec: RouteSpec): CompiledRoute {
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

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
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

function isJsonType(req: IncomingMessage): boolean {
  const [type = '', ...params] = (req.headers['content-type'] ?? '').split(';');
  if (type.trim().toLowerCase() !== 'application/json') return false;
  const charset = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('charset='));
  return charset === undefined || charset === 'charset=utf-8';
}

const hasBody = (req: IncomingMessage): boolean => req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

function decodeParam(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new AppError('invalid_request', 'a path segment is not valid percent-encoding');
  }
}

async function parseJsonBody(req: IncomingMessage, mount: Mount): Promise<unknown> {
  if (!hasBody(req) || !isJsonType(req)) {
    req.resume();
    throw new AppError('unsupported_media_type', 'send the body as application/json');
  }
  const raw = await readBody(req, mount.bodyLimitBytes, { inflate: true });
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new AppError('invalid_request', 'request body is not valid JSON');
  }
  if (mount.jsonLimits && json !== null && typeof json === 'object') {
    const violation = findJsonViolation(json, mount.jsonLimits);
    if (violation) throw violationError(violation);
  }
  return json;
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
export function createPipeline(deps: PipelineDeps, mounts: Mount[]): RawHandler {
  const compiled = mounts.map((mount) => ({ mount, routes: mount.routes.map((r) => compile(mount.prefix, r)) }));

  async function run(mount: Mount, routes: CompiledRoute[], rest: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const url = req.url ?? '';
    const path = url.split('?')[0] ?? '';
    const method = req.method ?? 'GET';
    let label = 'unmatched';
    let status: number;
    let request: RouteRequest | undefined;
    let responseBody: unknown;
    try {
      let matched: { route: CompiledRoute; groups: string[] } | undefined;
      for (const route of routes) {
        if (route.spec.method !== method) continue;
        const m = route.regex.exec(rest);
        if (m) {
          matched = { route, groups: m.slice(1) };
          break;
        }
      }
      // The label first, so even a refused call counts under its route; authentication before
      // anything else, so an unknown path tells an unauthenticated caller nothing.
      if (matched) label = matched.route.label;
      const denied = mount.authenticate?.(req.headers);
      if (denied) throw denied;
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
      };
      await matched.route.spec.precheck?.(request);
      if (matched.route.spec.body && hasBody(req)) {
        const release = deps.bodyBudget?.take(req, mount.bodyLimitBytes);
        try {
          if (matched.route.spec.body === 'raw') request.rawBody = await readBody(req, mount.bodyLimitBytes, { inflate: false });
          else request.body = await parseJsonBody(req, mount);
        } finally {
          release?.();
        }
      } else if (matched.route.spec.body === 'json') request.body = await parseJsonBody(req, mount);
      const reply = await matched.route.spec.handle(request);
      status = reply.status;
      responseBody = reply.body;
      sendJson(res, status, reply.body);
    } catch (err) {
      // Refused before its body arrived: the rest is discarded as it comes (never buffered), and
      // the connection ends with this answer rather than waiting on a sender we already refused.
      const unread = !req.complete;
      req.resume();
      const appError = normaliseError(err, deps.logger, { method, path });
      status = appError.status;
      deps.metrics.httpErrors.inc({ code: appError.code });
      responseBody = errorBody(appError);
      sendJson(res, status, responseBody, { ...headersFor(appError), ...(unread ? { Connection: 'close' } : {}) });
    }
    deps.metrics.httpDuration.observe({ route: label, method, status_class: statusClass(status) }, secondsSince(started));
    const ip = request?.ip ?? deps.clientIp(req);
    logRequest(deps.logger, { method, path, status, started, ip });
    if (deps.tap && mount.surface) {
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
