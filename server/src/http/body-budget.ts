import type { IncomingMessage } from 'node:http';
import { AppError } from '../lib/errors';

/**
 * A cap on the request bodies being read at once. A body is buffered while it arrives (a hook's
 * signature covers the exact bytes, so it cannot be checked before the end), so many slow senders
 * would each hold up to a body limit of memory. A body is counted from the moment the pipeline
 * starts reading it to its end, by its declared Content-Length (a chunked one as the route's
 * limit); past the count or the bytes, the request is answered 503 at once, its body unread.
 * Requests refused on their headers alone (no signature, unknown scope) never take a place.
 * Honest bodies arrive in a packet or two and give their place back in the same turn.
 */

export interface BodyBudgetOptions {
  maxBodies: number;
  maxBytes: number;
}

export interface BodyBudget {
  /** Takes a place for this request's body; returns its release, or throws 503 overloaded. */
  take(req: IncomingMessage, limit: number): () => void;
  /** Bodies and bytes being read now (diagnostics). */
  inFlight(): { bodies: number; bytes: number };
}

const RETRY_AFTER_S = 1;

function declaredBytes(req: IncomingMessage, limit: number): number {
  if (req.headers['transfer-encoding'] !== undefined) return limit;
  const length = Number(req.headers['content-length'] ?? 0);
  return Number.isFinite(length) && length > 0 ? Math.min(length, limit) : 0;
}

export function createBodyBudget(options: BodyBudgetOptions): BodyBudget {
  let bodies = 0;
  let bytes = 0;
  return {
    take(req, limit) {
      const size = declaredBytes(req, limit);
      if (bodies + 1 > options.maxBodies || bytes + size > options.maxBytes) {
        throw new AppError('overloaded', 'too many requests are sending a body right now; retry shortly', {
          retryAfter: RETRY_AFTER_S,
          details: { reason: 'bodies_in_flight' },
        });
      }
      bodies++;
      bytes += size;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        bodies--;
        bytes -= size;
      };
    },
    inFlight: () => ({ bodies, bytes }),
  };
}
