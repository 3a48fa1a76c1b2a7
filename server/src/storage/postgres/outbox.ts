import type pg from 'pg';
import { StorageError } from '../errors';
import type { NewOutboxEntry, OutboxDestination, OutboxEffects, OutboxEntry, OutboxRepo, OutboxState } from '../types';
import { run, type Queryable } from './pool';
import { deleteInBatches } from './repos';
import { entriesJson, jsonOrNull, toEntry } from './rows';

const DESTINATIONS: readonly OutboxDestination[] = ['amojo', 'provider', 'amocrm'];
/** The channel a commit that adds due work notifies; every instance's store LISTENs on it. */
export const OUTBOX_CHANNEL = 'amochan_outbox';

const NOTIFY = { name: 'outbox_notify', text: `SELECT pg_notify('${OUTBOX_CHANNEL}', '')` };

/**
 * Sends NOTIFY after commits that added or unblocked work, coalesced: at most one in flight per
 * store, plus one more if work was committed meanwhile. NOTIFY is never sent inside the writing
 * transaction: PostgreSQL serialises the commits of notifying transactions on one global lock,
 * which would cap intake at one commit per disk flush.
 */
export function createOutboxNotifier(pool: pg.Pool): () => void {
  let inFlight = false;
  let again = false;
  const send = (): void => {
    inFlight = true;
    again = false;
    pool
      .query(NOTIFY.text)
      .catch(() => undefined)
      .finally(() => {
        inFlight = false;
        if (again) send();
      });
  };
  return () => {
    if (inFlight) again = true;
    else send();
  };
}

/** Enqueue inside the caller's transaction (amochan_enqueue serialises per key); the caller pokes the notifier after COMMIT. */
export async function enqueueIn(db: Queryable, entries: NewOutboxEntry[], now: number): Promise<void> {
  if (entries.length === 0) return;
  await run(
    db,
    { name: 'outbox_enqueue', text: 'SELECT amochan_enqueue($1::jsonb, $2)' },
    [entriesJson(entries), now],
    `outbox entry ${entries.map((e) => e.id).join(', ')}`,
  );
}

/**
 * A claimable entry is due and the head of its key (is_head: no earlier unfinished entry with that
 * key; kept by migration 5's functions under the key's lock). FOR UPDATE SKIP LOCKED lets N claimers on N instances take disjoint rows without waiting; a row
 * another claimer leased meanwhile is re-checked on its new version (due_at moved to the lease's
 * end) and dropped. A key's later entries stay blocked while its head is leased anywhere, so one
 * conversation is in flight on at most one instance at a time.
 */
const CLAIM = {
  name: 'outbox_claim',
  text: `WITH c AS (
           SELECT o.seq, o.due_at FROM outbox o
           WHERE o.is_head AND o.state IN ('pending', 'leased') AND o.due_at <= $1 AND o.destination = ANY($2::text[])
           ORDER BY o.due_at, o.seq LIMIT $3 FOR UPDATE OF o SKIP LOCKED)
         UPDATE outbox o SET state = 'leased', lease_until = $4, attempts = o.attempts + 1, updated_at = $1
         FROM c WHERE o.seq = c.seq RETURNING o.*, c.due_at AS claim_due`,
};

export function createPgOutbox(pool: pg.Pool, poke: () => void): OutboxRepo {
  const mustExist = async (db: Queryable, id: string) => {
    const [row] = await run(db, { name: 'outbox_state', text: 'SELECT state FROM outbox WHERE id = $1' }, [id]);
    if (!row) throw new StorageError('not_found', `outbox entry ${id} does not exist`);
    return row.state as OutboxState;
  };
  // Idempotent: finishing an entry that is already finished (a lease taken over) applies nothing.
  // One statement (amochan_finish), so the state change and its effects commit together.
  const finish = async (id: string, state: 'done' | 'dead', error: string | null, now: number, effects?: OutboxEffects) => {
    const [row] = await run(
      pool,
      {
        name: 'outbox_finish',
        text: 'SELECT amochan_finish($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb) AS outcome',
      },
      [id, state, error, now, effects?.message?.id ?? null, jsonOrNull(effects?.message?.patch), entriesJson(effects?.enqueue ?? [])],
      `outbox entries enqueued on finishing ${id}`,
    );
    if (row!.outcome === 'missing') throw new StorageError('not_found', `outbox entry ${id} does not exist`);
    // The key's next entry may have become claimable (on any instance).
    if (row!.outcome === 'finished') poke();
  };

  return {
    async enqueue(entries, now) {
      await enqueueIn(pool, entries, now);
      if (entries.length > 0) poke();
    },
    async claim(o) {
      const wanted = o.destinations ?? DESTINATIONS;
      const only = DESTINATIONS.filter((d) => wanted.includes(d));
      if (only.length === 0 || o.limit <= 0) return [];
      const rows = await run(pool, CLAIM, [o.now, only, Math.trunc(o.limit), o.now + o.leaseMs]);
      return rows.sort((a, b) => (a.claim_due as number) - (b.claim_due as number) || (a.seq as number) - (b.seq as number)).map(toEntry);
    },
    complete: (id, now, effects) => finish(id, 'done', null, now, effects),
    kill: (id, error, now, effects) => finish(id, 'dead', error, now, effects),
    async reschedule(id, nextAttemptAt, error, now) {
      const rows = await run(
        pool,
        `UPDATE outbox SET state = 'pending', next_attempt_at = $2, lease_until = NULL, last_error = $3, updated_at = $4
        WHERE id = $1 AND state IN ('pending', 'leased') RETURNING seq`,
        [id, nextAttemptAt, error, now],
      );
      if (rows.length === 0) await mustExist(pool, id);
    },
    async retry(id, now) {
      const [r] = await run(pool, 'SELECT amochan_revive($1, $2) AS n', [id, now]);
      if ((r!.n as number) > 0) poke();
      return (r!.n as number) > 0;
    },
    async retryAllDead(now) {
      const [r] = await run(pool, 'SELECT amochan_revive(NULL, $1) AS n', [now]);
      if ((r!.n as number) > 0) poke();
      return r!.n as number;
    },
    async get(id) {
      const [r] = await run(pool, 'SELECT * FROM outbox WHERE id = $1', [id]);
      return r ? toEntry(r) : null;
    },
    async list(filter) {
      const limit = Math.max(0, Math.trunc(filter.limit ?? 100));
      const rows = filter.state
        ? await run(pool, 'SELECT * FROM outbox WHERE state = $1 ORDER BY seq LIMIT $2', [filter.state, limit])
        : await run(pool, 'SELECT * FROM outbox ORDER BY seq LIMIT $1', [limit]);
      return rows.map(toEntry) as OutboxEntry[];
    },
    async countByState() {
      const rows = await run(
        pool,
        `SELECT destination, state, count(*) AS count FROM outbox
        GROUP BY destination, state ORDER BY destination COLLATE "C", state COLLATE "C"`,
      );
      return rows.map((r) => ({ destination: r.destination as OutboxDestination, state: r.state as OutboxState, count: r.count as number }));
    },
    async countUndelivered() {
      const [r] = await run(pool, { name: 'outbox_undelivered', text: "SELECT count(*) AS n FROM outbox WHERE state IN ('pending', 'leased')" });
      return r!.n as number;
    },
    purgeDone: (olderThan) =>
      deleteInBatches(
        pool,
        `DELETE FROM outbox WHERE seq IN
        (SELECT seq FROM outbox WHERE state = 'done' AND updated_at < $1 ORDER BY updated_at LIMIT 5000)`,
        [olderThan],
      ),
  };
}
