import type { IncomingMessage } from 'node:http';
import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { Config } from '../config';
import type { Clock } from '../lib/clock';
import { AppError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { SharedState } from '../storage/shared-state-types';

/**
 * The widget's disposable X-Auth-Token (amoCRM's `$authorizedAjax`): a JWT signed HS256 with the
 * integration's client secret. Checked on every /widget/v1 call when AMOCRM_CLIENT_SECRET is set.
 * Each token is single-use: its jti is remembered until the token expires.
 */

export interface WidgetCaller {
  /** amoCRM account id from the token; null when tokens are not required. */
  amocrmAccountId: number | null;
  userId: number | null;
  subdomain: string | null;
}

export const LEEWAY_SECONDS = 60;
const AMO_ISSUER_HOST = /(^|\.)(amocrm\.ru|amocrm\.com|kommo\.com)$/i;

/**
 * Remembers seen jti values until their token expires, in the store's shared replay cache, so a
 * token used on one instance is refused on every other. Records are partitioned per amoCRM account,
 * and each account may present at most `tokensPerAccountPerMinute` fresh tokens a minute: that
 * bounds what one account can make us remember, and an account flooding us with fresh tokens is
 * slowed down (429) without touching any other account's calls.
 */
export interface ReplayCache {
  /**
   * false when the jti was already seen in this account (and has not expired); throws
   * rate_limited when the account is over its budget of fresh tokens.
   */
  remember(amocrmAccountId: number, jti: string, expiresAtMs: number, now: number): Promise<boolean>;
}

export const DEFAULT_TOKENS_PER_ACCOUNT_PER_MINUTE = 1200;
const BUDGET_WINDOW_MS = 60_000;

export function createReplayCache(
  shared: Pick<SharedState, 'replay' | 'rateLimits'>,
  tokensPerAccountPerMinute = DEFAULT_TOKENS_PER_ACCOUNT_PER_MINUTE,
): ReplayCache {
  return {
    async remember(accountId, jti, expiresAtMs, now) {
      // Counted before remembering, so a flood stops adding records once over budget.
      const budget = await shared.rateLimits.hit(`widget-tokens:${accountId}`, BUDGET_WINDOW_MS, now);
      if (budget.count > tokensPerAccountPerMinute) {
        const seconds = Math.max(1, Math.ceil((budget.resetAt - now) / 1000));
        throw new AppError('rate_limited', `too many widget calls from amoCRM account ${accountId}; try again in ${seconds} s`, { retryAfter: seconds });
      }
      return shared.replay.firstSeen(`widget-jti:${accountId}`, jti, expiresAtMs, now);
    },
  };
}

type TokenConfig = Pick<Config, 'AMOCRM_CLIENT_SECRET' | 'AMOCRM_CLIENT_ID' | 'AMOCRM_TOKEN_AUDIENCE'>;

const trimSlash = (s: string) => s.replace(/\/+$/, '');
const invalid = (message: string, cause?: unknown) => new AppError('invalid_token', message, { cause });

function describeJoseError(err: unknown): AppError {
  if (err instanceof joseErrors.JWTExpired) return invalid('X-Auth-Token has expired; the widget must request a fresh one', err);
  if (err instanceof joseErrors.JWTClaimValidationFailed) return invalid(`X-Auth-Token claim "${err.claim}" is invalid: ${err.reason}`, err);
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return invalid('X-Auth-Token signature does not verify; check AMOCRM_CLIENT_SECRET', err);
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return invalid('X-Auth-Token must be signed with HS256', err);
  return invalid('X-Auth-Token is not a valid JWT', err);
}

/** Checks one token; returns the caller. Separate from the middleware so tests can call it directly. */
export async function verifyWidgetToken(token: string, config: TokenConfig, cache: ReplayCache, now: number): Promise<WidgetCaller> {
  const key = new TextEncoder().encode(config.AMOCRM_CLIENT_SECRET);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: ['HS256'],
      clockTolerance: LEEWAY_SECONDS,
      currentDate: new Date(now),
      requiredClaims: ['exp', 'jti'],
    }));
  } catch (err) {
    throw describeJoseError(err);
  }
  if (config.AMOCRM_TOKEN_AUDIENCE) {
    const expected = trimSlash(config.AMOCRM_TOKEN_AUDIENCE);
    const audiences = payload.aud === undefined ? [] : Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (!audiences.some((a) => trimSlash(a) === expected)) throw invalid(`X-Auth-Token audience does not match AMOCRM_TOKEN_AUDIENCE (${expected})`);
  }
  if (config.AMOCRM_CLIENT_ID && payload.client_uuid !== config.AMOCRM_CLIENT_ID) {
    throw invalid('X-Auth-Token was issued for another integration (client_uuid differs from AMOCRM_CLIENT_ID)');
  }
  let issuerHost = '';
  try {
    const iss = new URL(String(payload.iss ?? ''));
    if (iss.protocol === 'https:') issuerHost = iss.hostname;
  } catch {
    /* reported below */
  }
  if (!AMO_ISSUER_HOST.test(issuerHost)) throw invalid('X-Auth-Token issuer is not an amoCRM or Kommo account');
  const accountId = payload.account_id;
  if (typeof accountId !== 'number' || !Number.isSafeInteger(accountId) || accountId <= 0) throw invalid('X-Auth-Token has no valid account_id');
  if (typeof payload.jti !== 'string' || payload.jti === '') throw invalid('X-Auth-Token has no jti');
  // Kept until the token could no longer pass the exp check, leeway included.
  if (!(await cache.remember(accountId, payload.jti, (payload.exp! + LEEWAY_SECONDS) * 1000, now))) {
    throw invalid('X-Auth-Token was already used; every widget call needs a fresh token');
  }
  return {
    amocrmAccountId: accountId,
    userId: typeof payload.user_id === 'number' ? payload.user_id : null,
    subdomain: typeof payload.subdomain === 'string' ? payload.subdomain : null,
  };
}

const ANONYMOUS: WidgetCaller = { amocrmAccountId: null, userId: null, subdomain: null };

/**
 * The widget mount's authentication (the pipeline's Mount.authenticate): the caller, from the
 * X-Auth-Token header alone, before any body is read; without AMOCRM_CLIENT_SECRET every caller is
 * anonymous.
 */
export function createWidgetAuth(deps: {
  config: TokenConfig;
  clock: Clock;
  logger: Logger;
  cache: ReplayCache;
}): (req: IncomingMessage) => Promise<WidgetCaller> {
  const { cache } = deps;
  return async (req) => {
    if (!deps.config.AMOCRM_CLIENT_SECRET) return ANONYMOUS;
    const token = req.headers['x-auth-token'];
    if (typeof token !== 'string' || token === '') throw invalid("X-Auth-Token header is required (call the server with the widget's $authorizedAjax)");
    try {
      return await verifyWidgetToken(token.trim(), deps.config, cache, deps.clock.now());
    } catch (err) {
      deps.logger.info({ path: (req.url ?? '').split('?')[0], reason: err instanceof Error ? err.message : String(err) }, 'widget token refused');
      throw err;
    }
  };
}
