import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit, type Options, type Store } from 'express-rate-limit';
import type { Clock } from '../lib/clock';
import { AppError } from '../lib/errors';
import type { RateLimitCounters } from '../storage/shared-state-types';

/**
 * Brute-force brakes on the calls that check a password (connect, disconnect):
 * - per client IP, every attempt counts;
 * - per login AND client IP, only failures count, and a correct password clears them: a stranger
 *   guessing from elsewhere can never lock the owner out, and the owner's own typos are forgotten
 *   once they get it right. Guessing one login from many addresses is bounded by the per-IP limit.
 * Counters live in the store's shared state, so every instance on one database counts together.
 * req.ip depends on TRUST_PROXY, which must match the real proxy chain or everyone shares the
 * proxy's address.
 */
export interface WidgetRateLimitOptions {
  counters: RateLimitCounters;
  clock: Clock;
  windowMs: number;
  perIp: number;
  perLogin: number;
}

/** express-rate-limit's store API over our shared fixed-window counters. */
class SharedCounterStore implements Store {
  readonly localKeys = false;
  private windowMs = 60_000;

  constructor(
    readonly prefix: string,
    private readonly counters: RateLimitCounters,
    private readonly clock: Clock,
  ) {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  async increment(key: string) {
    const w = await this.counters.hit(this.prefix + key, this.windowMs, this.clock.now());
    return { totalHits: w.count, resetTime: new Date(w.resetAt) };
  }

  async decrement(key: string) {
    await this.counters.undo(this.prefix + key, this.windowMs, this.clock.now());
  }

  async resetKey(key: string) {
    await this.counters.reset(this.prefix + key);
  }
}

function rateLimited(clock: Clock, resetTime: Date | undefined, what: string): AppError {
  const seconds = resetTime ? Math.max(1, Math.ceil((resetTime.getTime() - clock.now()) / 1000)) : 60;
  return new AppError('rate_limited', `too many ${what}; try again in ${seconds} s`, { retryAfter: seconds });
}

const loginOf = (req: Request): string | undefined => {
  const login = (req.body as { login?: unknown } | undefined)?.login;
  return typeof login === 'string' && login !== '' ? login : undefined;
};

const resetTimeOf = (req: Request) => (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
const ipKey = (req: Request) => ipKeyGenerator(req.ip ?? 'unknown');
const loginKey = (req: Request) => `${loginOf(req)!.toLowerCase()}|${ipKey(req)}`;

export interface WidgetRateLimiters {
  perIp: RequestHandler;
  /** Must run after the body parser (it reads body.login). */
  perLogin: RequestHandler;
}

export function createWidgetRateLimiters(options: WidgetRateLimitOptions): WidgetRateLimiters {
  const { clock, counters } = options;
  // A failing counter store (database away) must answer 503, never let requests through unbounded.
  const common = { windowMs: options.windowMs, standardHeaders: 'draft-7' as const, legacyHeaders: false, passOnStoreError: false };
  const perIp = rateLimit({
    ...common,
    limit: options.perIp,
    store: new SharedCounterStore('ip:', counters, clock),
    keyGenerator: ipKey,
    handler: (req, _res, next) => next(rateLimited(clock, resetTimeOf(req), 'attempts from this address')),
  });
  const loginStore = new SharedCounterStore('login:', counters, clock);
  const limitLogin = rateLimit({
    ...common,
    limit: options.perLogin,
    store: loginStore,
    skip: (req) => loginOf(req) === undefined,
    keyGenerator: loginKey,
    handler: (req, _res, next) => next(rateLimited(clock, resetTimeOf(req), 'failed attempts for this login')),
  });
  const perLogin: RequestHandler = (req, res, next) => {
    if (loginOf(req) !== undefined) {
      // The attempt counted on the way in; a correct password (any success) clears the key.
      res.on('finish', () => {
        if (res.statusCode < 400) void loginStore.resetKey(loginKey(req)).catch(() => undefined);
      });
    }
    return limitLogin(req, res, next);
  };
  return { perIp, perLogin };
}
