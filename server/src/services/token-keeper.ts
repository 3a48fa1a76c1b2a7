import { isAmocrmError } from '../amocrm/errors';
import type { TokenManager } from '../amocrm/token-manager';
import type { Clock } from '../lib/clock';
import type { Logger } from '../lib/logger';
import { createPeriodicTask, type PeriodicTask } from '../lib/periodic-task';
import type { InstallationRepo } from '../storage/types';

/**
 * Refreshes amoCRM access tokens before they expire, whether or not anything calls amoCRM. Without
 * it an account whose chats flow but whose REST side sits idle would let its refresh token lapse
 * (amoCRM expires unused refresh tokens after about three months) and need a reinstall. A refresh
 * amoCRM refuses is the token manager's business: it marks the installation and tells the provider.
 */
export interface TokenKeeperDeps {
  installations: Pick<InstallationRepo, 'list'>;
  tokens: Pick<TokenManager, 'getAccessToken'>;
  clock: Clock;
  logger: Logger;
  intervalMs: number;
  /** Refresh tokens expiring within this window (the token manager's own margin is 5 minutes). */
  aheadMs?: number;
}

export interface TokenKeeperReport {
  checked: number;
  refreshed: number;
  failed: number;
}

export function createTokenKeeper(deps: TokenKeeperDeps): PeriodicTask<TokenKeeperReport> {
  const ahead = deps.aheadMs ?? 5 * 60_000;
  return createPeriodicTask<TokenKeeperReport>({
    async pass() {
      const due = (await deps.installations.list()).filter((i) => i.status === 'active' && i.expiresAt - ahead <= deps.clock.now());
      const report = { checked: due.length, refreshed: 0, failed: 0 };
      // One account at a time: amoCRM's rate limit is per integration and account, and this is no hurry.
      for (const inst of due) {
        try {
          await deps.tokens.getAccessToken(inst.amocrmAccountId);
          report.refreshed += 1;
        } catch (err) {
          report.failed += 1;
          if (!isAmocrmError(err, 'reauthorization_required')) {
            deps.logger.warn(
              { amocrmAccountId: inst.amocrmAccountId, code: isAmocrmError(err) ? err.code : undefined, err: err instanceof Error ? err.message : String(err) },
              'could not refresh an amoCRM token; will try again',
            );
          }
        }
      }
      return report;
    },
    onError(err) {
      deps.logger.warn({ err }, 'amoCRM token keeper pass failed');
      return { checked: 0, refreshed: 0, failed: 0 };
    },
    firstDelayMs: Math.min(deps.intervalMs, 5_000),
    intervalMs: deps.intervalMs,
    stopWaitMs: 5_000,
  });
}
