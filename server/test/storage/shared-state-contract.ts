import type { SharedState } from '../../src/storage/shared-state-types';
import { sleep } from '../support/wait';

/** The behaviour every SharedState implementation (memory, SQLite, PostgreSQL) must have. */
export function describeSharedStateContract(name: string, open: () => Promise<{ shared: SharedState; close(): Promise<void> }>): void {
  describe(`SharedState contract: ${name}`, () => {
    let handle: { shared: SharedState; close(): Promise<void> };
    beforeEach(async () => {
      handle = await open();
    });
    afterEach(async () => {
      await handle.close();
    });
    const s = () => handle.shared;

    it('replay cache: first use accepted, a replay refused until the record expires, partitions apart', async () => {
      expect(await s().replay.firstSeen('acct-1', 'jti-1', 1000, 0)).toBe(true);
      expect(await s().replay.firstSeen('acct-1', 'jti-1', 1000, 500)).toBe(false);
      expect(await s().replay.firstSeen('acct-2', 'jti-1', 1000, 500)).toBe(true);
      expect(await s().replay.firstSeen('acct-1', 'jti-1', 2000, 999)).toBe(false);
      expect(await s().replay.firstSeen('acct-1', 'jti-1', 2000, 1000)).toBe(true); // expired at 1000
      expect(await s().replay.firstSeen('acct-1', 'jti-1', 3000, 1500)).toBe(false);
    });

    it('replay cache: concurrent first uses of one key let exactly one through', async () => {
      const results = await Promise.all(Array.from({ length: 8 }, () => s().replay.firstSeen('acct', 'same', 1000, 0)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('replay cache: purgeExpired drops only expired records', async () => {
      await s().replay.firstSeen('a', 'k1', 100, 0);
      await s().replay.firstSeen('a', 'k2', 300, 0);
      await s().replay.firstSeen('b', 'k3', 100, 0);
      expect(await s().replay.purgeExpired(200)).toBe(2);
      expect(await s().replay.firstSeen('a', 'k2', 400, 250)).toBe(false);
      expect(await s().replay.firstSeen('a', 'k1', 400, 250)).toBe(true);
    });

    it('rate limits: counts hits per key in aligned fixed windows', async () => {
      expect(await s().rateLimits.hit('ip:1', 1000, 1500)).toEqual({ count: 1, resetAt: 2000 });
      expect(await s().rateLimits.hit('ip:1', 1000, 1999)).toEqual({ count: 2, resetAt: 2000 });
      expect(await s().rateLimits.hit('ip:2', 1000, 1999)).toEqual({ count: 1, resetAt: 2000 });
      expect(await s().rateLimits.hit('ip:1', 1000, 2000)).toEqual({ count: 1, resetAt: 3000 });
      const counts = await Promise.all(Array.from({ length: 10 }, () => s().rateLimits.hit('login:x', 60_000, 5)));
      expect(counts.map((c) => c.count).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    });

    it('rate limits: undo takes a hit back in the current window only; reset forgets the key', async () => {
      await s().rateLimits.hit('login:y', 1000, 100);
      await s().rateLimits.hit('login:y', 1000, 200);
      await s().rateLimits.undo('login:y', 1000, 300);
      expect(await s().rateLimits.hit('login:y', 1000, 400)).toEqual({ count: 2, resetAt: 1000 });
      // A later window's undo must not eat into a window it did not count in.
      await s().rateLimits.undo('login:y', 1000, 1500);
      expect(await s().rateLimits.hit('login:y', 1000, 500)).toEqual({ count: 3, resetAt: 1000 });
      await s().rateLimits.undo('never-hit', 1000, 0);
      expect(await s().rateLimits.hit('never-hit', 1000, 0)).toEqual({ count: 1, resetAt: 1000 });
      await s().rateLimits.reset('login:y');
      expect(await s().rateLimits.hit('login:y', 1000, 600)).toEqual({ count: 1, resetAt: 1000 });
    });

    it('locks: holders of one key run one at a time, other keys do not wait, errors release', async () => {
      const log: string[] = [];
      const job = (key: string, tag: string, ms: number) =>
        s().locks.withLock(key, async () => {
          log.push(`start ${tag}`);
          await sleep(ms);
          log.push(`end ${tag}`);
          return tag;
        });
      const results = await Promise.all([job('acct:1', 'a', 400), job('acct:1', 'b', 10), job('acct:2', 'c', 10)]);
      expect(results).toEqual(['a', 'b', 'c']);
      expect(log.indexOf('end a')).toBeLessThan(log.indexOf('start b'));
      expect(log.indexOf('end c')).toBeLessThan(log.indexOf('end a'));
      await expect(s().locks.withLock('acct:1', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
      expect(await s().locks.withLock('acct:1', async () => 'free again')).toBe('free again');
    });

    it('leader election: one leader per job, renewals keep it, another takes over after expiry or release', async () => {
      expect(await s().leaders.tryLead('reconciler', 'A', 1000, 0)).toBe(true);
      expect(await s().leaders.tryLead('reconciler', 'B', 1000, 500)).toBe(false);
      expect(await s().leaders.tryLead('retention', 'B', 1000, 500)).toBe(true);
      expect(await s().leaders.tryLead('reconciler', 'A', 1000, 900)).toBe(true); // renewed to 1900
      expect(await s().leaders.tryLead('reconciler', 'B', 1000, 1500)).toBe(false);
      expect(await s().leaders.leader('reconciler', 1500)).toBe('A');
      expect(await s().leaders.tryLead('reconciler', 'B', 1000, 1900)).toBe(true); // A died: expired
      expect(await s().leaders.tryLead('reconciler', 'A', 1000, 1950)).toBe(false); // A learns it lost
      await s().leaders.release('reconciler', 'A'); // not the holder: no effect
      expect(await s().leaders.leader('reconciler', 1950)).toBe('B');
      await s().leaders.release('reconciler', 'B');
      expect(await s().leaders.leader('reconciler', 1950)).toBeNull();
      expect(await s().leaders.tryLead('reconciler', 'A', 1000, 1960)).toBe(true);
    });

    it('leader election: concurrent candidates, exactly one wins', async () => {
      const wins = await Promise.all(['A', 'B', 'C', 'D'].map((h) => s().leaders.tryLead('job', h, 1000, 0)));
      expect(wins.filter(Boolean)).toHaveLength(1);
    });
  });
}
