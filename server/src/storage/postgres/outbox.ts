import type pg from 'pg';
import { StorageError } from '../errors';
import type { NewOutboxEntry, OutboxDestination, OutboxEffects, OutboxEntry, OutboxRepo, OutboxState } from '../types';
import { createStatementBatcher } from './statement-batch';
import { isUnavailableError, run, type Queryable } from './pool';
import { deleteInBatches } from './repos';
import { entriesJson, entryRows, toEntry } from './rows';

const DESTINATIONS: readonly OutboxDestination[] = ['amojo', 'provider', 'amocrm'];
/** The channel a commit that adds due work notifies; every instance's store LISTENs on it. */
export const OUTBOX_CHANNEL = 'amochan_outbox';

const NOTIFY_GAP_MS = 20;

/**
 * Sends NOTIFY after commits that added or unblocked work, coalesced: at most one in flight per
 * store, plus one more if work was committed meanwhile. NOTIFY is never sent inside the writing
 * transaction: PostgreSQL serialises the commits of notifying transactions on one global lock,
 * which would cap intake at one commit per disk flush. It goes over the queue pool (asynchronous
 * commit: a notification is only a hint, sent at commit whether or not the commit is on disk yet).
 *
 * The payload is this store's token: its own listener ignores it, since this process wakes its
 * worker directly (services after intake, the worker after each delivery) and the echo would only
 * cost it a second, empty claim per commit.
 */
