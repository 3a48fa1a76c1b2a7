import { ipKeyGenerator } from 'express-rate-limit';
import type { Clock } from '../lib/clock';
import { AppError } from '../lib/errors';
import type { RateLimitCounters } from '../storage/shared-state-types';

/**
 * Brute-force brakes on the calls that check a password (connect, disconnect):
 * - per client IP, every attempt counts;
 * - per login AND client IP, only failures count, and a correct password clears them: a stranger
 *   guessing from elsewhere can never lock the owner out, and the owner's own typos are forgotten
 *   once they get it right. Guessing one login from many addresses is bounded by the per-IP limit.
 * Counters are fixed windows in the store's shared state, so every instance on one database counts
 * together; a counter store that fails (database away) fails the call (503), never lets it through
 * unbounded. The client IP depends on TRUST_PROXY, which must match the real proxy chain or
 * everyone shares the proxy's address.
 *
 * Every answer of a limited call says where the caller stands, in the IETF draft-7 headers
 * (`RateLimit-Policy: 10;w=900`, `RateLimit: limit=10, remaining=9, reset=900`).
 */
export interface WidgetRateLimitOptions {
  counters: RateLimitCounters;
  clock: Clock;
  windowMs: number;
  perIp: number;
  perLogin: number;
}

/** What a limit needs of a request: its client address, and where its answer's headers go. */
export interface LimitedRequest {
  ip: string | undefined;
  replyHeaders?: Record<string, string> | undefined;
}

export interface WidgetRateLimiters {
  /** Counts this attempt from the caller's address; throws rate_limited past the limit. */
  perIp(req: LimitedRequest): Promise<void>;
  /**
   * Counts this attempt for the login from the caller's address; throws rate_limited past the
   * limit. Returns what to call once the password proved right: it clears the count.
   */
  perLogin(req: LimitedRequest, login: string): Promise<() => Promise<void>>;
}

// IPv6 clients are counted per /56, as one subscriber usually holds that many addresses.
const ipKey = (req: LimitedRequest): string => ipKeyGenerator(req.ip ?? 'unknown');

export function createWidgetRateLimiters(options: WidgetRateLimitOptions): WidgetRateLimiters {
  const { clock, counters, windowMs } = options;
  const windowSeconds = Math.ceil(windowMs / 1000);

  async function hit(req: LimitedRequest, key: string, limit: number, what: string): Promise<void> {
    const now = clock.now();
    const window = await counters.hit(key, windowMs, now);
    const reset = Math.max(0, Math.ceil((window.resetAt - now) / 1000));
    const headers = (req.replyHeaders ??= {});
    headers['RateLimit-Policy'] = `${limit};w=${windowSeconds}`;
    headers.RateLimit = `limit=${limit}, remaining=${Math.max(0, limit - window.count)}, reset=${reset}`;
    if (window.count > limit) {
      const seconds = Math.max(1, reset);
      throw new AppError('rate_limited', `too many ${what}; try again in ${seconds} s`, { retryAfter: seconds });
    }
  }

  return {
    perIp: (req) => hit(req, `ip:${ipKey(req)}`, options.perIp, 'attempts from this address'),
    async perLogin(req, login) {
      const key = `login:${login.toLowerCase()}|${ipKey(req)}`;
      await hit(req, key, options.perLogin, 'failed attempts for this login');
      return () => counters.reset(key);
    },
  };
}
