import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { AppError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { createLogThrottle } from '../lib/log-throttle';
import { errorBody, headersFor } from './error-handler';
import { sendJson } from './pipeline';

/**
 * A cap on the request bodies being received at once. A body is buffered while it arrives (the
 * hooks' signature covers the exact bytes, so it cannot be checked before the end), so many slow
 * senders would each hold up to a body limit of memory. A request is counted from its headers to
 * the end of its body, by its declared Content-Length (a chunked one as the largest body any route
 * takes); past the count or the bytes, it is answered 503 at once, its body never read. Bodies of
 * honest clients arrive in a packet or two and leave the budget in the same turn of the event loop.
 */

export interface BodyBudgetOptions {
  maxBodies: number;
  maxBytes: number;
  logger: Logger;
}

/** What a chunked body (no Content-Length) reserves: the largest body limit of any route. */
export const UNKNOWN_LENGTH_BYTES = 1024 * 1024;
const RETRY_AFTER_S = 1;

function declaredBytes(req: IncomingMessage): number {
  if (req.headers['transfer-encoding'] !== undefined) return UNKNOWN_LENGTH_BYTES;
  const length = Number(req.headers['content-length'] ?? 0);
  return Number.isFinite(length) && length > 0 ? length : 0;
}

export function withBodyBudget(inner: RequestListener, options: BodyBudgetOptions): RequestListener {
  let bodies = 0;
  let bytes = 0;
  const warn = createLogThrottle(options.logger, 10_000);
  return (req: IncomingMessage, res: ServerResponse) => {
    const size = declaredBytes(req);
    if (size === 0 || req.complete) {
      inner(req, res);
      return;
    }
    if (bodies + 1 > options.maxBodies || bytes + size > options.maxBytes) {
      warn('warn', { bodies, bytes, maxBodies: options.maxBodies, maxBytes: options.maxBytes }, 'too many request bodies in flight; refused one without reading it');
      const err = new AppError('overloaded', 'too many requests are sending a body right now; retry shortly', { retryAfter: RETRY_AFTER_S });
      sendJson(res, err.status, errorBody(err), { ...headersFor(err), Connection: 'close' });
      return;
    }
    bodies++;
    bytes += size;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      bodies--;
      bytes -= size;
    };
    req.once('end', release);
    req.once('close', release);
    inner(req, res);
  };
}
