import { createPostgresStore, type PostgresStore } from '../../src/storage/postgres/store';
import { connection, entry, message } from '../support/fixtures';
import { startTcpProxy } from '../support/tcp-proxy';
import { createTestDatabase, describePg, truncateAll, type TestDatabase } from '../support/postgres';

/**
 * The hand-off on PostgreSQL: an instance whose worker is claiming commits the entries of the
 * messages it accepts already leased to itself, and its worker takes them from the next claim()
 * without asking the database. What must hold: the entry is exactly what a claim would have
 * returned, per-conversation order and other instances' claims see a normal lease, nothing is
 * handed off without a worker to take it, other due work is not starved, and closing hands back
 * what was never taken.
 */

jest.setTimeout(30_000);

const LEASE_MS = 60_000;

async function xminOf(store: PostgresStore, id: string): Promise<string> {
  const { rows } = await store.pool.query('SELECT xmin::text AS x FROM outbox WHERE id = $1', [id]);
  return rows[0].x as string;
}

describePg('PostgreSQL intake hand-off to the local worker', () => {
  let db: TestDatabase;
  const open: PostgresStore[] = [];
  const newStore = () => {
    const store = createPostgresStore({ connectionString: db.url, poolSize: 2 });
    open.push(store);
    return store;
  };
  const accept = (store: PostgresStore, id: string, key: string, now: number) =>
    store.acceptInboundMessage({ message: message({ id: `m-${id}`, msgid: id }), outbox: [entry(id, { orderingKey: key })], now });

  beforeAll(async () => {
    db = await createTestDatabase('handoff');
    const first = createPostgresStore({ connectionString: db.url });
    await first.ready();
    await first.close();
  });
  beforeEach(async () => {
    await truncateAll(db.url);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await db.drop();
  });

  it('commits the entry leased to this instance and hands it to the next claim as the database has it, with no statement', async () => {
    const store = newStore();
    await store.connections.save(connection());
    expect(await store.outbox.claim({ now: 1_000, limit: 8, leaseMs: LEASE_MS })).toEqual([]);

    await accept(store, 'o1', 'conv:a', 1_010);
    const stored = await store.outbox.get('o1');
    expect(stored).toMatchObject({ state: 'leased', attempts: 1, leaseUntil: 1_010 + LEASE_MS, nextAttemptAt: 1_010 });
    const before = await xminOf(store, 'o1');

    const claimed = await store.outbox.claim({ now: 1_020, limit: 8, leaseMs: LEASE_MS });
    expect(claimed).toEqual([stored]);
    // Not updated again: the claim was answered from memory.
    expect(await xminOf(store, 'o1')).toBe(before);
    // Completed like any claimed entry.
    await store.outbox.complete('o1', 1_030);
    expect((await store.outbox.get('o1'))?.state).toBe('done');
  });

  it('hands nothing off without a worker claiming here, and never an entry behind an unfinished one of its key', async () => {
    const store = newStore();
    await accept(store, 'o1', 'conv:a', 1_000);
    expect((await store.outbox.get('o1'))?.state).toBe('pending');

    // A worker appears: it claims o1 from the database.
    expect((await store.outbox.claim({ now: 1_010, limit: 8, leaseMs: LEASE_MS })).map((e) => e.id)).toEqual(['o1']);
    await accept(store, 'o2', 'conv:a', 1_020);
    await accept(store, 'o3', 'conv:b', 1_020);
    expect((await store.outbox.get('o2'))?.state).toBe('pending');
    expect((await store.outbox.get('o3'))?.state).toBe('leased');
    expect((await store.outbox.claim({ now: 1_030, limit: 8, leaseMs: LEASE_MS })).map((e) => e.id)).toEqual(['o3']);

    // o2 becomes claimable only once o1 is finished, as ever.
    await store.outbox.complete('o1', 1_040);
    expect((await store.outbox.claim({ now: 1_100, limit: 8, leaseMs: LEASE_MS })).map((e) => e.id)).toEqual(['o2']);

    // A worker not seen for long: intakes stop handing off.
    await accept(store, 'o4', 'conv:c', 60_000);
    expect((await store.outbox.get('o4'))?.state).toBe('pending');
  });

  it('asks the database for new work only when some may have been added, or a short while after it last asked', async () => {
    const store = newStore();
    expect(await store.outbox.claim({ now: 1_000, limit: 8, leaseMs: LEASE_MS })).toEqual([]);
    for (const id of ['h1', 'h2', 'h3']) await accept(store, id, `conv:${id}`, 1_005);
    // Due by the clock at 1_005, added behind this store's back (another instance would NOTIFY).
    await store.pool.query(
      "INSERT INTO outbox (id, destination, kind, ordering_key, payload, state, next_attempt_at, created_at, updated_at, is_head) VALUES ('other', 'provider', 'k', 'conv:other', '{}', 'pending', 1005, 1005, 1005, true)",
    );

    // A refill for new work right after a claim: the handed-off entries, no statement...
    expect((await store.outbox.claim({ now: 1_010, limit: 8, leaseMs: LEASE_MS, onlyNew: true })).map((e) => e.id)).toEqual(['h1', 'h2', 'h3']);
    expect(await store.outbox.claim({ now: 1_020, limit: 8, leaseMs: LEASE_MS, onlyNew: true })).toEqual([]);
    // ...but a claim for everything due, or one after the gap, asks the database.
    expect((await store.outbox.claim({ now: 1_030, limit: 8, leaseMs: LEASE_MS })).map((e) => e.id)).toEqual(['other']);
    await store.pool.query("UPDATE outbox SET state = 'pending', lease_until = NULL WHERE id = 'other'");
    expect(await store.outbox.claim({ now: 1_040, limit: 8, leaseMs: LEASE_MS, onlyNew: true })).toEqual([]);
    expect((await store.outbox.claim({ now: 1_100, limit: 8, leaseMs: LEASE_MS, onlyNew: true })).map((e) => e.id)).toEqual(['other']);

    // Work this store commits, or another instance announces, is looked for at once.
    await store.outbox.enqueue([entry('mine', { orderingKey: 'conv:mine' })], 1_105);
    expect((await store.outbox.claim({ now: 1_110, limit: 8, leaseMs: LEASE_MS, onlyNew: true })).map((e) => e.id)).toEqual(['mine']);

    // A destination the worker does not ask for is not handed to it.
    await accept(store, 'h4', 'conv:h4', 1_200);
    expect(await store.outbox.claim({ now: 1_210, limit: 8, leaseMs: LEASE_MS, destinations: ['provider'] })).toEqual([]);
    expect((await store.outbox.claim({ now: 1_220, limit: 8, leaseMs: LEASE_MS, onlyNew: true })).map((e) => e.id)).toEqual(['h4']);
  });

  it('wakes nobody for a completion that leaves its key empty, and everyone for one that unblocks the next entry', async () => {
    const store = newStore();
    await store.outbox.enqueue([entry('a1', { orderingKey: 'conv:a' }), entry('a2', { orderingKey: 'conv:a' }), entry('b1', { orderingKey: 'conv:b' })], 1_000);
    expect((await store.outbox.claim({ now: 1_010, limit: 8, leaseMs: LEASE_MS })).map((e) => e.id).sort()).toEqual(['a1', 'b1']);
    await store.outbox.complete('b1', 1_020);
    // Nothing behind b1: a refill for new work need not ask.
    expect(await store.outbox.claim({ now: 1_030, limit: 8, leaseMs: LEASE_MS, onlyNew: true })).toEqual([]);
    await store.outbox.complete('a1', 1_040);
    expect((await store.outbox.claim({ now: 1_045, limit: 8, leaseMs: LEASE_MS, onlyNew: true })).map((e) => e.id)).toEqual(['a2']);
  });

  it('holds a bounded number in memory: beyond it, intakes enqueue pending for any instance', async () => {
    const store = newStore();
    expect(await store.outbox.claim({ now: 1_000, limit: 8, leaseMs: LEASE_MS })).toEqual([]);
    await Promise.all(Array.from({ length: 80 }, (_, i) => accept(store, `e${i}`, `conv:${i}`, 1_001)));
    const counts = Object.fromEntries((await store.outbox.countByState()).map((c) => [c.state, c.count]));
    expect(counts).toEqual({ leased: 64, pending: 16 });
  });

  it('does not hand out an entry whose lease ran out while held: the database claim takes it as any expired lease', async () => {
    const store = newStore();
    expect(await store.outbox.claim({ now: 1_000, limit: 8, leaseMs: 100 })).toEqual([]);
    await accept(store, 'o1', 'conv:a', 1_000);
    expect((await store.outbox.get('o1'))?.leaseUntil).toBe(1_100);
    const taken = await store.outbox.claim({ now: 1_200, limit: 8, leaseMs: 100, onlyNew: true });
    expect(taken.map((e) => [e.id, e.attempts, e.leaseUntil])).toEqual([['o1', 2, 1_300]]);
  });

  it('keeps the handed-off entries when the database claim beside them fails, for the next claim', async () => {
    const proxy = await startTcpProxy(Number(new URL(db.url).port || 5432), new URL(db.url).hostname);
    const url = new URL(db.url);
    url.host = `127.0.0.1:${proxy.port}`;
    const behind = createPostgresStore({ connectionString: url.toString(), poolSize: 2, connectTimeoutMs: 1000 });
    open.push(behind);
    try {
      const now = Date.now();
      expect(await behind.outbox.claim({ now, limit: 8, leaseMs: LEASE_MS })).toEqual([]);
      await accept(behind, 'o1', 'conv:a', now);
      await proxy.cut();
      // A claim for everything due asks the database, which is away: it fails, o1 stays held.
      await expect(behind.outbox.claim({ now: now + 10, limit: 8, leaseMs: LEASE_MS })).rejects.toMatchObject({ code: 'storage_unavailable' });
      await proxy.restore();
      expect((await behind.outbox.claim({ now: now + 20, limit: 8, leaseMs: LEASE_MS })).map((e) => e.id)).toEqual(['o1']);
    } finally {
      await proxy.close();
    }
  });

  it('another instance sees a normal lease, and takes the entry over once it expires', async () => {
    const a = newStore();
    const b = newStore();
    expect(await a.outbox.claim({ now: 1_000, limit: 8, leaseMs: LEASE_MS })).toEqual([]);
    await accept(a, 'o1', 'conv:a', 1_000);
    expect(await b.outbox.claim({ now: 1_010, limit: 8, leaseMs: LEASE_MS })).toEqual([]);
    const taken = await b.outbox.claim({ now: 1_000 + LEASE_MS + 10, limit: 8, leaseMs: LEASE_MS });
    expect(taken.map((e) => [e.id, e.attempts])).toEqual([['o1', 2]]);
  });

  it('closing hands back, pending and due, what was handed off and never claimed', async () => {
    const a = newStore();
    const b = newStore();
    const now = Date.now();
    expect(await a.outbox.claim({ now, limit: 8, leaseMs: LEASE_MS })).toEqual([]);
    await accept(a, 'o1', 'conv:a', now);
    expect((await b.outbox.get('o1'))?.state).toBe('leased');

    await a.close();
    open.splice(open.indexOf(a), 1);
    expect(await b.outbox.get('o1')).toMatchObject({ state: 'pending', leaseUntil: null });
    expect((await b.outbox.claim({ now: Date.now() + 10, limit: 8, leaseMs: LEASE_MS })).map((e) => e.id)).toEqual(['o1']);
  });
});
