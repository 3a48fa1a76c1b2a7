/**
 * What a store raises when an operation cannot be done as asked. Storage knows nothing of HTTP: the
 * edge (http/error-handler.ts) maps these codes to answers, like every other error.
 * - conflict: a unique key is taken (a concurrent writer, or a reused id); re-read and retry.
 * - not_found: the row the operation names does not exist.
 * - invalid_request: the caller handed the store something it cannot hold (e.g. one id twice).
 * - storage_unavailable: the database cannot be written or reached right now (a full disk, an I/O
 *   error, a database outage); nothing was written, and the same call can be retried later.
 */
export type StorageErrorCode = 'conflict' | 'not_found' | 'invalid_request' | 'storage_unavailable';

export class StorageError extends Error {
  readonly code: StorageErrorCode;

  constructor(code: StorageErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StorageError';
    this.code = code;
  }
}

/** The message of a conflict on `what`, the same whichever store raised it. */
export const conflictError = (what: string, cause?: unknown): StorageError =>
  new StorageError('conflict', `${what} already exists (a concurrent request created it); re-read it and retry`, { cause });
