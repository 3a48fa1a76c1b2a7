import { conflictError, StorageError } from '../errors';
import type { MessagePatch, NewOutboxEntry, OutboxDestination, OutboxEffects, OutboxEntry, OutboxRepo, OutboxState } from '../types';

/** Stored form: payload kept as JSON text, exactly like the SQLite column, so both stores behave alike. */
type Row = Omit<OutboxEntry, 'payload'> & { payload: string };

const DESTINATIONS: readonly OutboxDestination[] = ['amojo', 'provider', 'amocrm'];
const unfinished = (s: OutboxState) => s === 'pending' || s === 'leased';
const toEntry = (r: Row): OutboxEntry => ({ ...r, payload: JSON.parse(r.payload) as unknown });
// A leased entry is reclaimable once its lease has expired: lease_until < now, i.e. due at lease_until + 1.
const dueAt = (r: Row) => (r.state === 'pending' ? r.nextAttemptAt : (r.leaseUntil ?? 0) + 1);

export interface MemoryOutbox {
  repo: OutboxRepo;
  /** Throws conflict if any id is taken (checked before anything is written). */
  assertCanEnqueue(entries: NewOutboxEntry[]): void;
  enqueueNow(entries: NewOutboxEntry[], now: number): void;
}

/**
 * The in-memory twin of sqlite/outbox.ts. Rows live in a Map whose insertion order is seq order
 * (seq only grows and rows are never re-inserted). Like the SQLite heads table, `queues` holds each
 * key's unfinished rows sorted by seq, so a claim looks at one head per busy key, not at every row.
 */
export function createMemoryOutbox(patchMessage: (id: string, patch: MessagePatch, now: number) => void): MemoryOutbox {
  const rows = new Map<string, Row>();
  const queues = new Map<string, Row[]>();
  let seq = 0;
  let undelivered = 0;

  const addToQueue = (row: Row) => {
    const q = queues.get(row.orderingKey) ?? [];
    let i = q.length;
    while (i > 0 && q[i - 1]!.seq > row.seq) i -= 1;
    q.splice(i, 0, row);
    queues.set(row.orderingKey, q);
    undelivered += 1;
  };
  const removeFromQueue = (row: Row) => {
    const q = queues.get(row.orderingKey) ?? [];
    q.splice(q.indexOf(row), 1);
    if (q.length === 0) queues.delete(row.orderingKey);
    undelivered -= 1;
  };

  const assertCanEnqueue = (entries: NewOutboxEntry[]) => {
    const ids = new Set<string>();
    for (const e of entries) {
      if (rows.has(e.id) || ids.has(e.id)) {
        throw conflictError(`outbox entry ${e.id}`);
      }
      ids.add(e.id);
    }
  };
  const enqueueNow = (entries: NewOutboxEntry[], now: number) => {
    for (const e of entries) {
      seq += 1;
      const row: Row = {
        seq,
        id: e.id,
        destination: e.destination,
        kind: e.kind,
        orderingKey: e.orderingKey,
        payload: JSON.stringify(e.payload ?? null),
        messageId: e.messageId ?? null,
        state: 'pending',
        attempts: 0,
        nextAttemptAt: e.nextAttemptAt ?? now,
        leaseUntil: null,
        lastError: null,
        createdAt: now,
        updatedAt: now,
      };
      rows.set(e.id, row);
      addToQueue(row);
    }
  };
  const mustGet = (id: string): Row => {
    const row = rows.get(id);
    if (!row) throw new StorageError('not_found', `outbox entry ${id} does not exist`);
    return row;
  };
  const finish = (id: string, state: 'done' | 'dead', error: string | null, now: number, effects?: OutboxEffects) => {
    const row = mustGet(id);
    if (!unfinished(row.state)) return;
    if (effects?.enqueue?.length) assertCanEnqueue(effects.enqueue);
    Object.assign(row, { state, leaseUntil: null, lastError: error ?? row.lastError, updatedAt: now });
    removeFromQueue(row);
    if (effects?.message) patchMessage(effects.message.id, effects.message.patch, now);
    if (effects?.enqueue?.length) enqueueNow(effects.enqueue, now);
  };
  const revive = (row: Row, now: number) => {
    Object.assign(row, { state: 'pending', attempts: 0, nextAttemptAt: now, leaseUntil: null, updatedAt: now });
    addToQueue(row);
  };

  const repo: OutboxRepo = {
    async enqueue(entries, now) {
      assertCanEnqueue(entries);
      enqueueNow(entries, now);
    },
    async claim({ now, limit, leaseMs, destinations = DESTINATIONS }) {
      const due = [...queues.values()]
        .map((q) => q[0]!)
        .filter((r) => destinations.includes(r.destination) && dueAt(r) <= now)
        .sort((a, b) => dueAt(a) - dueAt(b) || a.seq - b.seq)
        .slice(0, Math.max(0, Math.trunc(limit)));
      return due.map((r) => {
        Object.assign(r, { state: 'leased', leaseUntil: now + leaseMs, attempts: r.attempts + 1, updatedAt: now });
        return toEntry(r);
      });
    },
    async complete(id, now, effects) {
      finish(id, 'done', null, now, effects);
    },
    async reschedule(id, nextAttemptAt, error, now) {
      const row = mustGet(id);
      if (!unfinished(row.state)) return;
      Object.assign(row, { state: 'pending', nextAttemptAt, leaseUntil: null, lastError: error, updatedAt: now });
    },
    async kill(id, error, now, effects) {
      finish(id, 'dead', error, now, effects);
    },
    async retry(id, now) {
      const row = rows.get(id);
      if (!row || row.state !== 'dead') return false;
      revive(row, now);
      return true;
    },
    async retryAllDead(now) {
      let n = 0;
      for (const row of rows.values()) {
        if (row.state === 'dead') {
          revive(row, now);
          n += 1;
        }
      }
      return n;
    },
    async get(id) {
      const row = rows.get(id);
      return row ? toEntry(row) : null;
    },
    async list({ state, limit = 100 }) {
      const out: OutboxEntry[] = [];
      const max = Math.max(0, Math.trunc(limit));
      for (const row of rows.values()) {
        if (out.length >= max) break;
        if (!state || row.state === state) out.push(toEntry(row));
      }
      return out;
    },
    async countByState() {
      const counts = new Map<string, { destination: OutboxDestination; state: OutboxState; count: number }>();
      for (const r of rows.values()) {
        const k = `${r.destination}\u0000${r.state}`;
        const c = counts.get(k) ?? { destination: r.destination, state: r.state, count: 0 };
        c.count += 1;
        counts.set(k, c);
      }
      const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
      return [...counts.values()].sort((a, b) => cmp(a.destination, b.destination) || cmp(a.state, b.state));
    },
    async countUndelivered() {
      return undelivered;
    },
    async purgeDone(olderThan) {
      let n = 0;
      for (const [id, r] of rows) {
        if (r.state === 'done' && r.updatedAt < olderThan) {
          rows.delete(id);
          n += 1;
        }
      }
      return n;
    },
  };
  return { repo, assertCanEnqueue, enqueueNow };
}