export function createOutboxNotifier(pool: pg.Pool, token: string): () => void {
  let inFlight = false;
  let again = false;
  const send = (): void => {
    inFlight = true;
    again = false;
    pool
      .query({ name: 'outbox_notify', text: 'SELECT pg_notify($1, $2)', values: [OUTBOX_CHANNEL, token] })
      .catch(() => undefined)
      .finally(() => {
        // Under load, at most one NOTIFY per NOTIFY_GAP_MS: another instance learns of new work
        // that much later at worst, and each one is a transaction and a wake-up of every listener.
        if (again) setTimeout(send, NOTIFY_GAP_MS).unref();
        else inFlight = false;
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

const RESCHEDULE = {
  name: 'outbox_reschedule',
  text: `UPDATE outbox SET state = 'pending', next_attempt_at = $2, lease_until = NULL, last_error = $3, updated_at = $4
         WHERE id = $1 AND state IN ('pending', 'leased') RETURNING seq`,
};

/**
 * A claimable entry is due and the head of its key (is_head: no earlier unfinished entry with that
 * key; kept by the functions of migrations 5 and 7 under the key's lock). FOR UPDATE SKIP LOCKED
 * lets N claimers on N instances take disjoint rows without waiting; a row another claimer leased
 * meanwhile is re-checked on its new version (due_at moved to the lease's end) and dropped. A key's
 * later entries stay blocked while its head is leased anywhere, so one conversation is in flight on
 * at most one instance at a time. The update finds the claimed rows by `seq = ANY`, one probe of
 * the primary key each: as a join the planner may hash it and read the whole table per claim.
 */
const CLAIM = {
  name: 'outbox_claim',
  text: `WITH c AS (
           SELECT o.seq, o.due_at FROM outbox o
           WHERE o.is_head AND o.state IN ('pending', 'leased') AND o.due_at <= $1 AND o.destination = ANY($2::text[])
           ORDER BY o.due_at, o.seq LIMIT $3 FOR UPDATE OF o SKIP LOCKED),
         u AS (
           UPDATE outbox o SET state = 'leased', lease_until = $4, attempts = o.attempts + 1, updated_at = $1
           WHERE o.seq = ANY (ARRAY(SELECT seq FROM c)) RETURNING o.*)
         SELECT u.*, c.due_at AS claim_due FROM u JOIN c ON c.seq = u.seq`,
};

/** One completion as amochan_finish_many takes it (see statement-batch.ts). */
interface Completion {
  id: string;
  state: 'done' | 'dead';
  error: string | null;
  now: number;
  patch_id: string | null;
  patch: unknown;
  entries: ReturnType<typeof entryRows>;
}
type FinishOutcome = 'unblocked' | 'finished' | 'already' | 'missing';

const FINISH_MANY = { name: 'outbox_finish_many', text: 'SELECT amochan_finish_many($1::jsonb) AS outcomes' };
/** More than a worker's concurrency (32 by default) ever has outstanding at once. */
const MAX_COMPLETION_BATCH = 256;

export interface PgOutbox extends OutboxRepo {
  /** Waits until every completion submitted so far has been written (or failed): before closing the pools. */
  drain(): Promise<void>;
  /**
   * The lease an intake starting now should take on its entries for this instance's worker (the
   * hand-off, migration 10), or null: no worker here has claimed lately (a CLI, a stopped worker),
   * or enough is handed off already. Reserves room for the intake's entries until adopt().
   */
  leaseForIntake(now: number, entries: number): number | null;
  /**
   * Ends an intake's reservation (leaseForIntake) with the entries it committed leased, for the
   * next claim() to hand out: none if it failed, was a repeat, or none of its entries could be leased.
   */
  adopt(entries: OutboxEntry[], reserved: number): void;
  /** Back to pending, due now, what was handed off and never claimed (closing: nobody here will deliver it). */
  releaseHeld(now: number): Promise<void>;
  /** A commit added or unblocked outbox work (here: NOTIFY the others; or another instance's NOTIFY arrived). */
  workAdded(): void;
  /** Another instance committed outbox work: the next claim asks the database. */
  othersAddedWork(): void;
}

/**
 * At most this many entries handed off and not yet claimed: beyond, intakes enqueue pending, and
 * any instance claims them. It bounds what waits in this process's memory (and so what another
 * instance must wait a lease for if this one dies) when intake outruns delivery.
 */
const MAX_HELD = 64;
/** A worker that claimed within this long is alive: intakes hand off to it. An idle worker polls every OUTBOX_POLL_MS. */
const WORKER_SEEN_MS = 10_000;
/**
 * A claim for new work only (ClaimOptions.onlyNew) asks the database anyway when it was last asked
 * this long ago, so a busy worker fed by hand-offs still finds other due work (retries, hook
 * events, other instances' entries) within this gap.
 */
const CLAIM_GAP_MS = 50;

/**
 * `pool` serves enqueues and reads; `queuePool` the queue's own statements (claim, complete, kill,
 * reschedule, the undelivered count), whose sessions commit asynchronously and never use bitmap
 * scans (pool.ts, QUEUE_SESSION; store.ts says why asynchronous commit is safe here), so a burst
 * of intake cannot starve the worker of connections, nor the worker the intake.
 */
export function createPgOutbox(pool: pg.Pool, queuePool: pg.Pool, notify: () => void): PgOutbox {
  /*
   * Whether the database may hold claimable work this worker has not looked for yet: set by every
   * commit of this process that adds or unblocks work and by other instances' NOTIFY (workAdded),
   * cleared when a claim asks the database. While it is clear, a claim for new work only made
   * within CLAIM_GAP_MS of the last one that asked the database is answered from memory (handed-off
   * entries, or nothing): the wake-ups after each delivery otherwise ask the database again and
   * again for work nobody added. Work due by the clock is claimed by the worker's timers, which
   * always ask.
   */
  let maybeWork = true;
  const workAdded = () => {
    maybeWork = true;
    notify();
  };
  const mustExist = async (db: Queryable, id: string) => {
    const [row] = await run(db, { name: 'outbox_state', text: 'SELECT state FROM outbox WHERE id = $1' }, [id]);
    if (!row) throw new StorageError('not_found', `outbox entry ${id} does not exist`);
    return row.state as OutboxState;
  };
  const completions = createStatementBatcher<Completion, FinishOutcome>({
    maxBatch: MAX_COMPLETION_BATCH,
    isUnavailable: isUnavailableError,
    async write(items) {
      const [row] = await run(queuePool, FINISH_MANY, [JSON.stringify(items)], `outbox entries enqueued on finishing ${items.map((i) => i.id).join(', ')}`);
      const outcomes = row!.outcomes as FinishOutcome[];
      // Claimable work appeared (on any instance's claim) only where a key's next entry became its
      // head (migration 11) or a completion enqueued follow-ups.
      if (outcomes.includes('unblocked') || items.some((i, k) => i.entries.length > 0 && outcomes[k] !== 'already')) workAdded();
      return outcomes;
    },
  });
  // Idempotent: finishing an entry that is already finished (a lease taken over) applies nothing.
  // The state change and its effects commit together (one statement, amochan_finish_many).
  const finish = async (id: string, state: 'done' | 'dead', error: string | null, now: number, effects?: OutboxEffects) => {
    const outcome = await completions.submit({
      id,
      state,
      error,
      now,
      patch_id: effects?.message?.id ?? null,
      patch: effects?.message?.patch ?? null,
      entries: entryRows(effects?.enqueue ?? []),
    });
    if (outcome === 'missing') throw new StorageError('not_found', `outbox entry ${id} does not exist`);
  };

  // The hand-off (migration 10): entries intakes committed leased to this instance, for its worker.
  const held: OutboxEntry[] = [];
  let reserved = 0;
  let worker: { seenAt: number; leaseMs: number } | null = null;
  let lastDbClaimAt = Number.NEGATIVE_INFINITY;

  return {
    workAdded,
    othersAddedWork() {
      maybeWork = true;
    },
    leaseForIntake(now, entries) {
      if (!worker || now - worker.seenAt > WORKER_SEEN_MS || entries === 0) return null;
      if (held.length + reserved + entries > MAX_HELD) return null;
      reserved += entries;
      return now + worker.leaseMs;
    },
    adopt(entries, count) {
      reserved -= count;
      held.push(...entries);
    },
    async releaseHeld(now) {
      for (const entry of held.splice(0)) {
        await run(queuePool, RESCHEDULE, [entry.id, now, entry.lastError, now]).catch(() => undefined);
      }
    },
    async enqueue(entries, now) {
      await enqueueIn(pool, entries, now);
      if (entries.length > 0) workAdded();
    },
    async claim(o) {
      const wanted = o.destinations ?? DESTINATIONS;
      const only = DESTINATIONS.filter((d) => wanted.includes(d));
      if (only.length === 0 || o.limit <= 0) return [];
      worker = { seenAt: o.now, leaseMs: o.leaseMs };
      const handed: OutboxEntry[] = [];
      for (let i = 0; i < held.length && handed.length < o.limit; ) {
        const entry = held[i]!;
        // A lease that ran out while held belongs to whoever claims it now (the query below, or
        // another instance): not handed out from here.
        if (entry.leaseUntil !== null && entry.leaseUntil <= o.now) held.splice(i, 1);
        else if (only.includes(entry.destination)) handed.push(...held.splice(i, 1));
        else i++;
      }
      // The database is asked only for the room left, and, when the caller wants only new work, only
      // if some may have been added since it was last asked (or that was a while ago).
      if (handed.length === o.limit || (o.onlyNew && !maybeWork && o.now - lastDbClaimAt < CLAIM_GAP_MS)) return handed;
      maybeWork = false;
      lastDbClaimAt = o.now;
      let rows: pg.QueryResultRow[];
      try {
        rows = await run(queuePool, CLAIM, [o.now, only, Math.trunc(o.limit - handed.length), o.now + o.leaseMs]);
      } catch (err) {
        // The handed-off entries stay ours for the next claim; the query is owed again.
        held.unshift(...handed);
        maybeWork = true;
        throw err;
      }
      const claimed = rows.sort((a, b) => (a.claim_due as number) - (b.claim_due as number) || (a.seq as number) - (b.seq as number)).map(toEntry);
      return [...handed, ...claimed];
    },
    complete: (id, now, effects) => finish(id, 'done', null, now, effects),
    kill: (id, error, now, effects) => finish(id, 'dead', error, now, effects),
    async reschedule(id, nextAttemptAt, error, now) {
      const rows = await run(queuePool, RESCHEDULE, [id, nextAttemptAt, error, now]);
      if (rows.length === 0) await mustExist(queuePool, id);
    },
    async retry(id, now) {
      const [r] = await run(pool, 'SELECT amochan_revive($1, $2) AS n', [id, now]);
      if ((r!.n as number) > 0) workAdded();
      return (r!.n as number) > 0;
    },
    async retryAllDead(now) {
      const [r] = await run(pool, 'SELECT amochan_revive(NULL, $1) AS n', [now]);
      if ((r!.n as number) > 0) workAdded();
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
      const [r] = await run(queuePool, { name: 'outbox_undelivered', text: "SELECT count(*) AS n FROM outbox WHERE state IN ('pending', 'leased')" });
      return r!.n as number;
    },
    purgeDone: (olderThan) =>
      deleteInBatches(
        pool,
        `DELETE FROM outbox WHERE seq IN
        (SELECT seq FROM outbox WHERE state = 'done' AND updated_at < $1 ORDER BY updated_at LIMIT 5000)`,
        [olderThan],
      ),
    drain: () => completions.drain(),
  };
}
