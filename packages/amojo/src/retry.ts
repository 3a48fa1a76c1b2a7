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
  /** 0 = exact exponential delays, 1 = "full jitter" (uniform between 0 and the delay). */
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

/**
 * Retry-After as delta-seconds or an HTTP date, in ms from `nowMs`. Undefined when absent or
 * unparseable; never negative (a date in the past means "now").
 */
export function parseRetryAfter(header: string | null | undefined, nowMs: number): number | undefined {
  if (header === null || header === undefined) return undefined;
  const value = header.trim();
  if (value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** Exponential backoff for the given 1-based attempt that just failed, with jitter applied. */
export function backoffDelay(policy: RetryPolicy, failedAttempt: number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failedAttempt - 1));
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  const random = policy.random ?? Math.random;
  return Math.round(exp * (1 - jitter * random()));
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
