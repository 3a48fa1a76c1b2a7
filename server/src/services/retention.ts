import { DAY_MS } from '../config';
import type { Clock } from '../lib/clock';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import { createPeriodicTask, type PeriodicTask } from '../lib/periodic-task';
import type { Store } from '../storage/types';

/**
 * Periodic maintenance: without it done outbox entries and webhook receipts grow forever. Shortly
 * after start and then hourly it deletes
 * - done outbox entries older than RETENTION_DONE_OUTBOX_DAYS (dead ones stay for the operator);
 * - webhook receipts older than RETENTION_RECEIPTS_DAYS, which config.ts keeps longer than the
 *   reconciler's lookback (a purged receipt would make the reconciler resend its message).
 * Messages are kept: they are the idempotency record of (account, msgid), and a provider may retry a
 * message long after the fact (docs/operations.md, "Retention").
 *
 * Both purges delete in small batches and yield between them, so request handlers keep writing.
 */

export interface RetentionDeps {
  /** With `shared`, expired widget-token replay records are dropped too. */
  store: Pick<Store, 'outbox' | 'receipts'> & Partial<Pick<Store, 'shared'>>;
  clock: Clock;
  logger: Logger;
  metrics?: Metrics;
  /** 0 = keep forever. */
  doneOutboxDays: number;
  /** 0 = keep forever. */
  receiptsDays: number;
  /** Delay of the first pass after start(): long enough to stay out of the start-up rush. */
  firstRunDelayMs?: number;
  intervalMs?: number;
}

export interface RetentionReport {
  outboxDone: number;
  receipts: number;
}

/**
 * runOnce: one pass now (never two at once; failures are logged and counted, never thrown).
 * stop: waits for a running pass at most STOP_WAIT_MS — an interrupted pass loses nothing (the next
 * one deletes what is left), and a shutdown must not wait for a big first purge.
 */
export type RetentionJob = Pick<PeriodicTask<RetentionReport>, 'runOnce' | 'start' | 'stop'>;

export const DEFAULT_FIRST_RUN_DELAY_MS = 60_000;
export const DEFAULT_RETENTION_INTERVAL_MS = 3_600_000;
const STOP_WAIT_MS = 3_000;

export function createRetentionJob(deps: RetentionDeps): RetentionJob {
  const { store, clock, metrics } = deps;
  const logger = deps.logger.child({ component: 'retention' });

  async function pass(): Promise<RetentionReport> {
    const started = clock.now();
    const report: RetentionReport = { outboxDone: 0, receipts: 0 };
    if (deps.doneOutboxDays > 0) {
      report.outboxDone = await store.outbox.purgeDone(started - deps.doneOutboxDays * DAY_MS);
      metrics?.retentionPurged.inc({ table: 'outbox_done' }, report.outboxDone);
    }
    if (deps.receiptsDays > 0) {
      report.receipts = await store.receipts.purgeOlderThan(started - deps.receiptsDays * DAY_MS);
      metrics?.retentionPurged.inc({ table: 'webhook_receipts' }, report.receipts);
    }
    const expiredReplays = store.shared ? await store.shared.replay.purgeExpired(started) : 0;
    logger.info(
      { purged: report, expiredReplays, doneOutboxDays: deps.doneOutboxDays, receiptsDays: deps.receiptsDays, durationMs: clock.now() - started },
      'retention pass done',
    );
    return report;
  }

  const task = createPeriodicTask({
    pass,
    onError: (err) => {
      // During shutdown the store may close under a pass we stopped waiting for: expected.
      if (task.stopping) logger.info({ err }, 'retention pass interrupted by shutdown; the next start finishes it');
      else logger.error({ err }, 'retention pass failed; will try again next pass');
      return { outboxDone: 0, receipts: 0 };
    },
    ...(metrics ? { runs: metrics.retentionRuns } : {}),
    firstDelayMs: deps.firstRunDelayMs ?? DEFAULT_FIRST_RUN_DELAY_MS,
    intervalMs: deps.intervalMs ?? DEFAULT_RETENTION_INTERVAL_MS,
    stopWaitMs: STOP_WAIT_MS,
  });

  return { runOnce: task.runOnce, start: task.start, stop: task.stop };
}
