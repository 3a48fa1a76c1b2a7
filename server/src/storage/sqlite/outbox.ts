import { StorageError } from '../errors';
import type { ClaimOptions, MessagePatch, NewOutboxEntry, OutboxEffects, OutboxDestination, OutboxEntry, OutboxRepo, OutboxState } from '../types';
import { deleteInBatches, fromJson, mapConstraintError, toJson, type SqliteDatabase } from './database';
import type { WriteQueue } from './write-queue';

interface OutboxRow {
  seq: number;
  id: string;
  destination: OutboxDestination;
  kind: string;
  ordering_key: string;
  payload: string;
  message_id: string | null;
  state: OutboxState;
  attempts: number;
  next_attempt_at: number;
  lease_until: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

const toEntry = (r: OutboxRow): OutboxEntry => ({
  seq: r.seq,
  id: r.id,
  destination: r.destination,
  kind: r.kind,
  orderingKey: r.ordering_key,
  payload: fromJson(r.payload),
  messageId: r.message_id,
  state: r.state,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  leaseUntil: r.lease_until,
  lastError: r.last_error,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const PURGE_BATCH = 5000;
const DESTINATIONS: readonly OutboxDestination[] = ['amojo', 'provider', 'amocrm'];

export interface SqliteOutbox {
  repo: OutboxRepo;
  /** Synchronous enqueue for use inside a unit-of-work transaction. */
  enqueueSync(entries: NewOutboxEntry[], now: number): void;
}

/**
 * `patchMessage` applies an effect's message patch inside the same transaction as the state change.
 * Writes go through the store's group-commit queue; each runs atomically in its own savepoint.
 */
export function createSqliteOutbox(db: SqliteDatabase, queue: WriteQueue, patchMessage: (id: string, patch: MessagePatch, now: number) => void): SqliteOutbox {
  const insert = db.prepare(
    `INSERT INTO outbox (id, destination, kind, ordering_key, payload, message_id, state, attempts,
                         next_attempt_at, lease_until, last_error, created_at, updated_at)
     VALUES (@id, @destination, @kind, @orderingKey, @payload, @messageId, 'pending', 0,
             @nextAttemptAt, NULL, NULL, @now, @now)`,
  );
  // Claimable = the head (lowest unfinished seq) of its key, and due. outbox_heads holds exactly the
  // heads (maintained by triggers), so this reads `limit` rows of a small index, not the backlog.
  const headsSql = (where: string) => `SELECT seq FROM outbox_heads WHERE ${where} due_at <= ? ORDER BY due_at, seq LIMIT ?`;
  const allHeads = db.prepare<[number, number], { seq: number }>(headsSql(''));
  const someHeads = new Map<string, ReturnType<typeof db.prepare<[number, number], { seq: number }>>>();
  // One statement per subset of destinations asked for (there are few), prepared on first use.
  const dueHeads = (only: OutboxDestination[]) => {
    if (only.length === DESTINATIONS.length) return allHeads;
    const key = only.join(',');
    let stmt = someHeads.get(key);
    if (!stmt) {
      stmt = db.prepare<[number, number], { seq: number }>(headsSql(`destination IN (${only.map((d) => `'${d}'`).join(', ')}) AND`));
      someHeads.set(key, stmt);
    }
    return stmt;
  };
  const lease = db.prepare<{ seq: number; leaseUntil: number; now: number }, OutboxRow>(
    `UPDATE outbox SET state = 'leased', lease_until = @leaseUntil, attempts = attempts + 1, updated_at = @now
     WHERE seq = @seq RETURNING *`,
  );
  const getById = db.prepare<[string], OutboxRow>('SELECT * FROM outbox WHERE id = ?');
  const stateById = db.prepare<[string], { state: OutboxState }>('SELECT state FROM outbox WHERE id = ?');
  const finish = db.prepare(
    `UPDATE outbox SET state = @state, lease_until = NULL, last_error = COALESCE(@error, last_error), updated_at = @now
     WHERE id = @id`,
  );
  const reschedule = db.prepare(
    `UPDATE outbox SET state = 'pending', next_attempt_at = @nextAttemptAt, lease_until = NULL, last_error = @error,
                       updated_at = @now
     WHERE id = @id AND state IN ('pending', 'leased')`,
  );
  const revive = `UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = @now, lease_until = NULL, updated_at = @now`;
  const retryOne = db.prepare(`${revive} WHERE id = @id AND state = 'dead'`);
  const retryDead = db.prepare(`${revive} WHERE state = 'dead'`);
  const listAll = db.prepare<[number], OutboxRow>('SELECT * FROM outbox ORDER BY seq LIMIT ?');
  const listByState = db.prepare<[OutboxState, number], OutboxRow>('SELECT * FROM outbox WHERE state = ? ORDER BY seq LIMIT ?');
  const counts = db.prepare<[], { destination: OutboxDestination; state: OutboxState; count: number }>(
    'SELECT destination, state, count FROM outbox_counts WHERE count > 0 ORDER BY destination, state',
  );
  const undelivered = db.prepare<[], { n: number | null }>("SELECT SUM(count) AS n FROM outbox_counts WHERE state IN ('pending', 'leased')");
  const purgeBatch = db.prepare(`DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox WHERE state = 'done' AND updated_at < ? LIMIT ${PURGE_BATCH})`);

  const enqueueSync = (entries: NewOutboxEntry[], now: number): void => {
    for (const e of entries) {
      try {
        insert.run({
          id: e.id,
          destination: e.destination,
          kind: e.kind,
          orderingKey: e.orderingKey,
          payload: toJson(e.payload),
          messageId: e.messageId ?? null,
          nextAttemptAt: e.nextAttemptAt ?? now,
          now,
        });
      } catch (err) {
        mapConstraintError(err, `outbox entry ${e.id}`);
      }
    }
  };
  const stateOf = (id: string): OutboxState => {
    const row = stateById.get(id);
    if (!row) throw new StorageError('not_found', `outbox entry ${id} does not exist`);
    return row.state;
  };
  // Idempotent: finishing an already finished entry (a worker whose lease expired and was taken
  // over) changes nothing, so effects are applied exactly once.
  const finishEntry = (id: string, state: 'done' | 'dead', error: string | null, now: number, effects?: OutboxEffects) => {
    const current = stateOf(id);
    if (current === 'done' || current === 'dead') return;
    finish.run({ id, state, error, now });
    if (effects?.message) patchMessage(effects.message.id, effects.message.patch, now);
    if (effects?.enqueue?.length) enqueueSync(effects.enqueue, now);
  };
  const claim = (o: ClaimOptions): OutboxEntry[] => {
    const wanted = o.destinations ?? DESTINATIONS;
    const only = DESTINATIONS.filter((d) => wanted.includes(d));
    if (only.length === 0 || o.limit <= 0) return [];
    const stmt = dueHeads(only);
    const seqs = stmt.all(o.now, Math.trunc(o.limit));
    return seqs.map(({ seq }) => toEntry(lease.get({ seq, leaseUntil: o.now + o.leaseMs, now: o.now })!));
  };

  return {
    enqueueSync,
    repo: {
      async enqueue(entries, now) {
        return queue.run(() => enqueueSync(entries, now));
      },
      async claim(options) {
        return queue.run(() => claim(options));
      },
      async complete(id, now, effects) {
        return queue.run(() => finishEntry(id, 'done', null, now, effects));
      },
      async reschedule(id, nextAttemptAt, error, now) {
        return queue.run(() => {
          stateOf(id);
          reschedule.run({ id, nextAttemptAt, error, now });
        });
      },
      async kill(id, error, now, effects) {
        return queue.run(() => finishEntry(id, 'dead', error, now, effects));
      },
      async retry(id, now) {
        return queue.run(() => retryOne.run({ id, now }).changes > 0);
      },
      async retryAllDead(now) {
        return queue.run(() => retryDead.run({ now }).changes);
      },
      async get(id) {
        const row = getById.get(id);
        return row ? toEntry(row) : null;
      },
      async list(filter) {
        const limit = Math.max(0, Math.trunc(filter.limit ?? 100));
        const rows = filter.state ? listByState.all(filter.state, limit) : listAll.all(limit);
        return rows.map(toEntry);
      },
      async countByState() {
        return counts.all();
      },
      async countUndelivered() {
        return undelivered.get()?.n ?? 0;
      },
      async purgeDone(olderThan) {
        return deleteInBatches(() => purgeBatch.run(olderThan).changes, PURGE_BATCH);
      },
    },
  };
}
