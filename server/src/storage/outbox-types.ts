import type { MessagePatch } from './message-types';

/**
 * The outbox part of the storage interfaces (re-exported by types.ts, which services import):
 * durable work for the relay worker, claimed with leases and delivered in order per orderingKey.
 */
/** amocrm: calls to amoCRM's REST API on an account's behalf (its sources follow the provider's channels). */
export type OutboxDestination = 'amojo' | 'provider' | 'amocrm';
export type OutboxState = 'pending' | 'leased' | 'done' | 'dead';

export interface NewOutboxEntry {
  id: string;
  destination: OutboxDestination;
  /** What the delivery function does, e.g. 'new_message', 'delivery_status', 'typing', 'event'. */
  kind: string;
  /** Entries with the same key are delivered strictly in creation order (e.g. `conv:<login>:<conversation_id>`). */
  orderingKey: string;
  payload: unknown;
  messageId: string | null;
  /** Not before this time (defaults to now). */
  nextAttemptAt?: number;
}

export interface OutboxEntry extends Required<NewOutboxEntry> {
  /** Monotonic insertion sequence: the order within an orderingKey. */
  seq: number;
  state: OutboxState;
  attempts: number;
  leaseUntil: number | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

/** Side effects committed atomically with an outbox state change. */
export interface OutboxEffects {
  message?: { id: string; patch: MessagePatch };
  enqueue?: NewOutboxEntry[];
}

export interface ClaimOptions {
  now: number;
  limit: number;
  leaseMs: number;
  /** Only these destinations (default: all). */
  destinations?: OutboxDestination[];
  /**
   * The caller wants only work added since its last claim (a refill after a delivery, a wake-up
   * after a commit), not work that became due by the clock (a retry, an expired lease: its timers
   * claim without this). A store that knows nothing was added since may answer without looking
   * (PostgreSQL: no statement); a store that cannot tell ignores it.
   */
  onlyNew?: boolean;
}

export interface OutboxRepo {
  enqueue(entries: NewOutboxEntry[], now: number): Promise<void>;
  /**
   * Leases up to `limit` due entries: pending ones whose nextAttemptAt ≤ now, and leased ones whose
   * lease expired (a crashed worker's). Never returns an entry while an earlier entry with the same
   * orderingKey is still pending or leased, so one conversation's failure holds back only itself.
   * Each claim increments `attempts`.
   */
  claim(options: ClaimOptions): Promise<OutboxEntry[]>;
  complete(id: string, now: number, effects?: OutboxEffects): Promise<void>;
  /** Back to pending, to be retried at nextAttemptAt. */
  reschedule(id: string, nextAttemptAt: number, error: string, now: number): Promise<void>;
  /** Permanent failure or attempts exhausted: state dead, with effects (e.g. a delivery_status -1). */
  kill(id: string, error: string, now: number, effects?: OutboxEffects): Promise<void>;
  /** dead → pending, attempts reset; false if the entry is not dead. */
  retry(id: string, now: number): Promise<boolean>;
  /** Every dead entry → pending; returns how many. */
  retryAllDead(now: number): Promise<number>;
  get(id: string): Promise<OutboxEntry | null>;
  list(filter: { state?: OutboxState; limit?: number }): Promise<OutboxEntry[]>;
  /** For metrics and the CLI. */
  countByState(): Promise<Array<{ destination: OutboxDestination; state: OutboxState; count: number }>>;
  /** pending + leased, for backpressure; must be cheap. */
  countUndelivered(): Promise<number>;
  /**
   * Deletes done entries last updated before `olderThan` (dead ones are kept for the operator);
   * returns how many. Works in small batches so it never holds the write lock for long.
   */
  purgeDone(olderThan: number): Promise<number>;
}
