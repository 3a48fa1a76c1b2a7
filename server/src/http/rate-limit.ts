import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { AppError } from '../lib/errors';

/**
 * Brute-force brakes on the calls that check a password (connect, disconnect): per client IP, every
 * attempt counts; per login, only failed attempts count, so a legitimate user reconnecting is never
 * locked out by their own successes. Counters live in memory (per instance). req.ip depends on
 * TRUST_PROXY, which must match the real proxy chain or everyone shares the proxy's address.
 */
export interface WidgetRateLimitOptions {
  windowMs: number;
  perIp: number;
  perLogin: number;
}

function rateLimited(req: Request, resetTime: Date | undefined, what: string): AppError {
  const seconds = resetTime ? Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000)) : 60;
  return new AppError('rate_limited', `too many ${what}; try again in ${seconds} s`, { retryAfter: seconds });
}

const loginOf = (req: Request): string | undefined => {
  const login = (req.body as { login?: unknown } | undefined)?.login;
  return typeof login === 'string' && login !== '' ? login : undefined;
};

export interface WidgetRateLimiters {
  perIp: RequestHandler;
  /** Must run after the body parser (it reads body.login). */
  perLogin: RequestHandler;
}

export function createWidgetRateLimiters(options: WidgetRateLimitOptions): WidgetRateLimiters {
  const common = { windowMs: options.windowMs, standardHeaders: 'draft-7' as const, legacyHeaders: false };
  const perIp = rateLimit({
    ...common,
    limit: options.perIp,
    keyGenerator: (req) => ipKeyGenerator(req.ip ?? 'unknown'),
    handler: (req, _res, next) => next(rateLimited(req, (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime, 'attempts from this address')),
  });
  const perLogin = rateLimit({
    ...common,
    limit: options.perLogin,
    skipSuccessfulRequests: true,
    skip: (req) => loginOf(req) === undefined,
    keyGenerator: (req) => `login:${loginOf(req)!.toLowerCase()}`,
    handler: (req, _res, next) => next(rateLimited(req, (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime, 'failed attempts for this login')),
  });
  return { perIp, perLogin };
}
