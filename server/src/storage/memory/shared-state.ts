import { createKeyedMutex } from '../../lib/keyed-mutex';
import { windowStart, type SharedState } from '../shared-state-types';

/**
 * Process-local shared state: right for one process (memory store, and SQLite, whose CLI never
 * needs these). A key lock is the process's keyed mutex, so waiters run in arrival order.
 */
export function createProcessLocks(): SharedState['locks'] {
  const mutex = createKeyedMutex();
  return { withLock: (key, fn) => mutex.run(key, fn) };
}

export function createMemorySharedState(): SharedState {
  const replay = new Map<string, Map<string, number>>();
  const windows = new Map<string, { start: number; windowMs: number; count: number }>();
  const leases = new Map<string, { holder: string; expiresAt: number }>();
  const purgePartition = (p: Map<string, number>, now: number) => {
    for (const [k, exp] of p) if (exp <= now) p.delete(k);
  };
  return {
    replay: {
      async firstSeen(partition, key, expiresAt, now) {
        let p = replay.get(partition);
        if (!p) replay.set(partition, (p = new Map()));
        const exp = p.get(key);
        if (exp !== undefined && exp > now) return false;
        // Amortised bound: sweep a partition's expired keys whenever it doubles past 1024.
        if (p.size >= 1024 && (p.size & (p.size - 1)) === 0) purgePartition(p, now);
        p.set(key, expiresAt);
        return true;
      },
      async purgeExpired(now) {
        let n = 0;
        for (const [name, p] of replay) {
          const before = p.size;
          purgePartition(p, now);
          n += before - p.size;
          if (p.size === 0) replay.delete(name);
        }
        return n;
      },
    },
    rateLimits: {
      async hit(key, windowMs, now) {
        const start = windowStart(now, windowMs);
        const w = windows.get(key);
        const next = w && w.start === start && w.windowMs === windowMs ? { ...w, count: w.count + 1 } : { start, windowMs, count: 1 };
        windows.set(key, next);
        return { count: next.count, resetAt: start + windowMs };
      },
      async undo(key, windowMs, now) {
        const w = windows.get(key);
        if (w && w.start === windowStart(now, windowMs) && w.windowMs === windowMs && w.count > 0) w.count -= 1;
      },
      async reset(key) {
        windows.delete(key);
      },
    },
    locks: createProcessLocks(),
    leaders: {
      async tryLead(job, holder, ttlMs, now) {
        const l = leases.get(job);
        if (l && l.holder !== holder && l.expiresAt > now) return false;
        leases.set(job, { holder, expiresAt: now + ttlMs });
        return true;
      },
      async release(job, holder) {
        if (leases.get(job)?.holder === holder) leases.delete(job);
      },
      async leader(job, now) {
        const l = leases.get(job);
        return l && l.expiresAt > now ? l.holder : null;
      },
    },
  };
}
