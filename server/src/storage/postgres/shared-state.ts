import type pg from 'pg';
import { createProcessLocks } from '../memory/shared-state';
import { windowStart, type SharedState } from '../shared-state-types';
import { connect, isUnavailableError, mapPgError, run } from './pool';

/**
 * Shared state on PostgreSQL: every decision is one atomic upsert, so N instances agree without
 * coordination beyond the row.
 * - Account locks are session advisory locks held on one pooled connection for fn's duration: the
 *   server releases them if that connection dies, so a crashed instance never leaves one held.
 * - Leader election uses a leases table, not session advisory locks: a lock lives as long as one
 *   TCP connection, and after a network partition the old leader keeps running until its socket
 *   times out, unaware it lost; a lease has a bounded TTL, the leader learns it lost it when a
 *   renewal returns false, and the same contract holds on SQLite and in memory. Times are the
 *   callers' clocks: keep instance clocks in sync (NTP) to well under the TTL.
 */
export function createPgSharedState(pool: pg.Pool): SharedState {
  const local = createProcessLocks();
  const acquire = async (key: string): Promise<pg.PoolClient> => {
    for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
      const client = await connect(pool);
      try {
        const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 1)) AS ok', [key]);
        if (rows[0]!.ok) return client;
        client.release();
      } catch (err) {
        client.release(isUnavailableError(err));
        return mapPgError(err);
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  };
  return {
    replay: {
      async firstSeen(partition, key, expiresAt, now) {
        const rows = await run(
          pool,
          {
            name: 'replay_seen',
            text: `INSERT INTO replay_cache (partition, key, expires_at) VALUES ($1, $2, $3)
                 ON CONFLICT (partition, key) DO UPDATE SET expires_at = excluded.expires_at WHERE replay_cache.expires_at <= $4
                 RETURNING 1 AS one`,
          },
          [partition, key, expiresAt, now],
        );
        return rows.length > 0;
      },
      async purgeExpired(now) {
        return (await run(pool, 'DELETE FROM replay_cache WHERE expires_at <= $1 RETURNING 1', [now])).length;
      },
    },
    rateLimits: {
      async hit(key, windowMs, now) {
        const [row] = await run(
          pool,
          {
            name: 'rate_hit',
            text: `INSERT INTO rate_windows (key, window_start, window_ms, count) VALUES ($1, $2, $3, 1)
                 ON CONFLICT (key) DO UPDATE SET
                   count = CASE WHEN rate_windows.window_start = excluded.window_start AND rate_windows.window_ms = excluded.window_ms
                                THEN rate_windows.count + 1 ELSE 1 END,
                   window_start = excluded.window_start, window_ms = excluded.window_ms
                 RETURNING count, window_start`,
          },
          [key, windowStart(now, windowMs), windowMs],
        );
        return { count: row!.count as number, resetAt: (row!.window_start as number) + windowMs };
      },
      async undo(key, windowMs, now) {
        await run(pool, 'UPDATE rate_windows SET count = count - 1 WHERE key = $1 AND window_start = $2 AND window_ms = $3 AND count > 0', [
          key,
          windowStart(now, windowMs),
          windowMs,
        ]);
      },
      async reset(key) {
        await run(pool, 'DELETE FROM rate_windows WHERE key = $1', [key]);
      },
    },
    locks: {
      // Queue in-process first, so one instance's waiters for a key hold no connection; then poll
      // pg_try_advisory_lock, releasing the connection between tries: a waiter blocked inside
      // pg_advisory_lock would hold a pooled connection, and enough of them would starve the
      // holder's own queries (the pool is small by design).
      withLock: (key, fn) =>
        local.withLock(key, async () => {
          const client = await acquire(key);
          try {
            return await fn();
          } finally {
            // If unlocking fails the connection is destroyed, which releases the lock server-side.
            const unlocked = await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 1))', [key]).then(
              () => true,
              () => false,
            );
            client.release(!unlocked);
          }
        }),
    },
    leaders: {
      async tryLead(job, holder, ttlMs, now) {
        const rows = await run(
          pool,
          {
            name: 'lease_lead',
            text: `INSERT INTO job_leases (job, holder, expires_at) VALUES ($1, $2, $3)
                 ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                   WHERE job_leases.holder = excluded.holder OR job_leases.expires_at <= $4
                 RETURNING holder`,
          },
          [job, holder, now + ttlMs, now],
        );
        return rows.length > 0;
      },
      async release(job, holder) {
        await run(pool, 'DELETE FROM job_leases WHERE job = $1 AND holder = $2', [job, holder]);
      },
      async leader(job, now) {
        const [r] = await run(pool, 'SELECT holder FROM job_leases WHERE job = $1 AND expires_at > $2', [job, now]);
        return r ? (r.holder as string) : null;
      },
    },
  };
}
