import { closeSync, fsyncSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { StorageError } from '../errors';

/**
 * SQLite's "the disk is full" (SQLITE_FULL) and "the disk failed" (SQLITE_IOERR_*) become
 * StorageError `storage_unavailable`: the edge answers 503 with Retry-After, readiness reports not
 * ready, and nothing is lost (the write was rolled back; the caller, or amojo's reconciler pass, or
 * the outbox's lease, tries again). Space coming back needs no restart: the next write just works.
 */

const UNAVAILABLE = /^SQLITE_(FULL|IOERR)/;

export function isStorageFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && UNAVAILABLE.test(code);
}

export function toStorageUnavailable(err: unknown): unknown {
  if (err instanceof StorageError || !isStorageFailure(err)) return err;
  const code = (err as { code: string }).code;
  const why = code === 'SQLITE_FULL' ? 'the disk holding the database is full' : `the database file cannot be read or written (${code})`;
  return new StorageError('storage_unavailable', `storage unavailable: ${why}; retry later`, { cause: err, retryAfter: 5 });
}

/** Remembers when writes last failed for lack of storage, and when one last succeeded. */
export interface WriteHealth {
  failed(): void;
  succeeded(): void;
  /** Milliseconds since the last failure, if no write succeeded after it; null when healthy. */
  failingForMs(): number | null;
}

export function createWriteHealth(now: () => number = Date.now): WriteHealth {
  let lastFailure = -Infinity;
  let lastSuccess = -Infinity;
  return {
    failed: () => void (lastFailure = now()),
    succeeded: () => void (lastSuccess = now()),
    failingForMs: () => (lastFailure > lastSuccess ? now() - lastFailure : null),
  };
}

/**
 * Wraps every method of a repository so a storage failure it raises (thrown, or a rejected
 * promise) comes out as storage_unavailable and is recorded. Covers the writes that do not go
 * through the group-commit queue (accounts, connections, receipts).
 */
export function guardStorage<T extends object>(repo: T, health: WriteHealth): T {
  const map = (err: unknown): unknown => {
    const mapped = toStorageUnavailable(err);
    if (mapped !== err) health.failed();
    return mapped;
  };
  const guarded = { ...repo } as Record<string, unknown>;
  for (const [name, value] of Object.entries(repo)) {
    if (typeof value !== 'function') continue;
    guarded[name] = (...args: unknown[]) => {
      let result: unknown;
      try {
        result = (value as (...a: unknown[]) => unknown).apply(repo, args);
      } catch (err) {
        throw map(err);
      }
      return result instanceof Promise ? result.catch((err: unknown) => Promise.reject(map(err))) : result;
    };
  }
  return guarded as T;
}

const PROBE_BYTES = 64 * 1024;

/**
 * A real write on the database's filesystem, cheap enough for every readiness check: 64 KiB into a
 * fresh file next to the database, synced, then removed. A fresh file needs fresh blocks, which is
 * what a full disk cannot give (a write into space SQLite already holds may still succeed).
 */
export function probeWrite(filename: string): void {
  const probe = `${filename}-probe`;
  let fd: number | null = null;
  try {
    fd = openSync(probe, 'w', 0o600);
    writeSync(fd, Buffer.alloc(PROBE_BYTES));
    fsyncSync(fd);
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'EIO';
    throw new StorageError('storage_unavailable', `storage unavailable: a test write next to the database failed (${code})`, { cause: err });
  } finally {
    if (fd !== null) closeSync(fd);
    try {
      unlinkSync(probe);
    } catch {
      // Never created, or already gone.
    }
  }
}
