import fc from 'fast-check';
import { createMemoryStore } from '../../src/storage/memory/store';
import { createPostgresStore } from '../../src/storage/postgres/store';
import { createSqliteStore } from '../../src/storage/sqlite/store';
import type { OutboxDestination, Store } from '../../src/storage/types';
import { createTestDatabase, describePg, type TestDatabase } from '../support/postgres';

/**
 * Model check: random sequences of outbox operations give identical answers from the memory store
 * and the SQLite store (whose claim goes through trigger-maintained heads). Catches drift between
 * the two implementations that hand-picked contract cases could miss.
 */
type Op =
  | { t: 'enqueue'; key: number; dest: OutboxDestination; delay: number; count: number }
  | { t: 'claim'; advance: number; limit: number; leaseMs: number; only: 'all' | OutboxDestination }
  | { t: 'complete' | 'kill' | 'retry'; pick: number }
  | { t: 'reschedule'; pick: number; delay: number }
  | { t: 'retryAllDead' }
  | { t: 'purgeDone'; advance: number };

// Small time steps make edge cases (now exactly at a lease's end or a retry time) common.
const destination = fc.constantFrom<OutboxDestination>('amojo', 'provider');
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant('enqueue' as const), key: fc.nat(3), dest: destination, delay: fc.nat(8), count: fc.integer({ min: 1, max: 3 }) }),
  fc.record({
    t: fc.constant('claim' as const),
    advance: fc.nat(6),
    limit: fc.integer({ min: 1, max: 5 }),
    leaseMs: fc.integer({ min: 1, max: 8 }),
    only: fc.constantFrom<'all' | OutboxDestination>('all', 'amojo', 'provider'),
  }),
  fc.record({ t: fc.constantFrom('complete' as const, 'kill' as const, 'retry' as const), pick: fc.nat(50) }),
  fc.record({ t: fc.constant('reschedule' as const), pick: fc.nat(50), delay: fc.nat(8) }),
  fc.record({ t: fc.constant('retryAllDead' as const) }),
  fc.record({ t: fc.constant('purgeDone' as const), advance: fc.nat(30) }),
);

async function play(store: Store, ops: Op[]): Promise<unknown[]> {
  const out: unknown[] = [];
  const ids: string[] = [];
  let now = 1000;
  const settle = async (p: Promise<unknown>) =>
    p.then(
      (v) => v,
      (e: { code?: string }) => ({ error: e.code ?? 'unknown' }),
    );
  const pick = (n: number) => ids[n % Math.max(1, ids.length)] ?? 'none';
  for (const o of ops) {
    switch (o.t) {
      case 'enqueue': {
        const batch = Array.from({ length: o.count }, () => {
          const id = `o${ids.length}`;
          ids.push(id);
          return { id, destination: o.dest, kind: 'k', orderingKey: `key${o.key}`, payload: { id }, messageId: null, nextAttemptAt: now + o.delay };
        });
        out.push(await settle(store.outbox.enqueue(batch, now)));
        break;
      }
      case 'claim':
        now += o.advance;
        out.push(await store.outbox.claim({ now, limit: o.limit, leaseMs: o.leaseMs, destinations: o.only === 'all' ? undefined : [o.only] }));
        break;
      case 'complete':
        out.push(await settle(store.outbox.complete(pick(o.pick), now, { enqueue: [] })));
        break;
      case 'kill':
        out.push(await settle(store.outbox.kill(pick(o.pick), 'boom', now)));
        break;
      case 'retry':
        out.push(await store.outbox.retry(pick(o.pick), now));
        break;
      case 'reschedule':
        out.push(await settle(store.outbox.reschedule(pick(o.pick), now + o.delay, 'later', now)));
        break;
      case 'retryAllDead':
        out.push(await store.outbox.retryAllDead(now));
        break;
      case 'purgeDone':
        now += o.advance;
        out.push(await store.outbox.purgeDone(now - 10));
        break;
    }
  }
  out.push(await store.outbox.list({ limit: 10_000 }), await store.outbox.countByState(), await store.outbox.countUndelivered());
  return out;
}

it('memory and SQLite outboxes agree on every random operation sequence', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 60 }), async (ops) => {
      const memory = createMemoryStore();
      const sqlite = createSqliteStore({ filename: ':memory:' });
      try {
        expect(await play(sqlite, ops)).toEqual(await play(memory, ops));
        // The trigger-maintained tables equal a from-scratch recomputation.
        const q = (sql: string) => sqlite.db.prepare(sql).all();
        expect(q('SELECT ordering_key, seq, destination, due_at FROM outbox_heads ORDER BY ordering_key')).toEqual(
          q(`SELECT o.ordering_key, o.seq, o.destination,
                    CASE o.state WHEN 'pending' THEN o.next_attempt_at ELSE o.lease_until + 1 END AS due_at
             FROM outbox o
             WHERE o.seq = (SELECT MIN(seq) FROM outbox p WHERE p.ordering_key = o.ordering_key AND p.state IN ('pending', 'leased'))
             ORDER BY o.ordering_key`),
        );
        expect(q('SELECT destination, state, count FROM outbox_counts WHERE count <> 0 ORDER BY 1, 2')).toEqual(
          q('SELECT destination, state, COUNT(*) AS count FROM outbox GROUP BY 1, 2 ORDER BY 1, 2'),
        );
      } finally {
        await memory.close();
        await sqlite.close();
      }
    }),
    { numRuns: Number(process.env.STORAGE_MODEL_RUNS ?? 150) },
  );
});

/**
 * seq values may differ on PostgreSQL: a sequence never hands a number out twice, so an insert that
 * failed (a conflicting id) leaves a gap. Order is still compared: claims and lists keep theirs.
 */
const withoutSeq = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(withoutSeq)
    : value !== null && typeof value === 'object'
      ? Object.fromEntries(
          Object.entries(value)
            .filter(([k]) => k !== 'seq')
            .map(([k, v]) => [k, withoutSeq(v)]),
        )
      : value;

describePg('on PostgreSQL', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('equivalence');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('memory and PostgreSQL outboxes agree on every random operation sequence', async () => {
    const pgStore = createPostgresStore({ connectionString: db.url, poolSize: 2 });
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 60 }), async (ops) => {
          await pgStore.ready();
          await pgStore.pool.query('DELETE FROM outbox; DELETE FROM messages');
          const memory = createMemoryStore();
          try {
            expect(withoutSeq(await play(pgStore, ops))).toEqual(withoutSeq(await play(memory, ops)));
            // The maintained head flags equal a from-scratch recomputation.
            const heads = await pgStore.pool.query(`SELECT
              (SELECT array_agg(seq ORDER BY seq) FROM outbox WHERE is_head) AS flagged,
              (SELECT array_agg(m ORDER BY m) FROM (SELECT min(seq) AS m FROM outbox WHERE state IN ('pending', 'leased') GROUP BY ordering_key) AS x) AS computed`);
            expect(heads.rows[0].flagged).toEqual(heads.rows[0].computed);
          } finally {
            await memory.close();
          }
        }),
        { numRuns: Number(process.env.STORAGE_MODEL_RUNS ?? 100) },
      );
    } finally {
      await pgStore.close();
    }
  }, 120_000);
});
