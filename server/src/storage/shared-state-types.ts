/**
 * State that several server instances must share, behind small interfaces so memory, SQLite and
 * PostgreSQL implement the same contract (test/storage/shared-state-contract.ts). Callers pass
 * `now` (epoch ms) like everywhere else in storage, which keeps the semantics testable.
 */

export interface ReplayCache {
  /**
   * Records `key` within `partition` (e.g. one amoCRM account) until `expiresAt`. true = the first
   * time (or the previous record had expired): accept; false = a replay: refuse. Expired records
   * are dropped as partitions grow, so each partition stays bounded by the keys still live.
   */
  firstSeen(partition: string, key: string, expiresAt: number, now: number): Promise<boolean>;
  /** Deletes expired records; returns how many. */
  purgeExpired(now: number): Promise<number>;
}

export interface RateWindow {
  /** Hits in the current window, this one included. */
  count: number;
  /** When the current window ends (epoch ms). */
  resetAt: number;
}

export interface RateLimitCounters {
  /** Fixed window: counts a hit on `key` in the window of `windowMs` containing `now`. */
  hit(key: string, windowMs: number, now: number): Promise<RateWindow>;
  /** Takes one hit back, if the window containing `now` is still the current one (a request that turned out not to count). */
  undo(key: string, windowMs: number, now: number): Promise<void>;
  /** Forgets the key's window (e.g. a correct password clears that login's failures). */
  reset(key: string): Promise<void>;
}

export interface AccountLocks {
  /** Runs fn while holding `key` exclusively across every instance; releases it however fn ends. */
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

export interface LeaderElection {
  /**
   * Takes (or keeps) the lease on `job` for `holder` until now + ttlMs. true = holder leads now.
   * Another holder gets it only once the lease has expired, so a dead leader is replaced within ttl.
   * A leader renews by calling it again before the lease ends; false means it lost the lease and
   * must stop the job.
   */
  tryLead(job: string, holder: string, ttlMs: number, now: number): Promise<boolean>;
  /** Gives the lease up early (graceful shutdown) if holder still has it. */
  release(job: string, holder: string): Promise<void>;
  /** The current holder of an unexpired lease, or null. */
  leader(job: string, now: number): Promise<string | null>;
}

export interface SharedState {
  replay: ReplayCache;
  rateLimits: RateLimitCounters;
  locks: AccountLocks;
  leaders: LeaderElection;
}

/** Windows are aligned to multiples of windowMs, so every instance agrees where one starts. */
export const windowStart = (now: number, windowMs: number): number => Math.floor(now / windowMs) * windowMs;
