import type { Clock } from '../lib/clock';
import { createLogThrottle } from '../lib/log-throttle';
import type { Logger } from '../lib/logger';
import type { WakeSignal } from '../lib/wake-signal';
import type { OutboxEntry, OutboxRepo } from '../storage/types';
import { defaultBackoff, retryDelayMs, type BackoffPolicy } from './backoff';
import { createClaimAhead } from './claim-ahead';
import type { DeliveryFailure, DeliveryHandler, DeliveryResult } from './types';

/**
 * The outbox worker: claims due entries in batches, runs up to `concurrency` deliveries at once and
 * records each outcome. Ordering within a conversation is the store's job (claim never hands out an
 * entry while an earlier one with the same orderingKey is pending or leased), so everything claimed
 * together may run concurrently, and a failing conversation holds back only itself.
 *
 * It wakes on three things: a producer's wake() right after a commit (so latency is not the poll
 * interval), a finished delivery (free capacity), and a timer (the poll, or the earliest retry).
 * The first two look for new work only (ClaimOptions.onlyNew: a store that knows nothing was added
 * may answer without a query); the timer and start() look for everything due.
 */

export interface OutboxWorkerOptions {
  outbox: OutboxRepo;
  handler: DeliveryHandler;
  clock: Clock;
  logger: Logger;
  /** Producers wake the worker through this after committing entries. */
  signal?: WakeSignal;
  concurrency: number;
  pollMs: number;
  maxAttempts: number;
  /** How long a claimed entry stays ours; a crashed worker's entries are re-claimed after it. */
  leaseMs?: number;
  backoff?: BackoffPolicy;
}

export type OutboxOutcome = 'delivered' | 'retry' | 'dead';

/** How long the attempt took, and whether a success was amojo's "duplicate msgid". */
export interface OutboxOutcomeInfo {
  durationMs: number;
  duplicate: boolean;
}

type OutcomeListener = (entry: OutboxEntry, outcome: OutboxOutcome, info: OutboxOutcomeInfo) => void;

export interface OutboxWorkerStats {
  delivered: number;
  retried: number;
  dead: number;
  inFlight: number;
  /** Claimed, waiting for a free delivery slot. */
  queued: number;
}

export interface OutboxWorker {
  start(): void;
  /** Stops claiming and waits for in-flight deliveries to be recorded. */
  stop(): Promise<void>;
  /** Something was enqueued: look now instead of at the next poll. */
  wake(): void;
  /**
   * Claims and delivers whatever is due until nothing is, without the loop (for tests and one-shot
   * tools). Do not mix with a started worker. Returns how many entries were processed.
   */
  processDue(): Promise<number>;
  stats(): OutboxWorkerStats;
  /** Called after each recorded outcome (metrics, tests). */
  onOutcome(listener: OutcomeListener): () => void;
}

export const DEFAULT_LEASE_MS = 120_000;

