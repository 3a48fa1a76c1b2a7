/**
 * Two error families, kept apart on purpose:
 * - AmojoApiError is what the emulated amojo answers on its own API: the exact JSON error body amojo
 *   uses (`{status:0, error_code, error_type, error_description}`), because the SDK keys off it.
 * - EmulatorError is raised by the control API (acting as amoCRM) when a test asks for something
 *   impossible; it carries a code from a closed union so the HTTP control routes can map it.
 */

export type AmojoErrorType =
  | 'ORIGIN_INVALID_SIGNATURE'
  | 'ORIGIN_DUPLICATE_MSGID'
  | 'ORIGIN_INVALID_REQUEST'
  | 'ORIGIN_SCOPE_NOT_FOUND'
  | 'ORIGIN_CHAT_NOT_FOUND'
  | 'ORIGIN_MESSAGE_NOT_FOUND'
  | 'ORIGIN_NOT_FOUND'
  | 'ORIGIN_INTERNAL_ERROR';

export interface AmojoErrorBody {
  status: 0;
  error_code: number;
  error_type: string;
  error_description: string;
}

export class AmojoApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: AmojoErrorType,
    readonly description: string,
    /** Why, for the request log only; never sent to the client (amojo does not explain either). */
    readonly reason?: string,
  ) {
    super(`${status} ${type}: ${description}`);
    this.name = 'AmojoApiError';
  }

  toBody(): AmojoErrorBody {
    return amojoErrorBody(this.status, this.type, this.description);
  }
}

export function amojoErrorBody(status: number, type: string, description: string): AmojoErrorBody {
  return { status: 0, error_code: status, error_type: type, error_description: description };
}

export const invalidSignature = (reason: string): AmojoApiError => new AmojoApiError(403, 'ORIGIN_INVALID_SIGNATURE', 'invalid signature', reason);

export const badRequest = (description: string): AmojoApiError => new AmojoApiError(400, 'ORIGIN_INVALID_REQUEST', description);

export const duplicateMsgid = (): AmojoApiError => new AmojoApiError(400, 'ORIGIN_DUPLICATE_MSGID', 'message with this msgid already exists');

export type EmulatorErrorCode = 'invalid_argument' | 'unknown_channel' | 'unknown_scope' | 'unknown_chat' | 'unknown_message' | 'channel_exists';

export class EmulatorError extends Error {
  constructor(
    readonly code: EmulatorErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EmulatorError';
  }
}

/** HTTP status for each control error, in one table. */
export const EMULATOR_ERROR_STATUS: Record<EmulatorErrorCode, number> = {
  invalid_argument: 400,
  unknown_channel: 404,
  unknown_scope: 404,
  unknown_chat: 404,
  unknown_message: 404,
  channel_exists: 409,
};
