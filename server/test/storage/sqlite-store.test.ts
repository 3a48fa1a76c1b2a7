import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteDatabase } from '../../src/storage/sqlite/database';
import { latestSchemaVersion, migrations, runMigrations } from '../../src/storage/sqlite/migrations';
import { createSqliteStore } from '../../src/storage/sqlite/store';
import { describeStoreContract } from './contract';
import { entry, message } from '../support/fixtures';

let dir: string;
let n = 0;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'amochan-storage-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
const freshFile = () => path.join(dir, `db-${++n}.sqlite`);

describeStoreContract('sqlite (temp file)', async () => createSqliteStore({ filename: freshFile() }));

describe('SQLite store specifics', () => {
  it('keeps data across close and reopen', async () => {
    const file = freshFile();
    const first = createSqliteStore({ filename: file });
    await first.accounts.upsert({ login: 'shop', passwordHash: 'h', createdAt: 1 });
    await first.acceptInboundMessage({ message: message({ id: 'm1', msgid: 'k1' }), outbox: [entry('o1')], now: 1 });
    await first.outbox.claim({ now: 1, limit: 10, leaseMs: 100 });
    await first.close();
    await first.close(); // idempotent

    const second = createSqliteStore({ filename: file });
    expect(await second.accounts.get('shop')).not.toBeNull();
    expect(await second.messages.getByMsgid('shop', 'k1')).toMatchObject({ id: 'm1', payload: { text: 'hello' } });
    expect(await second.messages.count()).toBe(1);
    expect(await second.outbox.countUndelivered()).toBe(1);
    // The crashed process's lease expires and the entry is claimed again.
    expect((await second.outbox.claim({ now: 102, limit: 10, leaseMs: 100 })).map((e) => [e.id, e.attempts])).toEqual([['o1', 2]]);
    await second.close();
  });

  it('opens with WAL, synchronous=NORMAL, foreign keys and a busy timeout', async () => {
    const store = createSqliteStore({ filename: freshFile() });
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(1);
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.db.pragma('busy_timeout', { simple: true })).toBe(5000);
    await store.close();
  });

  it('migrations are idempotent and recorded', () => {
    const db = openSqliteDatabase(freshFile());
    expect(runMigrations(db)).toEqual({ applied: [1, 2, 3, 6, 8, 9], current: latestSchemaVersion() });
    expect(runMigrations(db)).toEqual({ applied: [], current: latestSchemaVersion() });
    const rows = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
    expect(rows).toEqual([
      { version: 1, name: 'initial schema' },
      { version: 2, name: 'webhook receipts by time' },
      { version: 3, name: 'amocrm installations, channels and sources' },
      { version: 6, name: 'amocrm outbox destination and source error state' },
      { version: 8, name: 'conversation channel' },
      { version: 9, name: 'message sender ref' },
    ]);
    db.close();
  });

  it('an upgraded database keeps its conversations, which have not learned their channel yet', async () => {
    const file = freshFile();
    const old = openSqliteDatabase(file);
    runMigrations(
      old,
      migrations.filter((m) => m.version < 8),
    );
    old
      .prepare(
        `INSERT INTO conversations (id, login, scope_id, conversation_id, state, ref_bound, created_at, updated_at, last_activity_at)
         VALUES ('c1', 'shop', 'scope-1', 'conv-1', 'active', 0, 1, 1, 1)`,
      )
      .run();
    old.close();
    const store = createSqliteStore({ filename: file });
    expect(await store.conversations.get('c1')).toMatchObject({ conversationId: 'conv-1', channelId: null });
    await store.conversations.save({ ...(await store.conversations.get('c1'))!, channelId: 'wa' });
    expect((await store.conversations.get('c1'))?.channelId).toBe('wa');
    await store.close();
  });

  it('an upgraded database keeps its messages, whose sender is not known, and stores the sender of hooks after it', async () => {
    const file = freshFile();
    const old = openSqliteDatabase(file);
    runMigrations(
      old,
      migrations.filter((m) => m.version < 9),
    );
    old
      .prepare(
        `INSERT INTO messages (id, direction, login, scope_id, amojo_msg_id, status, payload, created_at, updated_at)
         VALUES ('o1', 'outbound', 'shop', 'scope-1', 'am-1', 'queued', '{"message":{"sender":{"id":"manager-1"}}}', 1, 1)`,
      )
      .run();
    old.close();
    const store = createSqliteStore({ filename: file });
    expect(await store.messages.get('o1')).toMatchObject({ direction: 'outbound', senderRefId: null });
    // No backfill from the stored hook: the migration would take as long as the table is large.
    expect(await store.messages.hasSenderRef('scope-1', 'manager-1')).toBe(false);
    const receipt = { key: 'msg:am-2', scopeId: 'scope-1', kind: 'message' as const, raw: '{}', receivedAt: 2 };
    const hooked = message({ id: 'o2', direction: 'outbound', msgid: null, amojoMsgId: 'am-2', senderRefId: 'manager-1' });
    await store.acceptWebhook({ receipt, message: hooked, outbox: [], now: 2 });
    expect(await store.messages.hasSenderRef('scope-1', 'manager-1')).toBe(true);
    // The lookup (the repository's statement, parameters bound) is the partial index's, not a scan of every message.
    const plan = store.db
      .prepare('EXPLAIN QUERY PLAN SELECT 1 AS found FROM messages WHERE scope_id = ? AND sender_ref_id = ? LIMIT 1')
      .all('scope-1', 'manager-1') as Array<{ detail: string }>;
    expect(plan.map((p) => p.detail).join('\n')).toContain('messages_scope_sender');
    await store.close();
  });

  it('applies only new migrations, in order, each with its row', () => {
    const db = openSqliteDatabase(':memory:');
    runMigrations(db);
    const next = latestSchemaVersion() + 1;
    const extra = [
      { version: next + 1, name: 'two', sql: 'CREATE TABLE t2 (x)' },
      { version: next, name: 'one', sql: 'CREATE TABLE t1 (x)' },
    ];
    expect(runMigrations(db, [...extraBase(), ...extra])).toEqual({ applied: [next, next + 1], current: next + 1 });
    db.close();
  });

  it('a failing migration leaves the database at the previous version', () => {
    const db = openSqliteDatabase(':memory:');
    runMigrations(db);
    const next = latestSchemaVersion() + 1;
    const broken = [...extraBase(), { version: next, name: 'broken', sql: 'CREATE TABLE ok (x); THIS IS NOT SQL' }];
    expect(() => runMigrations(db, broken)).toThrow();
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'ok'").get()).toBeUndefined();
    expect(runMigrations(db)).toEqual({ applied: [], current: latestSchemaVersion() });
    db.close();
  });

  it('refuses a database migrated by a newer amochan', () => {
    const db = openSqliteDatabase(':memory:');
    runMigrations(db);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, ?, 0)').run('future');
    expect(() => runMigrations(db)).toThrow(/schema version 999/);
    db.close();
  });

  it('two connections racing on the same msgid never yield two rows', async () => {
    const file = freshFile();
    const a = createSqliteStore({ filename: file });
    const b = createSqliteStore({ filename: file });
    const results = await Promise.all([
      a.acceptInboundMessage({ message: message({ id: 'from-a', msgid: 'race' }), outbox: [entry('oa')], now: 1 }),
      b.acceptInboundMessage({ message: message({ id: 'from-b', msgid: 'race' }), outbox: [entry('ob')], now: 1 }),
    ]);
    expect(results.map((r) => r.created).sort()).toEqual([false, true]);
    // A raw insert that skips the check is stopped by the UNIQUE index itself.
    expect(() =>
      b.db
        .prepare(
          `INSERT INTO messages (id, direction, login, scope_id, msgid, status, payload, created_at, updated_at)
           VALUES ('raw', 'inbound', 'shop', 's', 'race', 'queued', '{}', 1, 1)`,
        )
        .run(),
    ).toThrow(/UNIQUE/);
    expect(await a.messages.count()).toBe(1);
    const reader = new Database(file, { readonly: true });
    expect(reader.prepare("SELECT COUNT(*) AS n FROM messages WHERE msgid = 'race'").get()).toEqual({ n: 1 });
    reader.close();
    await a.close();
    await b.close();
  });

  it('claims through indexes (no full scans of outbox or messages)', async () => {
    const store = createSqliteStore({ filename: ':memory:' });
    const plan = (sql: string) => (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>).map((r) => r.detail).join(' | ');
    expect(plan('SELECT seq FROM outbox_heads WHERE due_at <= 1 ORDER BY due_at, seq LIMIT 10')).toMatch(/USING (COVERING )?INDEX outbox_heads_due/);
    expect(plan("SELECT seq FROM outbox WHERE ordering_key = 'k' AND state IN ('pending', 'leased') ORDER BY seq LIMIT 1")).toMatch(
      /USING (COVERING )?INDEX outbox_key_order/,
    );
    expect(plan("SELECT * FROM messages WHERE amojo_msg_id = 'x' ORDER BY created_at, id LIMIT 1")).toMatch(/INDEX messages_amojo_msg_id/);
    // Retention reads old receipts by time, never the whole table of raw bodies.
    expect(plan('SELECT key FROM webhook_receipts WHERE received_at < 5 ORDER BY received_at LIMIT 10')).toMatch(/INDEX webhook_receipts_received/);
    await store.close();
  });

  it('purges receipts in batches and keeps the running count right', async () => {
    const store = createSqliteStore({ filename: ':memory:' });
    const insert = store.db.prepare("INSERT INTO webhook_receipts (key, scope_id, kind, raw, received_at) VALUES (?, 's', 'message', '{}', ?)");
    store.db.transaction(() => {
      for (let i = 0; i < 12_000; i++) insert.run(`msg:${i}`, i < 11_000 ? 1 : 100);
    })();
    expect(await store.receipts.count()).toBe(12_000);
    expect(await store.receipts.purgeOlderThan(50)).toBe(11_000);
    expect(await store.receipts.count()).toBe(1_000);
    await store.close();
  });
});

/** The shipped migrations, so tests can append hypothetical later ones. */
const extraBase = () => require('../../src/storage/sqlite/migrations').migrations as Array<{ version: number; name: string; sql: string }>;
