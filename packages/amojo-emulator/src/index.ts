export { startEmulator, type RunningEmulator } from './start';
export { createEmulatorApp, type EmulatorApp } from './app';
export type { EmulatorOptions, StartEmulatorOptions } from './options';
export { DEFAULT_DATE_TOLERANCE_MS, DEFAULT_WEBHOOK_TIMEOUT_MS } from './options';
export { DEFAULT_MSGID_UNIQUENESS, MSGID_UNIQUENESS_MODES, type MsgidUniqueness } from './settings';
export type { EmulatorControl } from './control/control';
export type { ManagerReplyResult, WriteFirstResult } from './control/actions';
export type { AddChannelArgs, ListMessagesArgs, ManagerReplyArgs, ReactArgs, TypingArgs, WriteFirstArgs } from './control/schemas';
export { CONTROL_PREFIX } from './control/http-routes';
export { API_PREFIX } from './http/routes';
export { HISTORY_MAX_LIMIT } from './api/history';
export type { RequestEvent, WebhookAttempt, EmulatorEventMap } from './events';
export type { DropWebhooks, FailNextOptions, FaultState } from './faults';
export { AmojoApiError as EmulatedAmojoError, EmulatorError, EMULATOR_ERROR_STATUS, amojoErrorBody } from './errors';
export type { AmojoErrorBody, AmojoErrorType, EmulatorErrorCode } from './errors';
export { WEBHOOK_USER_AGENT, callbackUrl } from './webhooks/sender';
export type {
  ChannelRecord,
  ChatRecord,
  DeliveryStatusRecord,
  LeadRecord,
  MessageRecord,
  ReactionRecord,
  ScopeRecord,
  TypingRecord,
  UserRecord,
  WireMessage,
} from './state/types';
export {
  AMOCRM_CONTROL_PREFIX,
  AmocrmControlError,
  createAmocrmEmulator,
  disableHookSignature,
  type AmocrmAccountRecord,
  type AmocrmControl,
  type AmocrmControlErrorCode,
  type AmocrmEmulator,
  type AmocrmEmulatorOptions,
  type AmocrmIntegrationRecord,
  type AmocrmPipelineRecord,
  type AmocrmStatusRecord,
  type CreateAccountArgs as CreateAmocrmAccountArgs,
  type DisableHookResult,
  type IssuedCode,
  type SourceRecord as AmocrmSourceRecord,
} from './amocrm';
