import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMemorySharedState } from '../../src/storage/memory/shared-state';
import { createPostgresStore, type PostgresStore } from '../../src/storage/postgres/store';
import { createSqliteSharedState } from '../../src/storage/sqlite/shared-state';
import { createSqliteStore } from '../../src/storage/sqlite/store';
import { describeSharedStateContract } from './shared-state-contract';
import { createTestDatabase, describePg, truncateAll, type TestDatabase } from '../support/postgres';
import { sleep } from '../support/wait';

// Creating databases and opening pools is slow on a loaded machine; the assertions are not about time.
jest.setTimeout(30_000);

describeSharedStateContract('memory', async () => ({ shared: createMemorySharedState(), close: async () => undefined }));

let dir: string;
let n = 0;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'amochan-shared-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
describeSharedStateContract('sqlite', async () => {
  const store = createSqliteStore({ filename: path.join(dir, `db-${++n}.sqlite`) });
  return { shared: createSqliteSharedState(store.db), close: () => store.close() };
});

describePg('on PostgreSQL', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('shared');
  });
  afterAll(async () => {
    await db.drop();
  });
  describeSharedStateContract('postgres', async () => {
    await truncateAll(db.url).catch(() => undefined); // the first test finds no tables yet
    return createPostgresStore({ connectionString: db.url, poolSize: 6 });
  });

  describe('across instances (one pool each)', () => {
    let a: PostgresStore;
    let b: PostgresStore;
    beforeEach(() => {
      a = createPostgresStore({ connectionString: db.url, poolSize: 3 });
      b = createPostgresStore({ connectionString: db.url, poolSize: 3 });
    });
    afterEach(async () => {
      await Promise.all([a.close(), b.close()]);
    });

    it('an account lock taken on one instance holds off the other', async () => {
      const log: string[] = [];
      let aIn!: () => void;
      const aHolds = new Promise<void>((resolve) => (aIn = resolve));
      const hold = (s: PostgresStore, tag: string) =>
        s.shared.locks.withLock('acct:42', async () => {
          log.push(`in ${tag}`);
          if (tag === 'a') aIn();
          await sleep(100);
          log.push(`out ${tag}`);
        });
      // b asks only once a holds the lock (on a loaded machine taking it can outlast any fixed delay).
      await Promise.all([hold(a, 'a'), aHolds.then(() => hold(b, 'b'))]);
      expect(log).toEqual(['in a', 'out a', 'in b', 'out b']);
    });

    it('many waiters for one account lock never starve the holder of pool connections', async () => {
      const order: number[] = [];
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          (i % 2 ? b : a).shared.locks.withLock('acct:busy', async () => {
            // The holder still needs the pool (3 connections per instance) for its own work.
            await (i % 2 ? b : a).shared.rateLimits.hit(`k${i}`, 1000, 0);
            order.push(i);
          }),
        ),
      );
      expect(order.sort((x, y) => x - y)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    });

    it('a token seen on one instance is a replay on the other; rate limits count on both', async () => {
      const now = Date.now();
      expect(await a.shared.replay.firstSeen('acct', 'jti-x', now + 60_000, now)).toBe(true);
      expect(await b.shared.replay.firstSeen('acct', 'jti-x', now + 60_000, now)).toBe(false);
      await a.shared.rateLimits.hit('ip:9', 60_000, now);
      expect((await b.shared.rateLimits.hit('ip:9', 60_000, now)).count).toBe(2);
    });
  });
});
