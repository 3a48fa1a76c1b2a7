/**
 * Statements that many concurrent callers each need once, sent as batches: on PostgreSQL each
 * statement costs a round trip, a commit (for writes) and the executor's setup, and a relay pays
 * that several times per message (its intake read, its intake write, its outbox completion). So a
 * submitted item does not run its statement at once: it joins the next batch, and its promise
 * settles when that batch has run (committed, for writes) or failed, exactly as if it had run alone.
 *
 * No timer and no waiting for a batch to fill: when nothing is being written the batch goes out on
 * the next turn of the event loop (gathering the items of that turn), and while one batch is
 * being written the next one collects whatever arrives meanwhile. Under light load an item waits
 * one event-loop turn; under heavy load batches grow by themselves, up to `maxBatch`.
 *
 * Failure never loses anything: an item whose batch failed is reported failed to its caller, who
 * handles it as it would a failed statement of its own (a worker redelivers after the lease; an
 * intake answers 503 and the provider retries). A batch that fails for a reason other than the
 * database being away (one item colliding with an existing row, a deadlock between two instances'
 * batches) is retried one item at a time, so one bad item fails alone instead of taking its
 * batch-mates with it.
 */

export interface StatementBatcherOptions<I, O> {
  /** Runs the items in one statement (one transaction), in order; returns one outcome per item. */
  write(items: I[]): Promise<O[]>;
  /** An error after which retrying item by item is pointless (the database is unreachable). */
  isUnavailable(err: unknown): boolean;
  maxBatch: number;
}

export interface StatementBatcher<I, O> {
  /** Resolves with the item's outcome once its batch has run; rejects if it could not. */
  submit(item: I): Promise<O>;
  /** Resolves once nothing is queued or being run (store close). */
  drain(): Promise<void>;
}

interface Pending<I, O> {
  item: I;
  resolve(outcome: O): void;
  reject(err: unknown): void;
}

export function createStatementBatcher<I, O>(options: StatementBatcherOptions<I, O>): StatementBatcher<I, O> {
  const maxBatch = Math.max(1, options.maxBatch);
  const queue: Pending<I, O>[] = [];
  let writing: Promise<void> | null = null;

  async function writeAlone(p: Pending<I, O>): Promise<void> {
    try {
      const [outcome] = await options.write([p.item]);
      p.resolve(outcome as O);
    } catch (err) {
      p.reject(err);
    }
  }

  async function writeBatch(batch: Pending<I, O>[]): Promise<void> {
    let outcomes: O[];
    try {
      outcomes = await options.write(batch.map((p) => p.item));
    } catch (err) {
      if (batch.length === 1 || options.isUnavailable(err)) {
        for (const p of batch) p.reject(err);
        return;
      }
      for (const p of batch) await writeAlone(p);
      return;
    }
    batch.forEach((p, i) => {
      p.resolve(outcomes[i] as O);
    });
  }

  async function loop(): Promise<void> {
    // One turn of the event loop first: items that arrive together go out together.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (queue.length > 0) await writeBatch(queue.splice(0, maxBatch));
  }

  function kick(): void {
    if (writing) return;
    writing = loop().finally(() => {
      writing = null;
      // Submitted after the loop saw an empty queue but before it ended.
      if (queue.length > 0) kick();
    });
  }

  return {
    submit(item) {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        kick();
      });
    },
    async drain() {
      while (writing) await writing;
    },
  };
}
