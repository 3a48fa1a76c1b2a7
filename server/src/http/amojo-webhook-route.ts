import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { AppDeps } from '../deps';
import { AppError } from '../lib/errors';
import { secondsSince } from '../lib/metrics';
import { createAmojoHooks } from '../services/amojo-hooks';
import { errorBody, toAppError } from './error-handler';

/**
 * POST /amojo/v1/webhook/:scope_id. amojo gives a hook 5 s and never retries, and one server takes
 * every account's hooks, so this is the hottest route: it is answered by a plain node:http handler
 * that app.ts runs before any express middleware (helmet, body parsers, routing), which halves its
 * cost. The body is read raw (any content type: amojo's is not guaranteed) because the HMAC covers
 * the exact bytes; parsing comes after verification, in the service. The answer is 200 once the hook
 * is committed; delivery happens in the outbox worker.
 */

export const WEBHOOK_PATH_PREFIX = '/amojo/v1/webhook/';
const ROUTE_LABEL = '/amojo/v1/webhook/:scope_id';
const BODY_LIMIT_BYTES = 1024 * 1024;

function readRawBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new AppError('payload_too_large', `request body is larger than the ${limit} byte limit`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new AppError('payload_too_large', `request body is larger than the ${limit} byte limit`));
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.on('error', () => reject(new AppError('invalid_request', 'request body could not be read')));
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

/** Returns true when it took the request; anything else goes on to the express app. */
export type RawHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export function createAmojoWebhookHandler(deps: AppDeps): RawHandler {
  const metrics = deps.metrics;
  const hooks = createAmojoHooks({
    store: deps.store,
    clock: deps.clock,
    ids: deps.ids,
    logger: deps.logger,
    outboxSignal: deps.outboxSignal,
    channelSecret: deps.config.AMOJO_CHANNEL_SECRET,
    ...(metrics ? { onReceipt: (kind, result) => metrics.webhookReceipts.inc({ kind, result }) } : {}),
  });

  async function handle(req: IncomingMessage, res: ServerResponse, scopeId: string): Promise<void> {
    const started = process.hrtime.bigint();
    let status = 200;
    try {
      if (req.method !== 'POST') throw new AppError('not_found', `no route for ${req.method} ${ROUTE_LABEL}; amojo POSTs hooks here`);
      const rawBody = await readRawBody(req, BODY_LIMIT_BYTES);
      const signature = req.headers['x-signature'];
      const outcome = await hooks.receive({ scopeId, rawBody, signature: typeof signature === 'string' ? signature : undefined });
      send(res, 200, { status: outcome });
    } catch (err) {
      const appError = toAppError(err) ?? new AppError('internal_error', 'the hook could not be stored; see the server log');
      if (appError.status >= 500) deps.logger.error({ err, scopeId }, 'webhook intake failed');
      status = appError.status;
      if (appError.code !== 'internal_error' && metrics) metrics.httpErrors.inc({ code: appError.code });
      send(res, status, errorBody(appError));
    }
    metrics?.httpDuration.observe({ route: ROUTE_LABEL, method: req.method ?? 'POST', status_class: `${Math.floor(status / 100)}xx` }, secondsSince(started));
    if (deps.logger.isLevelEnabled('info')) {
      const ms = Math.round((Number(process.hrtime.bigint() - started) / 1e6) * 10) / 10;
      deps.logger.info({ method: req.method, path: `${WEBHOOK_PATH_PREFIX}${scopeId}`, status, ms, ip: req.socket.remoteAddress }, 'request');
    }
  }

  return (req, res) => {
    const url = req.url ?? '';
    if (!url.startsWith(WEBHOOK_PATH_PREFIX)) return false;
    const rawScope = url.split('?')[0]!.slice(WEBHOOK_PATH_PREFIX.length);
    // One path segment, as express's `:scope_id` would match; an encoded slash stays inside it.
    if (rawScope === '' || rawScope.includes('/')) return false;
    let scopeId: string;
    try {
      scopeId = decodeURIComponent(rawScope);
    } catch {
      send(res, 400, errorBody(new AppError('invalid_request', 'scope_id in the path is not valid percent-encoding')));
      return true;
    }
    void handle(req, res, scopeId);
    return true;
  };
}

/** The raw handler as the first express middleware, so createApp(deps) stays one request handler. */
export function asMiddleware(handler: RawHandler) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!handler(req, res)) next();
  };
}
