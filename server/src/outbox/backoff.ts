/**
 * Exponential backoff with jitter for outbox retries. Jitter spreads a burst of failures (the
 * provider restarting) so the retries do not arrive as one synchronized wave.
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
  const exponent = Math.max(0, attempts - 1);
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(exponent, 40));
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  const random = policy.random ?? Math.random;
  return Math.max(0, Math.round(exp * (1 - jitter * random())));
}
