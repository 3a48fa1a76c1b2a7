import { createLogger } from '../../src/lib/logger';
import { createSingleRunner, type LeadJob } from '../../src/services/single-runner';
import { createMemorySharedState } from '../../src/storage/memory/shared-state';
import type { LeaderElection } from '../../src/storage/shared-state-types';
import { sleep, waitFor } from '../support/wait';

const logger = createLogger({ level: 'silent' });
const clock = { now: () => Date.now() };

/** A job that records how many copies of it run at once, across every runner. */
function jobs() {
  let running = 0;
  let maxRunning = 0;
  const make = (name: string, log: string[]): LeadJob => ({
    start() {
      running++;
      maxRunning = Math.max(maxRunning, running);
      log.push(`start ${name}`);
    },
    async stop() {
      running--;
      log.push(`stop ${name}`);
    },
  });
  return { make, running: () => running, maxRunning: () => maxRunning };
}

describe('single-runner jobs on a shared lease', () => {
  it('exactly one of three instances runs the job; another takes over after a graceful stop', async () => {
    const { leaders } = createMemorySharedState();
    const j = jobs();
    const log: string[] = [];
    const runners = ['a', 'b', 'c'].map((holder) =>
      createSingleRunner({ leaders, clock, logger, job: 'reconciler', holder, ttlMs: 300, run: j.make(holder, log) }),
    );
    for (const r of runners) r.start();
    await waitFor(() => j.running() === 1, 'a leader');
    await sleep(700); // several renewals
    expect(j.maxRunning()).toBe(1);
    const leader = runners.find((r) => r.isLeading())!;
    await leader.stop();
    await waitFor(() => j.running() === 1, 'a new leader', 3000);
    expect(runners.filter((r) => r.isLeading())).toHaveLength(1);
    expect(j.maxRunning()).toBe(1);
    await Promise.all(runners.map((r) => r.stop()));
    expect(j.running()).toBe(0);
  });

  it('a dead leader (no renewals, no release) is replaced once its lease expires', async () => {
    const { leaders } = createMemorySharedState();
    const j = jobs();
    const log: string[] = [];
    await leaders.tryLead('retention', 'dead', 400, Date.now());
    const r = createSingleRunner({ leaders, clock, logger, job: 'retention', holder: 'live', ttlMs: 300, run: j.make('live', log) });
    r.start();
    await sleep(200);
    expect(j.running()).toBe(0);
    await waitFor(() => j.running() === 1, 'takeover', 3000);
    await r.stop();
  });

  it('a failed renewal (database away) stops the job; it resumes when the lease can be taken again', async () => {
    const real = createMemorySharedState().leaders;
    let down = false;
    const leaders: LeaderElection = {
      ...real,
      tryLead: async (...args) => {
        if (down) throw new Error('connection refused');
        return real.tryLead(...args);
      },
    };
    const j = jobs();
    const log: string[] = [];
    const r = createSingleRunner({ leaders, clock, logger, job: 'reconciler', holder: 'a', ttlMs: 150, run: j.make('a', log) });
    r.start();
    await waitFor(() => j.running() === 1, 'leading');
    down = true;
    await waitFor(() => j.running() === 0, 'stopped on failed renewal', 2000);
    down = false;
    await waitFor(() => j.running() === 1, 'leading again', 2000);
    await r.stop();
    expect(log).toEqual(['start a', 'stop a', 'start a', 'stop a']);
  });
});
