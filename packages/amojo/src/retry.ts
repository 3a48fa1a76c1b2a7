import { computeBackoff } from './backoff';
import { AmojoHttpError, isRetryable } from './errors';

/*
 * In-request retries for transient failures. Kept short by default: the server's outbox retries
 * across minutes, so the client only smooths over blips. Everything time-related is injectable so
 * tests run with zero delay and a fixed random source.
 */

export interface RetryPolicy {
  /** Total attempts including the first (1 = never retry). */
  maxAttempts: number;
  /** Delay before the 2nd attempt; doubles each time. */
  baseDelayMs: number;
  /** Cap on one backoff delay. A Retry-After longer than this is not waited out inline: the error is thrown. */
  maxDelayMs: number;
  /** Fraction of each delay that is randomised (see computeBackoff): 0 = exact, 1 = full jitter. */
  jitter: number;
  sleep: (ms: number) => Promise<void>;
  /** Random source in [0, 1); injectable for deterministic tests. */
  random?: () => number;
}

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 3,
  baseDelayMs: 250,
  maxDelayMs: 5_000,
  jitter: 0.5,
  sleep: realSleep,
};

/** Retries without waiting: for tests. */
export function noDelayRetry(maxAttempts = 3): RetryPolicy {
  return { maxAttempts, baseDelayMs: 0, maxDelayMs: Number.MAX_SAFE_INTEGER, jitter: 0, sleep: () => Promise.resolve() };
}

/** A single attempt, never retried (e.g. when an outer queue owns retries). */
export const noRetry: RetryPolicy = { ...defaultRetryPolicy, maxAttempts: 1 };

/** Exponential backoff for the given 1-based attempt that just failed, with the policy's jitter. */
export function backoffDelay(policy: RetryPolicy, failedAttempt: number): number {
  return computeBackoff({
    attempt: failedAttempt,
    baseMs: policy.baseDelayMs,
    maxMs: policy.maxDelayMs,
    jitter: policy.jitter,
    ...(policy.random ? { random: policy.random } : {}),
  });
}

/**
 * How long to wait before the next attempt, or undefined to give up. Retry-After (sent with 429 and
 * 503) wins over backoff, because retrying sooner than amojo asked only earns another refusal.
 */
export function nextRetryDelay(policy: RetryPolicy, failedAttempt: number, err: unknown): number | undefined {
  if (failedAttempt >= policy.maxAttempts || !isRetryable(err)) return undefined;
  if (err instanceof AmojoHttpError && err.retryAfterMs !== undefined && (err.status === 429 || err.status === 503)) {
    return err.retryAfterMs > policy.maxDelayMs ? undefined : err.retryAfterMs;
  }
  return backoffDelay(policy, failedAttempt);
}

/** Runs `attempt` until it succeeds, fails with a non-retryable error, or attempts run out. */
export async function withRetry<T>(policy: RetryPolicy, attempt: (attemptNo: number) => Promise<T>): Promise<T> {
  for (let attemptNo = 1; ; attemptNo++) {
    try {
      return await attempt(attemptNo);
    } catch (err) {
      const delay = nextRetryDelay(policy, attemptNo, err);
      if (delay === undefined) throw err;
      await policy.sleep(delay);
    }
  }
}
