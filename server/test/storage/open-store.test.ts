import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrateDatabase, openStore, parseDatabaseUrl } from '../../src/storage/open-store';
import { latestSchemaVersion } from '../../src/storage/sqlite/migrations';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'amochan-open-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('parseDatabaseUrl', () => {
  it('resolves sqlite paths from the working directory', () => {
    expect(parseDatabaseUrl('sqlite:./data/a.sqlite', '/srv/app')).toEqual({ kind: 'sqlite', filename: '/srv/app/data/a.sqlite' });
    expect(parseDatabaseUrl('sqlite:/var/lib/a.sqlite', '/srv/app')).toEqual({ kind: 'sqlite', filename: '/var/lib/a.sqlite' });
    expect(parseDatabaseUrl('sqlite:///var/lib/a.sqlite', '/srv/app')).toEqual({ kind: 'sqlite', filename: '/var/lib/a.sqlite' });
    expect(parseDatabaseUrl('sqlite::memory:')).toEqual({ kind: 'sqlite', filename: ':memory:' });
    expect(parseDatabaseUrl('memory:')).toEqual({ kind: 'memory' });
  });

  it('accepts postgres:// and postgresql:// URLs as they are', () => {
    expect(parseDatabaseUrl('postgres://u:p@db:5432/amochan')).toEqual({ kind: 'postgres', url: 'postgres://u:p@db:5432/amochan' });
    expect(parseDatabaseUrl(' postgresql://db/amochan ')).toEqual({ kind: 'postgres', url: 'postgresql://db/amochan' });
  });

  it.each([
    ['postgres:db/amochan', /unsupported value "postgres:db\/amochan"; use sqlite:<path>/],
    ['mysql://u:secret@db/x', /unsupported value "mysql:\/\/\*\*\*@db\/x"/],
    ['sqlite:', /has no file path/],
    ['./data/a.sqlite', /unsupported value/],
  ])('rejects %s with an invalid_config error that says what to do', (url, message) => {
    let caught: unknown;
    try {
      parseDatabaseUrl(url);
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'invalid_config' });
    expect(String((caught as Error).message)).toMatch(message);
    expect(String((caught as Error).message)).not.toContain('secret');
  });
});

describe('openStore', () => {
  it('creates the parent directory and the schema for sqlite:<path>', async () => {
    const file = path.join(dir, 'nested', 'deeper', 'amochan.sqlite');
    const store = openStore(`sqlite:${file}`);
    await store.accounts.upsert({ login: 'a', passwordHash: 'h', createdAt: 1 });
    await store.ping();
    await store.close();
    expect(existsSync(file)).toBe(true);
  });

  describe('keeps the database private whatever the umask', () => {
    let umask: number;
    beforeEach(() => {
      umask = process.umask(0);
    });
    afterEach(() => {
      process.umask(umask);
    });
    const mode = (file: string) => statSync(file).mode & 0o777;

    it('creates the directory 0700 and the database, -wal and -shm 0600', async () => {
      const file = path.join(dir, 'private', 'amochan.sqlite');
      const store = openStore(`sqlite:${file}`);
      await store.accounts.upsert({ login: 'a', passwordHash: 'h', createdAt: 1 });
      expect(mode(path.dirname(file))).toBe(0o700);
      for (const f of [file, `${file}-wal`, `${file}-shm`]) expect([f, mode(f)]).toEqual([f, 0o600]);
      await store.close();
    });

    it('tightens a database left world-readable and leaves an existing directory alone', async () => {
      const shared = path.join(dir, 'shared');
      mkdirSync(shared, { mode: 0o755 });
      chmodSync(shared, 0o755);
      const file = path.join(shared, 'amochan.sqlite');
      writeFileSync(file, '', { mode: 0o644 });
      chmodSync(file, 0o644);
      migrateDatabase(`sqlite:${file}`);
      const store = openStore(`sqlite:${file}`);
      await store.ping();
      expect(mode(shared)).toBe(0o755);
      for (const f of [file, `${file}-wal`, `${file}-shm`]) expect([f, mode(f)]).toEqual([f, 0o600]);
      await store.close();
    });
  });

  it('opens memory: and sqlite::memory: stores', async () => {
    for (const url of ['memory:', 'sqlite::memory:']) {
      const store = openStore(url);
      await store.accounts.upsert({ login: 'a', passwordHash: 'h', createdAt: 1 });
      expect(await store.accounts.list()).toHaveLength(1);
      await store.close();
    }
  });
});

describe('migrateDatabase', () => {
  it('applies pending migrations once and reports the current version', async () => {
    const url = `sqlite:${path.join(dir, 'migrate', 'db.sqlite')}`;
    expect(migrateDatabase(url)).toEqual({ applied: [1, 2, 3, 6, 8, 9], current: latestSchemaVersion() });
    expect(migrateDatabase(url)).toEqual({ applied: [], current: latestSchemaVersion() });
    const store = openStore(url);
    expect(await store.outbox.countUndelivered()).toBe(0);
    await store.close();
  });

  it('has nothing to do for memory:', () => {
    expect(migrateDatabase('memory:')).toEqual({ applied: [], current: latestSchemaVersion() });
  });
});
