import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../lib/config-error';
import { createMemoryStore } from './memory/store';
import { runPgMigrations } from './postgres/migrations';
import { createPgPool } from './postgres/pool';
import { createPostgresStore } from './postgres/store';
import { openSqliteDatabase } from './sqlite/database';
import { latestSchemaVersion, runMigrations, type MigrationResult } from './sqlite/migrations';
import { createSqliteStore } from './sqlite/store';
import type { Store } from './types';

export type DatabaseLocation = { kind: 'memory' } | { kind: 'sqlite'; filename: string } | { kind: 'postgres'; url: string };

const EXAMPLE = 'use sqlite:<path> (e.g. sqlite:./data/amochan.sqlite), postgres://user@host/db or memory:';

/** What openStore returns: the Store plus the cross-instance wake hook. */
export interface OpenedStore extends Store {
  /**
   * Present where work can be committed by another process (PostgreSQL): cb runs when another
   * instance commits outbox work, so a worker can wake at once instead of waiting for its next poll
   * (this process's own commits wake its worker directly, through the services' WakeSignal).
   */
  onOutboxWork?(cb: () => void): () => void;
}

export interface OpenStoreOptions {
  /** PostgreSQL: connections in this instance's pool (DATABASE_POOL_SIZE). */
  poolSize?: number;
  /** PostgreSQL: server-side statement timeout (DATABASE_STATEMENT_TIMEOUT_MS). */
  statementTimeoutMs?: number;
  /** PostgreSQL: told about errors on idle or listening connections (they never throw). */
  onConnectionError?: (err: Error) => void;
}

/**
 * Parses DATABASE_URL. `sqlite:<path>` (also `sqlite://<path>`, so `sqlite:///abs/path` works);
 * relative paths are resolved from the current directory; `sqlite::memory:` is a private
 * throwaway SQLite database; `memory:` is the in-process store.
 */
export function parseDatabaseUrl(databaseUrl: string, cwd: string = process.cwd()): DatabaseLocation {
  const url = databaseUrl.trim();
  if (url === 'memory:') return { kind: 'memory' };
  if (url.startsWith('sqlite:')) {
    let rest = url.slice('sqlite:'.length);
    if (rest.startsWith('//')) rest = rest.slice(2);
    if (rest === '') throw new ConfigError([`DATABASE_URL: "${databaseUrl}" has no file path; ${EXAMPLE}`]);
    if (rest === ':memory:') return { kind: 'sqlite', filename: ':memory:' };
    return { kind: 'sqlite', filename: path.resolve(cwd, rest) };
  }
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: 'postgres', url };
  throw new ConfigError([`DATABASE_URL: unsupported value "${redact(databaseUrl)}"; ${EXAMPLE}`]);
}

/** Never echo a password that may sit in a URL's user-info part. */
const redact = (url: string) => url.replace(/\/\/[^@/]*@/, '//***@');

/** A directory we create holds only the database: owner-only (0700), whatever the umask. An existing one is left as the operator made it. */
function prepareFile(filename: string): void {
  if (filename === ':memory:') return;
  const dir = path.dirname(filename);
  if (existsSync(dir)) return;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/**
 * Opens the store named by DATABASE_URL, creating the file, its directory and the schema as needed.
 * PostgreSQL returns at once and migrates on first use (see postgres/store.ts).
 */
export function openStore(databaseUrl: string, options: OpenStoreOptions = {}): OpenedStore {
  const location = parseDatabaseUrl(databaseUrl);
  if (location.kind === 'memory') return createMemoryStore();
  if (location.kind === 'postgres') {
    const { poolSize, statementTimeoutMs, onConnectionError } = options;
    return createPostgresStore({ connectionString: location.url, poolSize, statementTimeoutMs, onIdleError: onConnectionError });
  }
  prepareFile(location.filename);
  return createSqliteStore({ filename: location.filename });
}

/**
 * For `cli.js migrate`: applies pending migrations and says which, without starting anything else.
 * Synchronous for the file engines; a promise for PostgreSQL (callers await either).
 */
export function migrateDatabase(databaseUrl: string): MigrationResult | Promise<MigrationResult> {
  const location = parseDatabaseUrl(databaseUrl);
  if (location.kind === 'memory') return { applied: [], current: latestSchemaVersion() };
  if (location.kind === 'postgres') {
    const pool = createPgPool({ connectionString: location.url, poolSize: 1 });
    return runPgMigrations(pool).finally(() => pool.end());
  }
  prepareFile(location.filename);
  const db = openSqliteDatabase(location.filename);
  try {
    return runMigrations(db);
  } finally {
    db.close();
  }
}
