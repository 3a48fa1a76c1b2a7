import type { Clock } from '../lib/clock';
import { createKeyedMutex } from '../lib/keyed-mutex';
import type { Installation, InstallationRepo } from '../storage/types';
import { AmocrmError, isAmocrmError } from './errors';
import type { OAuthClient } from './oauth-client';
import type { BaseUrlResolver } from './referer';
import type { TokenCipher } from './token-crypto';

/**
 * Hands out a valid access token per amoCRM account. A refresh token is single-use, so two
 * refreshes racing lose the account: every refresh runs under `withAccountLock(accountId)` and,
 * inside it, re-reads the installation first — a caller that queued behind a refresh finds the new
 * token and uses it. The default lock is in-process; several instances on one PostgreSQL must pass
 * a database lock (e.g. pg_advisory_xact_lock on the account id) through the same seam.
 * A refresh amoCRM refuses marks the installation `reauthorization_required` and tells
 * `onReauthorizationRequired`; retryable failures change nothing. A token that no longer decrypts
 * (TOKEN_ENCRYPTION_KEY changed) is reported as `token_decrypt_failed` and not marked, since fixing
 * the key brings it back. Tokens never reach the logger.
 */
export type AccountLock = <T>(amocrmAccountId: number, work: () => Promise<T>) => Promise<T>;

export interface TokenManagerDeps {
  installations: InstallationRepo;
  cipher: TokenCipher;
  oauth: OAuthClient;
  baseUrlFor: BaseUrlResolver;
  clock: Clock;
  /** Refresh this long before expiry (default 5 minutes). */
  refreshMarginMs?: number;
  withAccountLock?: AccountLock;
  onReauthorizationRequired?: (installation: Installation) => void | Promise<void>;
  logger?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export interface TokenManager {
  /** A token valid for at least the margin; refreshes first when needed. */
  getAccessToken(amocrmAccountId: number): Promise<string>;
  /**
   * Runs `call` with a token; when amoCRM answers 401 (`unauthorized`), refreshes once and retries
   * once — a second 401 propagates.
   */
  withAccessToken<T>(amocrmAccountId: number, call: (accessToken: string) => Promise<T>): Promise<T>;
  /**
   * With `staleAccessToken` (the token amoCRM just refused): refreshes unless the stored token already
   * differs from it and is fresh (someone refreshed meanwhile). Without it: refreshes only within the margin.
   */
  refresh(amocrmAccountId: number, staleAccessToken?: string): Promise<string>;
}

/** The AAD context tokens are encrypted under: a ciphertext only decrypts on its own account's row. */
export const tokenContext = (amocrmAccountId: number): string => `amocrm:${amocrmAccountId}`;

export function createInProcessAccountLock(): AccountLock {
  const mutex = createKeyedMutex();
  return (id, work) => mutex.run(String(id), work);
}

export function createTokenManager(deps: TokenManagerDeps): TokenManager {
  const margin = deps.refreshMarginMs ?? 5 * 60_000;
  const lock = deps.withAccountLock ?? createInProcessAccountLock();

  async function load(id: number): Promise<Installation & { accessTokenEnc: string; refreshTokenEnc: string }> {
    const inst = await deps.installations.get(id);
    if (!inst || inst.status === 'uninstalled' || !inst.accessTokenEnc || !inst.refreshTokenEnc) {
      throw new AmocrmError('not_installed', `the integration is not installed in amoCRM account ${id}; an administrator must install it`);
    }
    if (inst.status === 'reauthorization_required') {
      throw new AmocrmError('reauthorization_required', `amoCRM account ${id} must install the integration again (its refresh token was refused)`);
    }
    return inst as Installation & { accessTokenEnc: string; refreshTokenEnc: string };
  }
  const decryptAccess = (inst: Installation & { accessTokenEnc: string }) => deps.cipher.decrypt(inst.accessTokenEnc, tokenContext(inst.amocrmAccountId));
  const fresh = (inst: Installation) => inst.expiresAt - margin > deps.clock.now();

  async function refreshLocked(id: number, stale: string | undefined): Promise<string> {
    const inst = await load(id);
    const current = decryptAccess(inst);
    if (stale !== undefined && current !== stale && fresh(inst)) return current;
    if (stale === undefined && fresh(inst)) return current;
    const refreshToken = deps.cipher.decrypt(inst.refreshTokenEnc, tokenContext(id));
    try {
      const pair = await deps.oauth.refresh(deps.baseUrlFor(inst.domain), refreshToken);
      const context = tokenContext(id);
      const stored = await deps.installations.updateTokens(
        id,
        {
          accessTokenEnc: deps.cipher.encrypt(pair.accessToken, context),
          refreshTokenEnc: deps.cipher.encrypt(pair.refreshToken, context),
          expiresAt: pair.expiresAt,
        },
        inst.refreshTokenEnc,
        deps.clock.now(),
      );
      // Lost a race with a reinstall (new row) meanwhile: the newer row wins; use whatever it holds.
      if (!stored) return decryptAccess(await load(id));
      deps.logger?.info({ amocrmAccountId: id, expiresAt: pair.expiresAt }, 'amoCRM access token refreshed');
      return pair.accessToken;
    } catch (err) {
      if (!isAmocrmError(err, 'oauth_refused')) throw err;
      await deps.installations.setStatus(id, 'reauthorization_required', deps.clock.now());
      deps.logger?.warn({ amocrmAccountId: id, reason: err.message }, 'amoCRM refused the refresh token; the account must reinstall the integration');
      const marked = await deps.installations.get(id);
      try {
        if (marked) await deps.onReauthorizationRequired?.(marked);
      } catch (hookErr) {
        // The status is stored; a failing notifier must not turn this into another error.
        deps.logger?.warn({ amocrmAccountId: id, err: hookErr instanceof Error ? hookErr.message : String(hookErr) }, 'onReauthorizationRequired failed');
      }
      throw new AmocrmError('reauthorization_required', `amoCRM account ${id} must install the integration again (amoCRM refused the refresh token)`, {
        cause: err,
      });
    }
  }

  const refresh = (id: number, stale?: string) => lock(id, () => refreshLocked(id, stale));

  async function getAccessToken(id: number): Promise<string> {
    const inst = await load(id);
    if (fresh(inst)) return decryptAccess(inst);
    return refresh(id, decryptAccess(inst));
  }

  return {
    getAccessToken,
    refresh,
    async withAccessToken(id, call) {
      const token = await getAccessToken(id);
      try {
        return await call(token);
      } catch (err) {
        if (!isAmocrmError(err, 'unauthorized')) throw err;
        const next = await refresh(id, token);
        return call(next);
      }
    },
  };
}
