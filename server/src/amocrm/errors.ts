/**
 * Errors of the amoCRM side, one closed union. `retryable` says whether the outbox should try again
 * later (amoCRM down, rate limited) or give up and tell someone (refused grant, bad request).
 * The HTTP layer maps these codes to AppError codes/statuses in one place when it wires them in.
 */
export type AmocrmErrorCode =
  /** The `referer` is not an amoCRM/Kommo account host: refused before any request. */
  | 'invalid_referer'
  /** TOKEN_ENCRYPTION_KEY unusable (too short, malformed). */
  | 'invalid_encryption_key'
  /** A stored token failed authentication (tampered, other key, unknown envelope version). */
  | 'token_decrypt_failed'
  /** amoCRM refused the authorization code or refresh token: the account must reinstall. */
  | 'oauth_refused'
  /** The installation cannot be used until the administrator installs the integration again. */
  | 'reauthorization_required'
  /** No installation for this amoCRM account (install not completed, or uninstalled). */
  | 'not_installed'
  | 'unauthorized'
  | 'forbidden'
  | 'rate_limited'
  | 'amocrm_unavailable'
  | 'not_found'
  | 'source_limit_reached'
  | 'external_id_taken'
  | 'validation_failed'
  /** amoCRM answered something we could not parse. */
  | 'bad_response'
  | 'invalid_signature';

const RETRYABLE: ReadonlySet<AmocrmErrorCode> = new Set(['rate_limited', 'amocrm_unavailable']);

export interface AmocrmErrorOptions {
  cause?: unknown;
  /** HTTP status amoCRM answered, when there was an answer. */
  status?: number;
  /** Seconds from Retry-After. */
  retryAfter?: number;
  /** Machine-readable details (problem+json validation errors…); never tokens. */
  details?: Record<string, unknown>;
}

export class AmocrmError extends Error {
  readonly code: AmocrmErrorCode;
  readonly status?: number;
  readonly retryAfter?: number;
  readonly details?: Record<string, unknown>;

  constructor(code: AmocrmErrorCode, message: string, options: AmocrmErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AmocrmError';
    this.code = code;
    this.status = options.status;
    this.retryAfter = options.retryAfter;
    this.details = options.details;
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }
}

export const isAmocrmError = (err: unknown, code?: AmocrmErrorCode): err is AmocrmError =>
  err instanceof AmocrmError && (code === undefined || err.code === code);
