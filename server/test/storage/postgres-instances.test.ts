import { runPgMigrations, latestPgSchemaVersion, pgMigrations } from '../../src/storage/postgres/migrations';
import { createPgPool } from '../../src/storage/postgres/pool';
import { createPostgresStore, type PostgresStore } from '../../src/storage/postgres/store';
import type { NewOutboxEntry } from '../../src/storage/types';
import { createTestDatabase, describePg, type TestDatabase } from '../support/postgres';
import { startTcpProxy } from '../support/tcp-proxy';
import { sleep } from '../support/wait';

// Creating databases and opening pools is slow on a loaded machine; the assertions are not about time.
jest.setTimeout(30_000);

const item = (id: string, orderingKey: string): NewOutboxEntry => ({ id, destination: 'amojo', kind: 'k', orderingKey, payload: { id }, messageId: null });

describePg('PostgreSQL with several instances', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('instances');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('instances starting together migrate once, in one transaction', async () => {
    const fresh = await createTestDatabase('migrate');
    const pools = Array.from({ length: 4 }, () => createPgPool({ connectionString: fresh.url, poolSize: 1 }));
    try {
      const results = await Promise.all(pools.map((p) => runPgMigrations(p)));
      const all = pgMigrations.map((m) => m.version);
      expect(results.map((r) => r.applied).sort((x, y) => y.length - x.length)).toEqual([all, [], [], []]);
      expect(results.every((r) => r.current === latestPgSchemaVersion())).toBe(true);
      const broken = [...pgMigrations, { version: 99, name: 'broken', sql: 'CREATE TABLE ok (x int); THIS IS NOT SQL' }];
      await expect(runPgMigrations(pools[0]!, broken)).rejects.toThrow();
      const { rows } = await pools[0]!.query("SELECT to_regclass('ok') AS t, (SELECT max(version) FROM schema_migrations) AS v");
      expect(rows[0]).toEqual({ t: null, v: latestPgSchemaVersion() });
    } finally {
      await Promise.all(pools.map((p) => p.end()));
      await fresh.drop();
    }
  }, 60_000);

  it('N workers on N instances share one queue: each entry delivered once, a conversation on one instance at a time, in order', async () => {
    const stores = Array.from({ length: 3 }, () => createPostgresStore({ connectionString: db.url, poolSize: 4 }));
    try {
      await stores[0]!.ready();
      const keys = Array.from({ length: 12 }, (_, k) => `conv:${k}`);
      // Producers on two instances enqueue into the same conversations concurrently with the workers.
      const produce = async (s: PostgresStore, tag: string) => {
        for (let i = 0; i < 10; i++) {
          await Promise.all(keys.map((k) => s.outbox.enqueue([item(`${tag}-${k}-${i}`, k)], Date.now())));
        }
      };
      const inFlight = new Map<string, string>();
      const delivered = new Map<string, string[]>();
      const violations: string[] = [];
      let stop = false;
      const work = async (s: PostgresStore) => {
        while (!stop) {
          const batch = await s.outbox.claim({ now: Date.now(), limit: 5, leaseMs: 60_000 });
          if (batch.length === 0) {
            await sleep(5);
            continue;
          }
          await Promise.all(
            batch.map(async (e) => {
              if (inFlight.has(e.orderingKey)) violations.push(`${e.id} while ${inFlight.get(e.orderingKey)}`);
              inFlight.set(e.orderingKey, e.id);
              await sleep(1);
              inFlight.delete(e.orderingKey);
              delivered.set(e.orderingKey, [...(delivered.get(e.orderingKey) ?? []), e.id]);
              await s.outbox.complete(e.id, Date.now());
            }),
          );
        }
      };
      const workers = stores.flatMap((s) => [work(s), work(s)]);
      await Promise.all([produce(stores[0]!, 'a'), produce(stores[1]!, 'b')]);
      while ((await stores[2]!.outbox.countUndelivered()) > 0) await sleep(20);
      stop = true;
      await Promise.all(workers);

      expect(violations).toEqual([]);
      const all = [...delivered.values()].flat();
      expect(all).toHaveLength(2 * 10 * keys.length);
      expect(new Set(all).size).toBe(all.length);
      for (const k of keys) {
        const seqOrder = (await stores[0]!.pool.query('SELECT id FROM outbox WHERE ordering_key = $1 ORDER BY seq', [k])).rows.map((r) => r.id);
        expect(delivered.get(k)).toEqual(seqOrder);
        // Each producer's own entries keep their order.
        for (const tag of ['a', 'b'])
          expect(seqOrder.filter((id: string) => id.startsWith(tag))).toEqual(Array.from({ length: 10 }, (_, i) => `${tag}-${k}-${i}`));
      }
      const attempts = (await stores[0]!.pool.query('SELECT max(attempts) AS m FROM outbox')).rows[0].m;
      expect(attempts).toBe(1);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  }, 60_000);

  it("completions that enqueue into each other's conversations never deadlock", async () => {
    const a = createPostgresStore({ connectionString: db.url, poolSize: 6 });
    const b = createPostgresStore({ connectionString: db.url, poolSize: 6 });
    try {
      await a.ready();
      const rounds = 30;
      await a.outbox.enqueue(Array.from({ length: rounds }, (_, i) => [item(`x${i}`, 'conv:X'), item(`y${i}`, 'conv:Y')]).flat(), 1);
      // Each completion of X enqueues into Y and vice versa, on two instances at once.
      const run = async (s: PostgresStore, self: string, other: string) => {
        for (let i = 0; i < rounds; i++) {
          await s.outbox.complete(`${self}${i}`, 2, { enqueue: [item(`${self}->${other}${i}`, `conv:${other.toUpperCase()}`)] });
        }
      };
      await Promise.all([run(a, 'x', 'y'), run(b, 'y', 'x')]);
      expect(await a.outbox.countUndelivered()).toBe(2 * rounds);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 30_000);

  it('work committed on one instance wakes a listener on another (LISTEN/NOTIFY)', async () => {
    const a = createPostgresStore({ connectionString: db.url, poolSize: 2 });
    const b = createPostgresStore({ connectionString: db.url, poolSize: 2 });
    try {
      await a.ready();
      let woken = 0;
      const off = b.onOutboxWork(() => (woken += 1));
      await sleep(300); // the LISTEN connection is up
      await a.outbox.enqueue([item('wake-1', 'conv:wake')], Date.now());
      for (let i = 0; i < 100 && woken === 0; i++) await sleep(10);
      expect(woken).toBeGreaterThan(0);
      off();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('when the database goes away calls fail as storage_unavailable, ping says not ready, and it all resumes by itself', async () => {
    const proxy = await startTcpProxy(Number(new URL(db.url).port || 5432), new URL(db.url).hostname);
    const url = new URL(db.url);
    url.host = `127.0.0.1:${proxy.port}`;
    const store = createPostgresStore({ connectionString: url.toString(), poolSize: 3, connectTimeoutMs: 1000 });
    const errors: Error[] = [];
    const unhandled = (err: unknown) => errors.push(err as Error);
    process.on('unhandledRejection', unhandled);
    try {
      await store.ping();
      let woken = 0;
      store.onOutboxWork(() => (woken += 1));
      await store.outbox.enqueue([item('before', 'conv:outage')], 1);
      await proxy.cut();
      await expect(store.ping()).rejects.toMatchObject({ code: 'storage_unavailable' });
      await expect(store.outbox.enqueue([item('during', 'conv:outage')], 2)).rejects.toMatchObject({ code: 'storage_unavailable' });
      await expect(
        store.acceptInboundMessage({
          message: {
            id: 'm',
            direction: 'inbound',
            login: 'l',
            scopeId: 's',
            conversationId: null,
            amojoChatId: null,
            msgid: 'x',
            amojoMsgId: null,
            senderRefId: null,
            status: 'queued',
            lastError: null,
            payload: {},
            createdAt: 1,
            updatedAt: 1,
          },
          outbox: [],
          now: 1,
        }),
      ).rejects.toMatchObject({ code: 'storage_unavailable' });
      await proxy.restore();
      await store.ping();
      await store.outbox.enqueue([item('after', 'conv:outage')], 3);
      expect(await store.outbox.get('before')).not.toBeNull();
      expect(await store.outbox.get('after')).not.toBeNull();
      expect(await store.outbox.get('during')).toBeNull();
      // The listener reconnected and woke its subscriber once for what it may have missed.
      for (let i = 0; i < 300 && woken === 0; i++) await sleep(20);
      expect(woken).toBeGreaterThan(0);
      expect(errors).toEqual([]);
    } finally {
      process.off('unhandledRejection', unhandled);
      await store.close();
      await proxy.close();
    }
  }, 30_000);

  it('a database at a newer schema version is refused with a clear message', async () => {
    const fresh = await createTestDatabase('newer');
    const pool = createPgPool({ connectionString: fresh.url, poolSize: 1 });
    try {
      await runPgMigrations(pool);
      await pool.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)");
      await expect(runPgMigrations(pool)).rejects.toThrow(/schema version 999/);
    } finally {
      await pool.end();
      await fresh.drop();
    }
  });
});
