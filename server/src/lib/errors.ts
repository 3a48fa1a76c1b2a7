import { AmojoApiError, AmojoError, AmojoHttpError } from '@amochan/amojo';

/**
 * The server's error taxonomy. Every error that can reach a client carries a code from this closed
 * union; STATUS_BY_CODE below is the only table from a code to an HTTP status, and
 * http/error-handler.ts the only normaliser (it maps storage and amojo errors into these codes too).
 */
export type AppErrorCode =
  | 'invalid_request'
  | 'unsupported_media_type'
  | 'payload_too_large'
  // Shape limits on JSON bodies (lib/json-limits.ts); 400 with details {path, limit}.
  | 'json_too_deep'
  | 'string_too_long'
  | 'invalid_credentials'
  | 'unauthorized'
  | 'invalid_token'
  | 'forbidden'
  | 'not_found'
  | 'unknown_scope'
  | 'invalid_signature'
  | 'account_not_found'
  | 'account_not_connected'
  | 'conflict'
  // A well-formed request that names something we cannot act on (a quoted/edited/reacted message
  // we never saw, a write-first chat that is not pending); 422 so it is not mistaken for a wrong URL.
  | 'unknown_target'
  // sender.ref_id names the amoCRM user (the manager) instead of the customer: echo receiver.ref_id.
  | 'sender_is_manager'
  // direction "out" needs AMOJO_BOT_ID, which this server was not given.
  | 'bot_not_configured'
  | 'rate_limited'
  | 'overloaded'
  | 'amojo_error'
  // OAuth: the widget's amojo_id is not the one amoCRM reported for the token's account.
  | 'amojo_id_mismatch'
  // OAuth: the token's amoCRM account has not installed the integration (or uninstalled it).
  | 'install_required'
  // Install callback: the referer is not an amoCRM/Kommo account host (refused before any request).
  | 'invalid_referer'
  // Install callback: amoCRM refused the authorization code (bad, used or expired).
  | 'invalid_grant'
  /** The provider named a channel its login has not declared. */
  | 'unknown_channel'
  /** A provider message names another channel than the one its conversation runs on. */
  | 'channel_mismatch'
  /** amoCRM's REST API failed or refused (details.amocrm_code says how). */
  | 'amocrm_error'
  | 'provider_auth_unavailable'
  | 'not_ready'
  // The database cannot be reached or written (restart, failover, disk full, I/O error): 503 +
  // Retry-After, never a crash.
  | 'storage_unavailable'
  | 'internal_error';

export const STATUS_BY_CODE: Record<AppErrorCode, number> = {
  invalid_request: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  json_too_deep: 400,
  string_too_long: 400,
  invalid_credentials: 401,
  unauthorized: 401,
  invalid_token: 403,
  forbidden: 403,
  not_found: 404,
  unknown_scope: 404,
  invalid_signature: 401,
  account_not_found: 409,
  account_not_connected: 409,
  conflict: 409,
  unknown_target: 422,
  sender_is_manager: 422,
  bot_not_configured: 400,
  rate_limited: 429,
  overloaded: 503,
  amojo_error: 502,
  amojo_id_mismatch: 403,
  install_required: 409,
  invalid_referer: 400,
  invalid_grant: 400,
  unknown_channel: 422,
  channel_mismatch: 409,
  amocrm_error: 502,
  provider_auth_unavailable: 502,
  not_ready: 503,
  storage_unavailable: 503,
  internal_error: 500,
};

export interface AppErrorOptions {
  cause?: unknown;
  /** Extra machine-readable details returned to the client (never secrets). */
  details?: Record<string, unknown>;
  /** Seconds, sent as Retry-After (429/503). */
  retryAfter?: number;
}

export class AppError extends Error {
  readonly code: AppErrorCode;
  readonly details?: Record<string, unknown>;
  readonly retryAfter?: number;

  constructor(code: AppErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options.details;
    this.retryAfter = options.retryAfter;
  }

  get status(): number {
    return STATUS_BY_CODE[this.code];
  }
}

export const isAppError = (err: unknown): err is AppError => err instanceof AppError;

/**
 * An amojo failure becomes 502 amojo_error carrying what amojo said, so the widget (and the person
 * clicking) sees the real reason, e.g. an invalid signature = wrong secret.
 */
export function fromAmojoError(action: string, err: unknown): AppError {
  if (err instanceof AppError) return err;
  const details: Record<string, unknown> = {};
  if (err instanceof AmojoError) details.amojo_code = err.code;
  if (err instanceof AmojoHttpError) details.amojo_status = err.status;
  if (err instanceof AmojoApiError) {
    if (err.errorType !== undefined) details.amojo_error_type = err.errorType;
    if (err.errorDescription !== undefined) details.amojo_error_description = err.errorDescription;
  }
  const said = err instanceof Error ? err.message : String(err);
  return new AppError('amojo_error', `amojo ${action} failed: ${said}`, { cause: err, details });
}

/** amojo no longer knows the account (already disconnected on its side, e.g. by an uninstall). */
export const isAmojoNotFound = (err: unknown): boolean => err instanceof AmojoHttpError && (err.code === 'not_found' || err.status === 404);
