/**
 * Errors of the amoCRM control API (a test asked for something impossible). Kept apart from the
 * amojo side's EmulatorError so the two halves of the emulator evolve independently.
 */
export type AmocrmControlErrorCode = 'invalid_argument' | 'unknown_account' | 'unknown_integration' | 'account_exists' | 'not_installed';

export class AmocrmControlError extends Error {
  constructor(
    readonly code: AmocrmControlErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AmocrmControlError';
  }
}

export const AMOCRM_CONTROL_ERROR_STATUS: Record<AmocrmControlErrorCode, number> = {
  invalid_argument: 400,
  unknown_account: 404,
  unknown_integration: 404,
  account_exists: 409,
  not_installed: 409,
};
