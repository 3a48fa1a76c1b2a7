import { createStatementBatcher } from '../../src/storage/postgres/statement-batch';

/**
 * The batching itself, over a write function that records what it was given: how completions are
 * grouped, and what happens to each when a batch fails. postgres-completions.test.ts runs the same
 * batcher against PostgreSQL.
 */

const unavailable = Object.assign(new Error('connection lost'), { code: 'ECONNRESET' });

function recorder(fail: (items: string[]) => Error | null = () => null) {
  const batches: string[][] = [];
  let release: (() => void) | null = null;
  let hold = false;
  const batcher = createStatementBatcher<string, string>({
    maxBatch: 3,
    isUnavailable: (err) => err === unavailable,
    async write(items) {
      batches.push([...items]);
      if (hold) await new Promise<void>((r) => (release = r));
      const err = fail(items);
      if (err) throw err;
      return items.map((i) => `done:${i}`);
    },
  });
  return {
    batcher,
    batches,
    holdWrites: () => {
      hold = true;
    },
    releaseWrite: () => {
      hold = false;
      release?.();
    },
  };
}

const settle = <T>(p: Promise<T>) =>
  p.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );

describe('completion batches', () => {
  it('completions submitted together go out in one write, in order, each answered with its own outcome', async () => {
    const r = recorder();
    const outcomes = await Promise.all(['a', 'b', 'c'].map((i) => r.batcher.submit(i)));
    expect(r.batches).toEqual([['a', 'b', 'c']]);
    expect(outcomes).toEqual(['done:a', 'done:b', 'done:c']);
  });

  it('while one batch is being written the next one collects, up to maxBatch per write', async () => {
    const r = recorder();
    r.holdWrites();
    const first = r.batcher.submit('a');
    await new Promise((resolve) => setImmediate(resolve));
    expect(r.batches).toEqual([['a']]);
    const later = ['b', 'c', 'd', 'e'].map((i) => r.batcher.submit(i));
    r.releaseWrite();
    expect(await Promise.all([first, ...later])).toEqual(['done:a', 'done:b', 'done:c', 'done:d', 'done:e']);
    expect(r.batches).toEqual([['a'], ['b', 'c', 'd'], ['e']]);
  });

  it('a batch refused for one bad completion is retried one by one: only that one fails', async () => {
    const r = recorder((items) => (items.includes('bad') ? Object.assign(new Error('duplicate key'), { code: 'conflict' }) : null));
    const results = await Promise.all(['a', 'bad', 'c'].map((i) => settle(r.batcher.submit(i))));
    expect(results).toEqual([{ value: 'done:a' }, { error: expect.objectContaining({ code: 'conflict' }) }, { value: 'done:c' }]);
    expect(r.batches).toEqual([['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
  });

  it('when the database is away every completion of the batch fails at once, and nothing is retried behind the caller', async () => {
    const r = recorder(() => unavailable);
    const results = await Promise.all(['a', 'b'].map((i) => settle(r.batcher.submit(i))));
    expect(results).toEqual([{ error: unavailable }, { error: unavailable }]);
    expect(r.batches).toEqual([['a', 'b']]);
  });

  it('drain waits for the batch being written and for the ones queued behind it', async () => {
    const r = recorder();
    r.holdWrites();
    const submitted = ['a', 'b', 'c', 'd'].map((i) => r.batcher.submit(i));
    let drained = false;
    const draining = r.batcher.drain().then(() => {
      drained = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(drained).toBe(false);
    r.releaseWrite();
    await draining;
    expect(r.batches.flat()).toEqual(['a', 'b', 'c', 'd']);
    expect(await Promise.all(submitted)).toHaveLength(4);
    // Nothing queued: drain answers at once.
    await r.batcher.drain();
  });
});
