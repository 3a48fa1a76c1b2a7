/**
 * What a store raises when an operation cannot be done as asked. Storage knows nothing of HTTP: the
 * edge (http/error-handler.ts) maps these codes to answers, like every other error.
 * - conflict: a unique key is taken (a concurrent writer, or a reused id); re-read and retry.
 * - not_found: the row the operation names does not exist.
 * - invalid_request: the caller handed the store something it cannot hold (e.g. one id twice).
 * - storage_unavailable: the database does not answer or cannot be written (restart, failover,
 *   statement timeout, a full disk, an I/O error); the operation did not happen or its outcome is
 *   unknown, and retrying after `retryAfter` s is safe.
 */
export type StorageErrorCode = 'conflict' | 'not_found' | 'invalid_request' | 'storage_unavailable';

export class StorageError extends Error {
  readonly code: StorageErrorCode;
  /** Seconds worth waiting before a retry (storage_unavailable). */
  readonly retryAfter?: number;

  constructor(code: StorageErrorCode, message: string, options: { cause?: unknown; retryAfter?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StorageError';
    this.code = code;
    this.retryAfter = options.retryAfter;
  }
}

/** The database is away: answered 503 with Retry-After by the edge, retried by workers. */
export const unavailableError = (message = 'the database is unavailable; retry shortly', cause?: unknown): StorageError =>
  new StorageError('storage_unavailable', message, { cause, retryAfter: 2 });

export const isStorageUnavailable = (err: unknown): boolean => err instanceof StorageError && err.code === 'storage_unavailable';

/** The message of a conflict on `what`, the same whichever store raised it. */
export const conflictError = (what: string, cause?: unknown): StorageError =>
  new StorageError('conflict', `${what} already exists (a concurrent request created it); re-read it and retry`, { cause });
