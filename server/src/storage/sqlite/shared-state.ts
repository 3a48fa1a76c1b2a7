import { createProcessLocks } from '../memory/shared-state';
import { windowStart, type SharedState } from '../shared-state-types';
import type { SqliteDatabase } from './database';

/**
 * SQLite's shared state lives in the database file, so it survives a restart and is shared with
 * other processes on the same file. The tables are created here (IF NOT EXISTS) rather than by a
 * numbered migration: they hold only short-lived state, and this keeps them out of the way of
 * schema versions that other features add. Locks are process-local: one SQLite file is one server.
 */
export function createSqliteSharedState(db: SqliteDatabase): SharedState {
  db.exec(`
    CREATE TABLE IF NOT EXISTS replay_cache (
      partition TEXT NOT NULL, key TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (partition, key)) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS replay_cache_expiry ON replay_cache (expires_at);
    CREATE TABLE IF NOT EXISTS rate_windows (
      key TEXT PRIMARY KEY NOT NULL, window_start INTEGER NOT NULL, window_ms INTEGER NOT NULL, count INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS job_leases (
      job TEXT PRIMARY KEY NOT NULL, holder TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;`);
  const seen = db.prepare<[string, string, number, number], { one: number }>(
    `INSERT INTO replay_cache (partition, key, expires_at) VALUES (?, ?, ?)
     ON CONFLICT (partition, key) DO UPDATE SET expires_at = excluded.expires_at WHERE replay_cache.expires_at <= ?
     RETURNING 1 AS one`,
  );
  const purge = db.prepare('DELETE FROM replay_cache WHERE expires_at <= ?');
  const hit = db.prepare<[string, number, number], { count: number; window_start: number }>(
    `INSERT INTO rate_windows (key, window_start, window_ms, count) VALUES (?, ?, ?, 1)
     ON CONFLICT (key) DO UPDATE SET
       count = CASE WHEN rate_windows.window_start = excluded.window_start AND rate_windows.window_ms = excluded.window_ms
                    THEN rate_windows.count + 1 ELSE 1 END,
       window_start = excluded.window_start, window_ms = excluded.window_ms
     RETURNING count, window_start`,
  );
  const undo = db.prepare('UPDATE rate_windows SET count = count - 1 WHERE key = ? AND window_start = ? AND window_ms = ? AND count > 0');
  const reset = db.prepare('DELETE FROM rate_windows WHERE key = ?');
  const lead = db.prepare<[string, string, number, number], { holder: string }>(
    `INSERT INTO job_leases (job, holder, expires_at) VALUES (?, ?, ?)
     ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
       WHERE job_leases.holder = excluded.holder OR job_leases.expires_at <= ?
     RETURNING holder`,
  );
  const release = db.prepare('DELETE FROM job_leases WHERE job = ? AND holder = ?');
  const leader = db.prepare<[string, number], { holder: string }>('SELECT holder FROM job_leases WHERE job = ? AND expires_at > ?');
  return {
    replay: {
      async firstSeen(partition, key, expiresAt, now) {
        return seen.get(partition, key, expiresAt, now) !== undefined;
      },
      async purgeExpired(now) {
        return purge.run(now).changes;
      },
    },
    rateLimits: {
      async hit(key, windowMs, now) {
        const row = hit.get(key, windowStart(now, windowMs), windowMs)!;
        return { count: row.count, resetAt: row.window_start + windowMs };
      },
      async undo(key, windowMs, now) {
        undo.run(key, windowStart(now, windowMs), windowMs);
      },
      async reset(key) {
        reset.run(key);
      },
    },
    locks: createProcessLocks(),
    leaders: {
      async tryLead(job, holder, ttlMs, now) {
        return lead.get(job, holder, now + ttlMs, now) !== undefined;
      },
      async release(job, holder) {
        release.run(job, holder);
      },
      async leader(job, now) {
        return leader.get(job, now)?.holder ?? null;
      },
    },
  };
}
