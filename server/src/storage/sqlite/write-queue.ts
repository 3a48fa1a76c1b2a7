import type { SqliteDatabase } from './database';

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

export function createWriteQueue(db: SqliteDatabase, maxBatch = 500): WriteQueue {
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
        for (const job of jobs) job.reject(error);
        continue;
      }
      outcomes.forEach((o, i) => {
        if (o.ok) jobs[i]!.resolve(o.value);
        else jobs[i]!.reject(o.error);
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
