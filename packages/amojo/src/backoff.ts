/*
 * Exponential backoff with "full jitter" (AWS architecture blog, 2015): the delay is drawn uniformly
 * from [0, min(maxMs, baseMs·2^(attempt-1))]. Full jitter spreads a burst of failures best (retries
 * of many callers do not arrive as one wave) at the cost of sometimes retrying almost at once.
 * `jitter` below 1 keeps a floor: 0.5 draws from [50 %, 100 %] of the exponential delay, 0 is exact.
 */

export interface BackoffInput {
  /** The attempt that just failed, 1-based. */
  attempt: number;
  /** Delay ceiling for the first retry. */
  baseMs: number;
  /** Cap on any single delay. */
  maxMs: number;
  /** Random source in [0, 1); injectable for deterministic tests. */
  random?: () => number;
  /** Fraction of the delay that is randomised: 1 (default) = full jitter, 0 = none. */
  jitter?: number;
}

export function computeBackoff(input: BackoffInput): number {
  const exponent = Math.min(Math.max(0, Math.floor(input.attempt) - 1), 52);
  const ceiling = Math.min(Math.max(0, input.maxMs), Math.max(0, input.baseMs) * 2 ** exponent);
  const jitter = Math.min(1, Math.max(0, input.jitter ?? 1));
  const random = input.random ?? Math.random;
  return Math.max(0, Math.round(ceiling * (1 - jitter * random())));
}
