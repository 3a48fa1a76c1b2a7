import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteDatabase, type SqliteDatabase } from '../../src/storage/sqlite/database';
import { createWriteQueue } from '../../src/storage/sqlite/write-queue';

let dir: string;
let db: SqliteDatabase;
let reader: Database.Database;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'amochan-wq-'));
  const file = path.join(dir, 'q.sqlite');
  db = openSqliteDatabase(file);
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY)');
  reader = new Database(file, { readonly: true });
});
afterEach(() => {
  reader.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});
const insert = (k: string) => () => db.prepare('INSERT INTO t (k) VALUES (?)').run(k).changes;
const visible = () => (reader.prepare('SELECT k FROM t ORDER BY k').all() as Array<{ k: string }>).map((r) => r.k);

describe('group-commit write queue', () => {
  it('runs writes issued together in one transaction, in order, and settles after the commit', async () => {
    const q = createWriteQueue(db);
    const seenByOtherConnection: string[][] = [];
    const done = Promise.all([
      q.run(insert('a')),
      q.run(() => {
        seenByOtherConnection.push(visible());
        return insert('b')();
      }),
    ]);
    expect(visible()).toEqual([]); // nothing runs before the event loop turns
    await expect(done).resolves.toEqual([1, 1]);
    expect(seenByOtherConnection).toEqual([[]]); // 'a' was not yet committed while 'b' ran
    expect(visible()).toEqual(['a', 'b']); // both durable once resolved
  });

  it('a failing write rolls back only itself', async () => {
    const q = createWriteQueue(db);
    const results = await Promise.allSettled([
      q.run(insert('a')),
      q.run(() => {
        insert('b')();
        throw new Error('boom');
      }),
      q.run(insert('a')), // duplicate key
      q.run(insert('c')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(visible()).toEqual(['a', 'c']);
  });

  it('splits large bursts into batches and keeps working afterwards', async () => {
    const q = createWriteQueue(db, { maxBatch: 3 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => q.run(insert(`k${i}`))));
    expect(visible()).toHaveLength(10);
    await q.run(insert('later'));
    expect(visible()).toContain('later');
  });

  it('flush runs queued work synchronously (used by close)', () => {
    const q = createWriteQueue(db);
    void q.run(insert('a'));
    q.flush();
    expect(visible()).toEqual(['a']);
  });

  it('rejects every job of a batch whose transaction cannot start', async () => {
    const q = createWriteQueue(db);
    const blocker = new Database(path.join(dir, 'q.sqlite'));
    blocker.pragma('busy_timeout = 0');
    db.pragma('busy_timeout = 0');
    blocker.exec('BEGIN IMMEDIATE');
    const results = await Promise.allSettled([q.run(insert('a')), q.run(insert('b'))]);
    blocker.exec('ROLLBACK');
    blocker.close();
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/locked|busy/i);
    await q.run(insert('c'));
    expect(visible()).toEqual(['c']);
  });
});