export function createOutboxWorker(options: OutboxWorkerOptions): OutboxWorker {
  const { outbox, handler, clock, logger } = options;
  // A store that cannot be written fails every outcome the same way: once per interval is enough.
  const outcomeFailed = createLogThrottle(logger, 30_000);
  const concurrency = Math.max(1, options.concurrency);
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const backoff = options.backoff ?? defaultBackoff;
  const listeners = new Set<OutcomeListener>();
  const active = new Set<Promise<void>>();
  const counters = { delivered: 0, retried: 0, dead: 0 };
  // Claimed but not yet started (claim-ahead.ts); `drain` starts them as delivery slots free up.
  const claims = createClaimAhead({
    outbox,
    clock,
    logger,
    leaseMs,
    lowWater: concurrency,
    prefetch: concurrency * 2,
    inFlight: () => active.size,
    onClaimed: () => drain(),
    onIdle: () => armTimer(options.pollMs),
  });

  let running = false;
  let timer: NodeJS.Timeout | null = null;
  let timerAt = Number.POSITIVE_INFINITY;
  let unsubscribe: (() => void) | null = null;

  function emit(entry: OutboxEntry, outcome: OutboxOutcome, info: OutboxOutcomeInfo): void {
    counters[outcome === 'retry' ? 'retried' : outcome]++;
    for (const listener of listeners) {
      try {
        listener(entry, outcome, info);
      } catch (err) {
        logger.warn({ err }, 'outbox outcome listener threw');
      }
    }
  }

  async function attempt(entry: OutboxEntry): Promise<DeliveryResult> {
    try {
      return await handler.deliver(entry);
    } catch (err) {
      // A throw is a bug or an infrastructure hiccup on our side, not the remote's answer: retry.
      logger.error({ err, entryId: entry.id, kind: entry.kind }, 'outbox delivery threw');
      return { ok: false, permanent: false, error: `delivery failed unexpectedly: ${(err as Error)?.message ?? String(err)}` };
    }
  }

  async function deadEffects(entry: OutboxEntry, failure: DeliveryFailure) {
    try {
      return await handler.onDead?.(entry, failure);
    } catch (err) {
      logger.error({ err, entryId: entry.id }, 'building dead-letter effects failed; killing without them');
      return undefined;
    }
  }

  /** Delivers one entry and records the outcome; never throws. */
  async function run(entry: OutboxEntry): Promise<void> {
    const started = process.hrtime.bigint();
    const result = await attempt(entry);
    const info: OutboxOutcomeInfo = { durationMs: Number(process.hrtime.bigint() - started) / 1e6, duplicate: result.ok && result.duplicate === true };
    const now = clock.now();
    const log = { entryId: entry.id, destination: entry.destination, kind: entry.kind, attempts: entry.attempts, orderingKey: entry.orderingKey };
    try {
      if (result.ok) {
        await outbox.complete(entry.id, now, result.effects);
        emit(entry, 'delivered', info);
      } else if (result.permanent || entry.attempts >= options.maxAttempts) {
        await outbox.kill(entry.id, result.error, now, await deadEffects(entry, result));
        logger.warn({ ...log, error: result.error, permanent: result.permanent }, 'outbox entry is dead: retry it with `outbox retry` once the cause is fixed');
        emit(entry, 'dead', info);
      } else {
        const delay = retryDelayMs(backoff, entry.attempts, result.retryAfterMs);
        await outbox.reschedule(entry.id, now + delay, result.error, now);
        logger.info({ ...log, error: result.error, retryInMs: delay }, 'outbox delivery failed; will retry');
        emit(entry, 'retry', info);
        armTimer(delay);
      }
    } catch (err) {
      // The lease expires and the entry is claimed again; receivers deduplicate (msgid, event id).
      outcomeFailed('error', { ...log, err }, 'recording the outbox outcome failed; the entry will be retried after its lease');
    }
  }

  function launch(entry: OutboxEntry): void {
    const p = run(entry).finally(() => {
      active.delete(p);
      drain();
      // A free slot: more work if any was added (its completion, if it unblocked a successor, says so).
      if (running) claims.refill(true);
    });
    active.add(p);
  }

  function drain(): void {
    while (running && active.size < concurrency) {
      const entry = claims.take();
      if (!entry) return;
      launch(entry);
    }
  }

  function armTimer(delayMs: number): void {
    if (!running) return;
    const at = clock.now() + Math.max(0, delayMs);
    if (timer && timerAt <= at) return;
    if (timer) clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(
      () => {
        timer = null;
        timerAt = Number.POSITIVE_INFINITY;
        wake();
      },
      Math.max(0, delayMs),
    );
    timer.unref?.();
  }

  /** The clock (poll, a retry or lease coming due) or a start: look for everything due. */
  function wake(): void {
    if (running) claims.refill();
  }

  /** A producer committed work (OutboxWorkerOptions.signal, another instance's NOTIFY): look for new work. */
  function wakeForNew(): void {
    if (running) claims.refill(true);
  }

  return {
    start() {
      if (running) return;
      running = true;
      claims.start();
      unsubscribe = options.signal?.subscribe(wakeForNew) ?? null;
      wake();
    },
    async stop() {
      running = false;
      unsubscribe?.();
      unsubscribe = null;
      if (timer) clearTimeout(timer);
      timer = null;
      timerAt = Number.POSITIVE_INFINITY;
      // Hand back what was claimed but never started (a claim still on its way included), so a
      // restart need not wait out the lease.
      await claims.stop();
      while (active.size > 0) await Promise.allSettled([...active]);
    },
    wake,
    async processDue() {
      let processed = 0;
      for (;;) {
        const batch = await outbox.claim({ now: clock.now(), limit: concurrency, leaseMs });
        if (batch.length === 0) return processed;
        processed += batch.length;
        await Promise.all(batch.map((entry) => run(entry)));
      }
    },
    stats: () => ({ ...counters, inFlight: active.size, queued: claims.size() }),
    onOutcome(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
