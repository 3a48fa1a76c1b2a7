import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { AppDeps } from '../deps';
import { AppError } from '../lib/errors';
import { secondsSince } from '../lib/metrics';
import { errorBody, toAppError } from './error-handler';
import { statusClass } from './metrics';
import { logRequest } from './request-logger';

/**
 * Helpers for the two hot routes served by plain node:http handlers ahead of express (the amojo
 * webhook and POST /api/v1/messages): express's per-request setup plus helmet and body-parser cost
 * about as much as the work itself. Everything else about a route stays the same: error bodies from
 * error-handler.ts, the latency metric, the request log line.
 */

/** Returns true when it took the request; anything else goes on to the express app. */
export type RawHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export function readRawBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => new AppError('payload_too_large', `request body is larger than the ${limit} byte limit`);
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.on('error', () => reject(new AppError('invalid_request', 'request body could not be read')));
  });
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

/**
 * Runs one request: `work` answers with [status, body]; a thrown error becomes the standard error
 * body with its status (and Retry-After); then the latency metric and the request log line.
 */
export async function runRawRoute(
  deps: AppDeps,
  route: string,
  req: IncomingMessage,
  res: ServerResponse,
  work: () => Promise<[number, unknown]>,
): Promise<void> {
  const started = process.hrtime.bigint();
  let status: number;
  try {
    const [ok, body] = await work();
    status = ok;
    sendJson(res, status, body);
  } catch (err) {
    const appError = toAppError(err) ?? new AppError('internal_error', 'the request could not be processed; see the server log');
    if (appError.status >= 500 && appError.code !== 'overloaded') deps.logger.error({ err, route }, 'request failed');
    status = appError.status;
    deps.metrics?.httpErrors.inc({ code: appError.code });
    const headers: Record<string, string> = {};
    if (appError.retryAfter !== undefined) headers['Retry-After'] = String(Math.max(1, Math.ceil(appError.retryAfter)));
    if (appError.code === 'unauthorized') headers['WWW-Authenticate'] = 'Bearer realm="amochan provider API"';
    sendJson(res, status, errorBody(appError), headers);
  }
  deps.metrics?.httpDuration.observe({ route, method: req.method ?? 'POST', status_class: statusClass(status) }, secondsSince(started));
  logRequest(deps.logger, { method: req.method, path: (req.url ?? '').split('?')[0], status, started, ip: req.socket.remoteAddress });
}

/** A raw handler as the first express middleware, so createApp(deps) alone still serves every route. */
export function asMiddleware(handler: RawHandler) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!handler(req, res)) next();
  };
}
