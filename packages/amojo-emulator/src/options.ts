import type { AmocrmEmulatorOptions } from './amocrm';
import { defaultIdGenerator, randomSecret, type IdGenerator } from './ids';
import { checkMsgidUniqueness, DEFAULT_MSGID_UNIQUENESS, type MsgidUniqueness } from './settings';

export interface EmulatorOptions {
  /** The default channel's id; a random uuid when absent. */
  channelId?: string;
  /** The default channel's secret; 40 random hex characters when absent. */
  secret?: string;
  /** The channel callback URL, with `:scope_id` where amojo substitutes the scope. Can be set later. */
  webhookUrl?: string;
  /** Milliseconds since the epoch: Date freshness, timestamps. */
  clock?: () => number;
  /** Used to deliver webhooks. */
  fetch?: typeof fetch;
  /** How far the Date header may be from the clock, either way. amojo allows 15 minutes. */
  dateToleranceMs?: number;
  /** Print one line per API request (to `logger`). */
  logRequests?: boolean;
  /** Where `logRequests` lines go; console.log by default. */
  logger?: (line: string) => void;
  /** Generates amojo ids (chats, users, messages, leads). */
  idGenerator?: IdGenerator;
  /** How long a webhook receiver may take before the attempt counts as failed. amojo waits 5 s. */
  webhookTimeoutMs?: number;
  /** Largest accepted request body. */
  bodyLimit?: string;
  /** How wide a msgid must be unique (undocumented by amojo); `per_account` by default. */
  msgidUniqueness?: MsgidUniqueness;
  /** The emulated amoCRM REST side: its integration, token lifetimes, sources limit. */
  amocrm?: AmocrmEmulatorOptions;
}

export interface StartEmulatorOptions extends EmulatorOptions {
  /** Listen port; 0 (the default) lets the OS pick. */
  port?: number;
  /** Listen address; loopback by default. */
  host?: string;
}

export interface ResolvedOptions {
  channelId: string;
  secret: string;
  webhookUrl: string | null;
  clock: () => number;
  fetch: typeof fetch;
  dateToleranceMs: number;
  logRequests: boolean;
  logger: (line: string) => void;
  ids: IdGenerator;
  webhookTimeoutMs: number;
  bodyLimit: string;
  msgidUniqueness: MsgidUniqueness;
}

export const DEFAULT_DATE_TOLERANCE_MS = 15 * 60 * 1000;
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 5000;

export function resolveOptions(opts: EmulatorOptions = {}): ResolvedOptions {
  const ids = opts.idGenerator ?? defaultIdGenerator;
  return {
    channelId: opts.channelId ?? ids(),
    secret: opts.secret ?? randomSecret(),
    webhookUrl: opts.webhookUrl ?? null,
    clock: opts.clock ?? Date.now,
    // Bound lazily so a test that swaps globalThis.fetch after start still gets its stub.
    fetch: opts.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    dateToleranceMs: opts.dateToleranceMs ?? DEFAULT_DATE_TOLERANCE_MS,
    logRequests: opts.logRequests ?? false,
    logger: opts.logger ?? ((line) => console.log(line)),
    ids,
    webhookTimeoutMs: opts.webhookTimeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS,
    bodyLimit: opts.bodyLimit ?? '20mb',
    msgidUniqueness: checkMsgidUniqueness(opts.msgidUniqueness ?? DEFAULT_MSGID_UNIQUENESS),
  };
}
