import type { SqliteDatabase } from './database';
import { toStorageUnavailable, type WriteHealth } from './storage-failure';

/**
 * Group commit. Most of a small write's cost is the COMMIT (one WAL frame write per dirty page),
 * not the statements, so writes that arrive together — concurrent HTTP requests, outbox workers
 * finishing at once — are run in one BEGIN IMMEDIATE … COMMIT, each inside its own SAVEPOINT:
 * one write failing (a conflict) rolls back only itself. Every promise settles after the COMMIT,
 * so "resolved" still means "durable". Work functions must be synchronous and must not start
 * transactions of their own (they may use nested better-sqlite3 transactions, i.e. savepoints).
 */
export interface WriteQueue {
  run<T>(work: () => T): Promise<T>;
  /** Runs whatever is queued now (used before close). */
  flush(): void;
}

interface Job {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export interface WriteQueueOptions {
  maxBatch?: number;
  /** Told when a commit succeeds or fails for lack of storage (readiness). */
  health?: WriteHealth;
}

export function createWriteQueue(db: SqliteDatabase, options: WriteQueueOptions = {}): WriteQueue {
  const maxBatch = options.maxBatch ?? 500;
  // A full disk or an I/O error is storage_unavailable for every job it failed.
  const mapped = (error: unknown): unknown => {
    const result = toStorageUnavailable(error);
    if (result !== error) options.health?.failed();
    return result;
  };
  let queue: Job[] = [];
  let scheduled = false;
  const inSavepoint = db.transaction((work: () => unknown) => work());
  const batchTx = db.transaction((jobs: Job[]): Outcome[] =>
    jobs.map((job): Outcome => {
      try {
        return { ok: true, value: inSavepoint(job.work) };
      } catch (error) {
        // Some failures (I/O, full disk) make SQLite abort the whole transaction; then no later job
        // may run outside it, so the batch as a whole fails.
        if (!db.inTransaction) throw error;
        return { ok: false, error };
      }
    }),
  );

  const flush = (): void => {
    scheduled = false;
    while (queue.length > 0) {
      const jobs = queue.slice(0, maxBatch);
      queue = queue.slice(jobs.length);
      let outcomes: Outcome[];
      try {
        outcomes = batchTx.immediate(jobs);
      } catch (error) {
        const failure = mapped(error);
        for (const job of jobs) job.reject(failure);
        continue;
      }
      options.health?.succeeded();
      outcomes.forEach((o, i) => {
        if (o.ok) jobs[i]!.resolve(o.value);
        else jobs[i]!.reject(mapped(o.error));
      });
    }
  };

  return {
    run<T>(work: () => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
        if (!scheduled) {
          scheduled = true;
          // setImmediate runs after the current round of I/O callbacks: every request that arrived
          // in this turn of the event loop joins the same commit.
          setImmediate(flush);
        }
      });
    },
    flush,
  };
}
