import type { z } from 'zod';
import type { AmojoErrorBody } from './schemas/responses';

/*
 * One base class, a closed union of codes, `cause` kept. The server maps codes to HTTP statuses and
 * outbox decisions in one table, so adding a code is a deliberate, compile-checked change.
 */

export type AmojoErrorCode =
  | 'network' // could not reach amojo (DNS, refused, reset)
  | 'timeout' // amojo did not answer within timeoutMs
  | 'http_error' // non-2xx without a recognisable amojo error body
  | 'amojo_error' // amojo's JSON error body, nothing more specific
  | 'signature_rejected' // 403 ORIGIN_INVALID_SIGNATURE: amojo refused OUR signature
  | 'not_found' // 404 with an amojo body: unknown channel, scope, chat or message
  | 'duplicate_message' // amojo already has a message with this msgid
  | 'rate_limited' // 429
  | 'invalid_response' // 2xx whose body does not match the schema
  | 'invalid_request' // refused locally before sending: the request would not be valid
  | 'invalid_signature'; // an inbound webhook's X-Signature does not verify

export type ZodIssues = z.core.$ZodIssue[];

export class AmojoError extends Error {
  readonly code: AmojoErrorCode;

  constructor(code: AmojoErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

export class AmojoNetworkError extends AmojoError {
  declare readonly code: 'network' | 'timeout';

  constructor(code: 'network' | 'timeout', message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export interface HttpErrorInit {
  status: number;
  /** The raw response body as text ('' when none). */
  body: string;
  method: string;
  path: string;
  /** From Retry-After, when amojo sent one. */
  retryAfterMs?: number;
}

/** Any non-2xx answer. The subclasses below refine it; `instanceof AmojoHttpError` catches them all. */
export class AmojoHttpError extends AmojoError {
  readonly status: number;
  readonly body: string;
  readonly method: string;
  readonly path: string;
  readonly retryAfterMs?: number;

  constructor(init: HttpErrorInit, message?: string, code: AmojoErrorCode = 'http_error') {
    super(
      code,
      message ??
        `amojo answered ${init.status} to ${init.method} ${init.path}` +
          (init.status >= 500 ? '; amojo-side failure, retry later' : '; check the request against the Chats API docs'),
    );
    this.status = init.status;
    this.body = init.body;
    this.method = init.method;
    this.path = init.path;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
  }
}

export type AmojoApiErrorCode = 'amojo_error' | 'signature_rejected' | 'not_found' | 'duplicate_message';

/** A non-2xx with amojo's JSON error body `{status, error_code, error_type, error_description}`. */
export class AmojoApiError extends AmojoHttpError {
  declare readonly code: AmojoApiErrorCode;
  readonly errorType?: string;
  readonly errorCode?: number;
  readonly errorDescription?: string;

  constructor(init: HttpErrorInit, errorBody: AmojoErrorBody) {
    const code = classifyApiError(init.status, errorBody);
    super(init, apiErrorMessage(code, init, errorBody), code);
    if (errorBody.error_type !== undefined) this.errorType = errorBody.error_type;
    if (errorBody.error_code !== undefined) this.errorCode = errorBody.error_code;
    if (errorBody.error_description !== undefined) this.errorDescription = errorBody.error_description;
  }
}

export class AmojoRateLimitedError extends AmojoHttpError {
  constructor(init: HttpErrorInit) {
    super(
      init,
      `amojo rate-limited ${init.method} ${init.path} (429)` +
        (init.retryAfterMs !== undefined ? `; retry in ${init.retryAfterMs} ms` : '; back off and retry later'),
      'rate_limited',
    );
  }
}

export class AmojoInvalidResponseError extends AmojoError {
  readonly issues: ZodIssues;
  readonly status: number;
  readonly body: string;

  constructor(init: { status: number; body: string; method: string; path: string; issues: ZodIssues; cause?: unknown }) {
    super(
      'invalid_response',
      `amojo answered ${init.status} to ${init.method} ${init.path} with a body that does not match the expected schema ` +
        `(${summariseIssues(init.issues)}); if amojo changed its format, update @amochan/amojo's schemas`,
      { cause: init.cause },
    );
    this.issues = init.issues;
    this.status = init.status;
    this.body = init.body;
  }
}

/** Thrown before anything is sent: amojo would refuse this request anyway. */
export class AmojoInvalidRequestError extends AmojoError {
  readonly issues: ZodIssues;

  constructor(what: string, issues: ZodIssues) {
    super('invalid_request', `invalid ${what}: ${summariseIssues(issues)}; fix the request, it was not sent`);
    this.issues = issues;
  }
}

/** For webhook verification helpers: the X-Signature does not match the raw body. */
export class AmojoInvalidSignatureError extends AmojoError {
  constructor(message = 'webhook X-Signature does not verify: check the channel secret, and verify the raw body bytes before any JSON parsing') {
    super('invalid_signature', message);
  }
}

export function summariseIssues(issues: ZodIssues): string {
  const shown = issues.slice(0, 3).map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  return shown.join('; ') + (issues.length > 3 ? `; and ${issues.length - 3} more` : '');
}

/**
 * amojo's wording for a duplicate msgid is undocumented. The emulator answers 400
 * `{"error_type":"ORIGIN_DUPLICATE_MSGID","error_description":"message with this msgid already exists"}`;
 * we match loosely so a slightly different real wording is still recognised.
 */
export const DUPLICATE_MSGID_ERROR_TYPE = 'ORIGIN_DUPLICATE_MSGID';

export function looksLikeDuplicateMessage(body: AmojoErrorBody): boolean {
  if (body.error_type && /DUPLICATE/i.test(body.error_type)) return true;
  return Boolean(body.error_description && /duplicate|already exists/i.test(body.error_description));
}

function classifyApiError(status: number, body: AmojoErrorBody): AmojoApiErrorCode {
  if (status === 403 && body.error_type === 'ORIGIN_INVALID_SIGNATURE') return 'signature_rejected';
  if (status >= 400 && status < 500 && looksLikeDuplicateMessage(body)) return 'duplicate_message';
  if (status === 404) return 'not_found';
  return 'amojo_error';
}

function apiErrorMessage(code: AmojoApiErrorCode, init: HttpErrorInit, body: AmojoErrorBody): string {
  const what = `amojo answered ${init.status} ${body.error_type ?? ''} to ${init.method} ${init.path}`.replace(/\s+/g, ' ');
  const detail = body.error_description ? ` ("${body.error_description}")` : '';
  const hint: Record<AmojoApiErrorCode, string> = {
    signature_rejected: "check the channel id and the channel secret, and that this machine's clock is within 15 minutes of real time",
    duplicate_message: 'amojo already has this msgid; treat the message as delivered',
    not_found: 'check the channel id / scope id / amojo ids (is the account still connected?)',
    amojo_error: init.status >= 500 ? 'amojo-side failure, retry later' : 'fix the request data',
  };
  return `${what}${detail}: ${hint[code]}`;
}

/** Transient failures worth retrying: network, timeout, 408, 429 and 5xx. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof AmojoNetworkError) return true;
  if (err instanceof AmojoHttpError) {
    if (err.code === 'duplicate_message') return false;
    return err.status === 408 || err.status === 429 || err.status >= 500;
  }
  return false;
}

/** amojo already has this msgid: after a crash between send and bookkeeping, the message was delivered. */
export function isDuplicateMessageError(err: unknown): err is AmojoApiError {
  return err instanceof AmojoApiError && err.code === 'duplicate_message';
}

export function isAmojoError(err: unknown): err is AmojoError {
  return err instanceof AmojoError;
}
