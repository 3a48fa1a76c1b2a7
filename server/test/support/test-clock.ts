import type { Clock } from '../../src/lib/clock';

/** A clock a test moves by hand: token expiry, leases, retention and backoff without real waits. */
export interface TestClock extends Clock {
  set(ms: number): void;
  advance(ms: number): void;
}

export function testClock(start = Date.now()): TestClock {
  let now = start;
  return { now: () => now, set: (ms) => (now = ms), advance: (ms) => (now += ms) };
}
