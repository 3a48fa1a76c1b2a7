import { EmulatorError } from './errors';

/*
 * Behaviour the docs leave open, made a switch so a test can pin its assumption. Mutable at run
 * time (control API), read by the endpoints on every request.
 */

/**
 * How wide amojo's msgid uniqueness is, which the docs do not say:
 * - `per_account` (default, the emulator's historical behaviour): a msgid is a duplicate only
 *   within one scope (channel + account);
 * - `per_channel`: a msgid already used by any account of the channel is a duplicate.
 */
export type MsgidUniqueness = 'per_account' | 'per_channel';
export const MSGID_UNIQUENESS_MODES: readonly MsgidUniqueness[] = ['per_account', 'per_channel'];
export const DEFAULT_MSGID_UNIQUENESS: MsgidUniqueness = 'per_account';

export interface EmulatorSettings {
  msgidUniqueness: MsgidUniqueness;
}

export function checkMsgidUniqueness(value: unknown): MsgidUniqueness {
  if (MSGID_UNIQUENESS_MODES.includes(value as MsgidUniqueness)) return value as MsgidUniqueness;
  throw new EmulatorError('invalid_argument', `msgid uniqueness must be one of ${MSGID_UNIQUENESS_MODES.join(', ')}`);
}
