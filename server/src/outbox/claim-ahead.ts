import type { Clock } from '../lib/clock';
import { createLogThrottle } from '../lib/log-throttle';
import type { Logger } from '../lib/logger';
import type { OutboxEntry, OutboxRepo } from '../storage/types';

/**
 * The worker's local queue: entries claimed but not yet started. Claiming a batch ahead keeps the
 * claim queries to about one per `lowWater` deliveries instead of one per delivery. Split from
 * worker.ts, which keeps the delivery side (slots, outcomes, timers).
 *
 * Stopping is where the care goes: with an async store a claim may still be on its way when the
 * worker stops. Its entries are then handed back (rescheduled to now) instead of queued, and stop()
 * waits for that, so nothing claimed by a stopped worker sits leased until its lease expires and
 * nothing starts after stop() returned.
 */

export interface ClaimAheadOptions {
  outbox: Pick<OutboxRepo, 'claim' | 'reschedule'>;
  clock: Clock;
  logger: Logger;
  leaseMs: number;
  /** Refill when fewer than this many are in hand (the worker's concurrency). */
  lowWater: number;
  /** At most this many claimed entries, queued plus in flight. */
  prefetch: number;
  /** Deliveries running now: they count against `prefetch`. */
  inFlight(): number;
  /** A batch was queued: start what fits. */
  onClaimed(): void;
  /** A refill round ended (nothing more due, or a claim failed): arm the poll timer. */
  onIdle(): void;
}

export interface ClaimAhead {
  /** The next claimed entry to start, if any. */
  take(): OutboxEntry | undefined;
  size(): number;
  /**
   * Claim more now if the queue is low (coalesced while a claim is running). `onlyNew`: the reason
   * is a delivery that finished or a commit that woke us, not the clock (ClaimOptions.onlyNew); a
   * refill without it makes the next claim a full one.
   */
  refill(onlyNew?: boolean): void;
  /** Accept refills again after stop(). */
  start(): void;
  /** No more claims; waits for a running one, then hands back everything never started. */
  stop(): Promise<void>;
}

export function createClaimAhead(options: ClaimAheadOptions): ClaimAhead {
  const { outbox, clock, logger, leaseMs, prefetch } = options;
  const claimFailed = createLogThrottle(logger, 30_000);
  const queue: OutboxEntry[] = [];
  let stopped = true;
  let again = false;
  // The next claim must look for work due by the clock too (the first one, and after a timer).
  let full = true;
  let pumping: Promise<void> | null = null;

  const wantMore = () => !stopped && queue.length < options.lowWater && prefetch - queue.length - options.inFlight() > 0;

  /** Back to pending at once, so a restart need not wait out the lease. */
  async function release(entries: OutboxEntry[]): Promise<void> {
    const now = clock.now();
    for (const entry of entries) {
      try {
        await outbox.reschedule(entry.id, now, entry.lastError ?? 'released unattempted when the worker stopped', now);
      } catch (err) {
        logger.warn({ err, entryId: entry.id }, 'could not release a claimed entry; it is retried after its lease');
      }
    }
  }

  async function pump(): Promise<void> {
    try {
      do {
        again = false;
        while (wantMore()) {
          const limit = prefetch - queue.length - options.inFlight();
          const onlyNew = !full;
          full = false;
          const batch = await outbox.claim({ now: clock.now(), limit, leaseMs, onlyNew });
          // Stopped while the claim was on its way: these must not start (stop() may have returned
          // to its caller's shutdown otherwise), so they go straight back.
          if (stopped) return await release(batch);
          queue.push(...batch);
          options.onClaimed();
          if (batch.length < limit) break;
        }
      } while (again && wantMore());
    } catch (err) {
      // Logged once per interval: a full disk fails every poll, and the log may share that disk.
      claimFailed('error', { err }, 'outbox claim failed; retrying at the next poll');
    }
    options.onIdle();
  }

  return {
    take: () => queue.shift(),
    size: () => queue.length,
    refill(onlyNew = false) {
      if (stopped) return;
      if (!onlyNew) full = true;
      if (pumping) {
        again = true;
        return;
      }
      // Enough in hand already (the common case after each delivery): the poll timer stays armed.
      if (!wantMore()) return;
      pumping = pump().finally(() => {
        pumping = null;
      });
    },
    start() {
      stopped = false;
    },
    async stop() {
      stopped = true;
      if (pumping) await pumping;
      await release(queue.splice(0));
    },
  };
}
