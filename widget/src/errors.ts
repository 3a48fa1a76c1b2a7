// One closed set of failure codes, each with a localized message under `errors.<code>` in i18n/*.json.
export const ERROR_CODES = [
  'invalid_request',
  'invalid_credentials',
  'invalid_token',
  'rate_limited',
  'amojo_error',
  'amojo_id_mismatch',
  'install_required',
  'unreachable',
  'password_required',
  'no_account',
  'unexpected',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class WidgetError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly status = 0,
    options?: { cause?: unknown },
  ) {
    super(`amochan: ${code}${status ? ` (HTTP ${status})` : ''}`, options);
    this.name = 'WidgetError';
  }
}

// Codes the server may send in {"error":{"code"}} that the widget explains to the user as-is.
const SERVER_CODES: ReadonlySet<string> = new Set([
  'invalid_request',
  'invalid_credentials',
  'invalid_token',
  'rate_limited',
  'amojo_error',
  // With OAuth the server checks the page's amojo_id against what amoCRM reported for the token's
  // account, and needs the integration installed before it can: both need the user to act in amoCRM.
  'amojo_id_mismatch',
  'install_required',
]);

/**
 * Turns an HTTP outcome into an error code. The server's own code wins, so a 502 from amojo
 * ("amojo_error") is told apart from a 502 of a proxy whose upstream — our server — is down.
 */
export function classifyFailure(status: number, body: unknown): ErrorCode {
  const code = serverErrorCode(body);
  if (code && SERVER_CODES.has(code)) return code as ErrorCode;
  if (status === 0 || status >= 500) return 'unreachable';
  switch (status) {
    case 400:
    case 422:
      return 'invalid_request';
    case 401:
      return 'invalid_credentials';
    case 403:
      return 'invalid_token';
    case 429:
      return 'rate_limited';
    default:
      return 'unexpected';
  }
}

function serverErrorCode(body: unknown): string | undefined {
  const parsed = typeof body === 'string' ? safeParse(body) : body;
  if (!parsed || typeof parsed !== 'object') return undefined;
  const error = (parsed as { error?: unknown }).error;
  if (!error || typeof error !== 'object') return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function toWidgetError(error: unknown): WidgetError {
  return error instanceof WidgetError ? error : new WidgetError('unexpected', 0, { cause: error });
}
