import { chmodSync, closeSync, existsSync, openSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { conflictError } from '../errors';

export type SqliteDatabase = Database.Database;

export interface SqliteOpenOptions {
  /** How long a writer waits for another process's lock before SQLITE_BUSY (default 5000 ms). */
  busyTimeoutMs?: number;
  /** Page cache per connection in KiB (default 32 MiB): holds the hot index pages of a 1M-row table; larger only grows RSS (bench memory target). */
  cacheSizeKiB?: number;
}

/**
 * Opens a connection with the settings every amochan database uses.
 * - WAL + synchronous=NORMAL: a commit is durable once it is in the WAL file, which survives a
 *   process kill -9 (our crash model). Only an OS crash / power loss can lose the last few commits;
 *   it never corrupts the database.
 * - busy_timeout: the CLI may write while the server runs; both wait rather than fail.
 * - foreign_keys: off by default in SQLite; on, so any future REFERENCES is enforced.
 */
export function openSqliteDatabase(filename: string, options: SqliteOpenOptions = {}): SqliteDatabase {
  const onDisk = filename !== '' && filename !== ':memory:';
  if (onDisk) makePrivate(filename, true);
  const db = new Database(filename);
  try {
    db.pragma('journal_mode = WAL');
    // SQLite gives -wal and -shm the main file's mode; set it explicitly anyway, so no umask or
    // older file left 0644 keeps them readable.
    if (onDisk) for (const suffix of ['-wal', '-shm']) makePrivate(filename + suffix, false);
    db.pragma('synchronous = NORMAL');
    db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
    db.pragma('foreign_keys = ON');
    db.pragma(`cache_size = -${Math.trunc(options.cacheSizeKiB ?? 32768)}`);
    db.pragma('temp_store = MEMORY');
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/**
 * The database holds password hashes and every message: owner-only (0600), whatever the umask.
 * The file is created (or tightened, if an older install left it readable) before SQLite opens it.
 */
function makePrivate(file: string, create: boolean): void {
  if (create && !existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  if (!existsSync(file) || (statSync(file).mode & 0o777) === 0o600) return;
  try {
    chmodSync(file, 0o600);
  } catch (err) {
    // Another user's file that we may write (group access): theirs to tighten, not a reason to refuse.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
  }
}

const UNIQUE_CODES = new Set(['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY']);

/**
 * A uniqueness violation means a caller raced another writer (or reused an id): that is a 409 the
 * caller can resolve by re-reading (the edge answers 409), not a 500. Anything else is rethrown untouched.
 */
export function mapConstraintError(err: unknown, what: string): never {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNIQUE_CODES.has(code)) {
    throw conflictError(what, err);
  }
  throw err;
}

export const toJson = (value: unknown): string => JSON.stringify(value ?? null);
export const fromJson = (text: string): unknown => JSON.parse(text) as unknown;
export const toBool = (value: unknown): boolean => value === 1 || value === 1n || value === true;

/**
 * Runs a `DELETE … LIMIT batch` statement until it deletes less than a full batch; returns the
 * total. Between batches the event loop runs, so request handlers write in between instead of
 * queueing behind one long delete (retention purges).
 */
export async function deleteInBatches(deleteBatch: () => number, batch: number): Promise<number> {
  let total = 0;
  for (;;) {
    const n = deleteBatch();
    total += n;
    if (n < batch) return total;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
