import { migrateDatabase, openStore } from '../../src/storage/open-store';
import pg from 'pg';
import { latestPgSchemaVersion, pgMigrations, runPgMigrations } from '../../src/storage/postgres/migrations';
import { conversationJson, messageJson } from '../../src/storage/postgres/rows';
import { createPostgresStore } from '../../src/storage/postgres/store';
import { describeAmocrmStoreContract } from './contract-amocrm';
import { describeStoreContract } from './contract';
import { connection, conversation, entry, message } from '../support/fixtures';
import { createTestDatabase, describePg, truncateAll, type TestDatabase } from '../support/postgres';

let db: TestDatabase;
describePg('PostgreSQL store', () => {
  beforeAll(async () => {
    db = await createTestDatabase('contract');
    const first = createPostgresStore({ connectionString: db.url });
    await first.ready();
    await first.close();
  });
  afterAll(async () => {
    await db.drop();
  });

  describeStoreContract('postgres', async () => {
    await truncateAll(db.url);
    return createPostgresStore({ connectionString: db.url, poolSize: 4 });
  });

  describeAmocrmStoreContract('postgres', async () => {
    await truncateAll(db.url);
    return createPostgresStore({ connectionString: db.url, poolSize: 4 });
  });

  // Re-planned on every call, the one statement cost PostgreSQL more CPU than the lookups it replaced.
  it('plans the intake context once per connection, whichever optional lookups the calls ask for', async () => {
    await truncateAll(db.url);
    const store = createPostgresStore({ connectionString: db.url, poolSize: 1 });
    try {
      await store.connections.save(connection());
      const asks = [{}, { conversationRefId: 'chat-1' }, { phone: '7900' }, { replyToMsgid: 'k1' }, { replyToAmojoMsgId: 'am-1' }, { customerRefId: 'user-1' }];
      for (let i = 0; i < 20; i++) {
        expect((await store.readIntakeContext({ login: 'shop', conversationId: `conv-${i}`, ...asks[i % asks.length] })).connection?.login).toBe('shop');
      }
      const [plans] = (await store.pool.query("SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = 'intake_context'")).rows;
      expect(Number(plans.custom_plans)).toBeLessThanOrEqual(5);
      expect(Number(plans.generic_plans)).toBeGreaterThanOrEqual(15);
    } finally {
      await store.close();
    }
  });

  // Under load each intake was its own statement and commit (a WAL flush each); now concurrent ones
  // share them. The contract suite proves each is still answered as if alone.
  it('commits concurrent intakes in one transaction and answers concurrent reads with one statement', async () => {
    await truncateAll(db.url);
    const store = createPostgresStore({ connectionString: db.url, poolSize: 1 });
    try {
      await store.connections.save(connection());
      const ids = Array.from({ length: 12 }, (_, i) => `m${i}`);
      const accepted = await Promise.all(
        ids.map((id, i) =>
          store.acceptInboundMessage({
            message: message({ id, msgid: `k${i}`, conversationId: `conv-${i % 3}` }),
            outbox: [entry(`o${i}`, { orderingKey: `conv:shop:conv-${i % 3}` })],
            now: 1,
          }),
        ),
      );
      expect(accepted.every((r) => r.created)).toBe(true);
      const { rows } = await store.pool.query('SELECT count(DISTINCT xmin::text) AS n FROM messages WHERE id = ANY($1)', [ids]);
      expect(Number(rows[0].n)).toBe(1);

      const reads = await Promise.all(ids.map((_, i) => store.readIntakeContext({ login: i % 4 === 0 ? 'nobody' : 'shop', conversationId: `conv-${i}` })));
      expect(reads.map((r) => r.connection?.login ?? null)).toEqual(ids.map((_, i) => (i % 4 === 0 ? null : 'shop')));
      const prepared = await store.pool.query("SELECT name FROM pg_prepared_statements WHERE name LIKE 'intake_context%' ORDER BY name");
      expect(prepared.rows.map((r) => r.name)).toContain('intake_context_many');
    } finally {
      await store.close();
    }
  });

  it('an upgrade keeps the sender-ref column and index an operator built beforehand without blocking writes', async () => {
    const fresh = await createTestDatabase('prebuilt');
    try {
      const pool = new pg.Pool({ connectionString: fresh.url, max: 1 });
      try {
        await runPgMigrations(
          pool,
          pgMigrations.filter((m) => m.version < 9),
        );
        // What docs/operations.md tells an operator with a large messages table to run first.
        await pool.query('ALTER TABLE messages ADD COLUMN IF NOT EXISTS sender_ref_id TEXT');
        await pool.query('CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_scope_sender ON messages (scope_id, sender_ref_id) WHERE sender_ref_id IS NOT NULL');
        expect((await runPgMigrations(pool)).applied).toEqual(pgMigrations.filter((m) => m.version >= 9).map((m) => m.version));
        const { rows } = await pool.query("SELECT indexname FROM pg_indexes WHERE tablename = 'messages' AND indexname = 'messages_scope_sender'");
        expect(rows).toHaveLength(1);
      } finally {
        await pool.end();
      }
    } finally {
      await fresh.drop();
    }
  });

  it('an upgrade keeps existing conversations (channel not known yet) and messages (sender not known); the intake functions then store both', async () => {
    const fresh = await createTestDatabase('upgrade');
    try {
      const pool = new pg.Pool({ connectionString: fresh.url, max: 1 });
      try {
        await runPgMigrations(
          pool,
          pgMigrations.filter((m) => m.version < 8),
        );
        // What the intake of the previous release wrote: no channel anywhere.
        const { channel_id: _none, ...before } = conversationJson(conversation({ id: 'c1', conversationId: 'conv-1' }));
        await pool.query('SELECT amochan_accept_inbound($1, $2, $3, $4)', [JSON.stringify(messageJson(message({ id: 'm1', msgid: 'k1' }))), before, '[]', 1]);
      } finally {
        await pool.end();
      }
      const store = createPostgresStore({ connectionString: fresh.url, poolSize: 1 });
      try {
        await store.ready();
        expect(await store.conversations.get('c1')).toEqual(conversation({ id: 'c1', conversationId: 'conv-1', channelId: null }));
        const learned = conversation({ id: 'c1', conversationId: 'conv-1', channelId: 'wa', updatedAt: 2 });
        await store.acceptInboundMessage({ message: message({ id: 'm2', msgid: 'k2' }), conversation: learned, outbox: [], now: 2 });
        expect(await store.conversations.get('c1')).toEqual(learned);
        expect(await store.messages.get('m1')).toEqual(message({ id: 'm1', msgid: 'k1', senderRefId: null }));
        const receipt = { key: 'msg:am-3', scopeId: 'scope-1', kind: 'message' as const, raw: '{}', receivedAt: 3 };
        const hooked = message({ id: 'o3', direction: 'outbound', msgid: null, amojoMsgId: 'am-3', senderRefId: 'manager-1' });
        await store.acceptWebhook({ receipt, message: hooked, outbox: [], now: 3 });
        expect(await store.messages.get('o3')).toEqual(hooked);
        expect(await store.messages.hasSenderRef('scope-1', 'manager-1')).toBe(true);
      } finally {
        await store.close();
      }
    } finally {
      await fresh.drop();
    }
  }, 30_000);

  describe('opened by DATABASE_URL', () => {
    it('migrateDatabase applies the PostgreSQL migrations once; openStore serves postgresql:// URLs with shared state', async () => {
      const fresh = await createTestDatabase('open');
      try {
        expect(await migrateDatabase(fresh.url)).toEqual({ applied: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], current: latestPgSchemaVersion() });
        expect(await migrateDatabase(fresh.url)).toEqual({ applied: [], current: latestPgSchemaVersion() });
        const store = openStore(fresh.url.replace(/^postgres:/, 'postgresql:'), { poolSize: 2, statementTimeoutMs: 1000 });
        try {
          await store.accounts.upsert({ login: 'a', passwordHash: 'h', createdAt: 1 });
          expect(await store.accounts.list()).toHaveLength(1);
          expect(await store.shared.replay.firstSeen('p', 'k', 10, 0)).toBe(true);
          expect(typeof store.onOutboxWork).toBe('function');
          // The statement timeout is the pool's: a slow statement fails as unavailable, not forever.
          await expect((store as unknown as { pool: import('pg').Pool }).pool.query('SELECT pg_sleep(3)')).rejects.toMatchObject({ code: '57014' });
        } finally {
          await store.close();
        }
      } finally {
        await fresh.drop();
      }
      // Creating a database and running every migration takes seconds on a loaded machine.
    }, 30_000);
  });
});
