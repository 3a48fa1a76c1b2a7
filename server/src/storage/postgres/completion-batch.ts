/**
 * Outbox completions (complete / kill) committed in batches: on PostgreSQL each statement costs a
 * round trip, a commit and a trip through plpgsql, and a relay finishes one entry per message.
 * So finish() does not run its statement at once: it joins the next batch, and its promise
 * settles when that batch has committed (or failed), exactly as if it had run alone.
 *
 * No timer and no waiting for a batch to fill: when nothing is being written the batch goes out on
 * the next turn of the event loop (gathering the completions of that turn), and while one batch is
 * being written the next one collects whatever completes meanwhile. Under light load a completion
 * waits one event-loop turn; under heavy load batches grow by themselves, up to `maxBatch`.
 *
 * Failure never loses anything: a completion whose batch failed is reported failed to its caller
 * (the worker), the entry stays leased and is delivered again after its lease, and receivers
 * deduplicate. A batch that fails for a reason other than the database being away (e.g. one
 * entry's follow-up collides with an existing id) is retried one completion at a time, so one bad
 * completion fails alone instead of taking its batch-mates with it.
 */

export interface CompletionBatcherOptions<I, O> {
  /** Commits the items in one statement, in order; returns one outcome per item. */
  write(items: I[]): Promise<O[]>;
  /** An error after which retrying item by item is pointless (the database is unreachable). */
  isUnavailable(err: unknown): boolean;
  maxBatch: number;
}

export interface CompletionBatcher<I, O> {
  /** Resolves with the item's outcome once its batch has committed; rejects if it could not be. */
  submit(item: I): Promise<O>;
  /** Resolves once nothing is queued or being written (store close). */
  drain(): Promise<void>;
}

interface Pending<I, O> {
  item: I;
  resolve(outcome: O): void;
  reject(err: unknown): void;
}

export function createCompletionBatcher<I, O>(options: CompletionBatcherOptions<I, O>): CompletionBatcher<I, O> {
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
    // One turn of the event loop first: completions that arrive together go out together.
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
