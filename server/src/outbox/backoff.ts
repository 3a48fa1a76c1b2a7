import { computeBackoff } from '@amochan/amojo';

/**
 * The outbox's retry policy. The exponential delay itself is the SDK's `computeBackoff`; what is
 * the outbox's own is the partial jitter (the floor keeps a burst of failures from retrying at
 * once) and how far a remote Retry-After is trusted.
 */
export interface BackoffPolicy {
  /** Delay after the first failed attempt; doubles with each further attempt. */
  baseDelayMs: number;
  /** Cap on one delay. */
  maxDelayMs: number;
  /** 0 = exact delays; 0.5 = uniformly between 50 % and 100 % of the delay. */
  jitter: number;
  random?: () => number;
}

/** A remote Retry-After is honoured up to this long; beyond it we assume a misconfigured server. */
export const RETRY_AFTER_CAP_MS = 60 * 60 * 1000;

export const defaultBackoff: BackoffPolicy = { baseDelayMs: 1_000, maxDelayMs: 300_000, jitter: 0.5 };

/** Delay before the next attempt, given how many attempts have been made (1-based). */
export function retryDelayMs(policy: BackoffPolicy, attempts: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) {
    return Math.min(retryAfterMs, RETRY_AFTER_CAP_MS);
  }
  return computeBackoff({ attempt: attempts, baseMs: policy.baseDelayMs, maxMs: policy.maxDelayMs, jitter: policy.jitter, random: policy.random });
}
