import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import { AmojoError } from '@amochan/amojo';
import { AmocrmError } from '../amocrm/errors';
import { AppError, fromAmojoError, type AppErrorCode } from '../lib/errors';
import { fromAmocrmError } from './amocrm-error-map';
import { StorageError } from '../storage/errors';
import type { Logger } from '../lib/logger';
import { createLogThrottle, type ThrottledLog } from '../lib/log-throttle';

/**
 * The one place errors become HTTP answers: `{"error":{"code","message"}}` with the status from
 * STATUS_BY_CODE. Anything unrecognised is a bug on our side: logged with its stack, answered 500
 * without internals.
 */

export const STORAGE_RETRY_AFTER_S = 5;
const STORAGE_LOG_INTERVAL_MS = 10_000;
const storageLogs = new WeakMap<Logger, ThrottledLog>();
const storageLog = (logger: Logger): ThrottledLog => {
  let log = storageLogs.get(logger);
  if (!log) storageLogs.set(logger, (log = createLogThrottle(logger, STORAGE_LOG_INTERVAL_MS)));
  return log;
};

export interface ErrorBody {
  error: { code: AppErrorCode; message: string; [extra: string]: unknown };
}

/** Turns a zod error into invalid_request naming the first offending field path. */
export function fromZodError(err: ZodError, where = 'body'): AppError {
  const issues = err.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message }));
  const first = issues[0];
  const message = first ? `${first.path}: ${first.message}` : `${where} is invalid`;
  return new AppError('invalid_request', message, { details: { issues: issues.slice(0, 10) } });
}

interface BodyParserError {
  type?: string;
  status?: number;
  statusCode?: number;
  limit?: number;
}

/** body-parser signals its failures with `type`; map the ones a client can cause to 4xx codes. */
function fromBodyParserError(err: BodyParserError): AppError | null {
  switch (err.type) {
    case 'entity.too.large':
      return new AppError('payload_too_large', `request body is larger than the ${err.limit ?? ''} byte limit`.replace('  ', ' '));
    case 'entity.parse.failed':
      return new AppError('invalid_request', 'request body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('unsupported_media_type', 'unsupported body encoding or charset; send UTF-8 JSON');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
    case 'parameters.too.many':
      return new AppError('invalid_request', 'request body could not be read');
    default:
      break;
  }
  const status = err.status ?? err.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return new AppError('invalid_request', 'malformed request');
  return null;
}

export function toAppError(err: unknown): AppError | null {
  if (err instanceof AppError) return err;
  if (err instanceof ZodError) return fromZodError(err);
  // Storage codes are named after the answer they deserve: conflict 409, not_found 404, and
  // storage_unavailable 503 with a time to come back (the store's, or a default one).
  if (err instanceof StorageError) {
    const retryAfter = err.retryAfter ?? (err.code === 'storage_unavailable' ? STORAGE_RETRY_AFTER_S : undefined);
    return new AppError(err.code, err.message, { cause: err, ...(retryAfter !== undefined ? { retryAfter } : {}) });
  }
  if (err instanceof AmojoError) return fromAmojoError('call', err);
  if (err instanceof AmocrmError) return fromAmocrmError(err);
  if (err && typeof err === 'object') return fromBodyParserError(err as BodyParserError);
  return null;
}

/**
 * The one normaliser, for express and the node:http pipeline alike: any thrown value becomes the
 * AppError to answer. A known error on our side (5xx) is logged as a warning with its cause, except
 * backpressure, which is the system working as designed; anything unrecognised is a bug, logged with
 * its stack and answered 500 without internals.
 */
export function normaliseError(err: unknown, logger: Logger, where: { method: string; path: string }): AppError {
  const appError = toAppError(err);
  if (appError) {
    // While storage is down every write fails the same way: one line per interval says it all.
    if (appError.code === 'storage_unavailable')
      storageLog(logger)('warn', { code: appError.code, err: appError.cause ?? undefined, path: where.path }, appError.message);
    // Backpressure and readiness are the system working as designed (the health route logs its own cause).
    else if (appError.status >= 500 && appError.code !== 'overloaded' && appError.code !== 'not_ready')
      logger.warn({ code: appError.code, err: appError.cause ?? undefined, path: where.path }, appError.message);
    return appError;
  }
  logger.error({ err, method: where.method, path: where.path }, 'unhandled error');
  return new AppError('internal_error', 'internal error; the server logged the details');
}

export function errorBody(err: AppError): ErrorBody {
  return { error: { ...(err.details ?? {}), code: err.code, message: err.message } };
}

/** Headers an error answer carries: when to come back, and how to authenticate. */
export function headersFor(err: AppError): Record<string, string> {
  const headers: Record<string, string> = {};
  if (err.retryAfter !== undefined) headers['Retry-After'] = String(Math.max(1, Math.ceil(err.retryAfter)));
  if (err.code === 'unauthorized') headers['WWW-Authenticate'] = 'Bearer realm="amochan provider API"';
  return headers;
}

export function sendError(res: Parameters<RequestHandler>[1], err: AppError): void {
  for (const [name, value] of Object.entries(headersFor(err))) res.setHeader(name, value);
  // Read by http/observe.ts to count error answers by code.
  res.locals.errorCode = err.code;
  res.status(err.status).json(errorBody(err));
}

export function createErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    sendError(res, normaliseError(err, logger, { method: req.method, path: req.originalUrl.split('?')[0] ?? '' }));
  };
}
