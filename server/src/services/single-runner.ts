import type { Clock } from '../lib/clock';
import type { Logger } from '../lib/logger';
import type { LeaderElection } from '../storage/shared-state-types';

/** A job that must run on exactly one instance at a time (the reconciler, retention). */
export interface LeadJob {
  start(): void;
  stop(): Promise<void>;
}

export interface SingleRunnerDeps {
  leaders: LeaderElection;
  clock: Clock;
  logger: Logger;
  /** The lease's name, the same on every instance. */
  job: string;
  /** This instance (unique per process). */
  holder: string;
  /** Lease length; renewed every third of it. A dead leader is replaced within one ttl. */
  ttlMs: number;
  run: LeadJob;
}

export interface SingleRunner {
  start(): void;
  /** Stops the job if this instance runs it, and gives the lease up so another takes over at once. */
  stop(): Promise<void>;
  isLeading(): boolean;
}

/**
 * Runs `run` only while this instance holds the job's lease. A renewal that fails (lease taken, or
 * the database unreachable) stops the job at once: after a lost lease another instance may already
 * run it, and an unreachable database means we cannot know. Leading/stopping is logged with the
 * holder, so the logs show who ran each job when.
 */
export function createSingleRunner(deps: SingleRunnerDeps): SingleRunner {
  const logger = deps.logger.child({ component: 'single-runner', job: deps.job, holder: deps.holder });
  let leading = false;
  let timer: NodeJS.Timeout | null = null;
  let stopped = true;
  let tick: Promise<void> | null = null;
  let leaseUntil = 0;

  async function renew(): Promise<void> {
    const asked = deps.clock.now();
    // Woken after our lease ended (a stalled event loop, a suspended VM): another instance may run
    // the job already, so stop it before asking again.
    if (leading && asked >= leaseUntil) {
      leading = false;
      logger.warn({ event: 'lead_stop' }, 'the job lease ran out before its renewal; job stopped');
      await deps.run.stop();
    }
    let ok: boolean;
    try {
      ok = await deps.leaders.tryLead(deps.job, deps.holder, deps.ttlMs, asked);
    } catch (err) {
      if (leading) logger.warn({ err }, 'could not renew the job lease');
      ok = false;
    }
    if (stopped) return;
    if (ok) leaseUntil = asked + deps.ttlMs;
    if (ok && !leading) {
      leading = true;
      logger.info({ event: 'lead_start' }, 'leading job');
      deps.run.start();
    } else if (!ok && leading) {
      leading = false;
      logger.warn({ event: 'lead_stop' }, 'lost the job lease; job stopped');
      await deps.run.stop();
    }
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(
      () => {
        timer = null;
        tick = renew().finally(() => {
          tick = null;
          schedule();
        });
      },
      Math.max(50, Math.floor(deps.ttlMs / 3)),
    );
    timer.unref?.();
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      tick = renew().finally(() => {
        tick = null;
        schedule();
      });
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await tick;
      if (leading) {
        leading = false;
        await deps.run.stop();
        logger.info({ event: 'lead_stop' }, 'job stopped; lease released');
        await deps.leaders.release(deps.job, deps.holder).catch(() => undefined);
      }
    },
    isLeading: () => leading,
  };
}
