import { EmulatorError } from '../errors';
import type { EmulatorEventMap, EmulatorEvents, WebhookAttempt } from '../events';
import type { DropWebhooks, FailNextOptions, FaultInjector, FaultState } from '../faults';
import type { IdGenerator } from '../ids';
import { randomSecret } from '../ids';
import { checkMsgidUniqueness, type EmulatorSettings, type MsgidUniqueness } from '../settings';
import type { EmulatorStore } from '../state/store';
import type { ChannelRecord, ChatRecord, LeadRecord, MessageRecord, ScopeRecord, TypingRecord, UserRecord } from '../state/types';
import type { WebhookSender } from '../webhooks/sender';
import { createActions, parseArgs, type ManagerReplyResult, type WriteFirstResult } from './actions';
import {
  addChannelArgsSchema,
  listMessagesArgsSchema,
  type AddChannelArgs,
  type ListMessagesArgs,
  type ManagerReplyArgs,
  type ReactArgs,
  type TypingArgs,
  type WriteFirstArgs,
} from './schemas';

/** Drives the emulator from tests and the sandbox console. Everything returned is a copy. */
export interface EmulatorControl {
  /** The default channel's id. */
  readonly channelId: string;
  managerReply(args: ManagerReplyArgs): Promise<ManagerReplyResult>;
  writeFirst(args: WriteFirstArgs): Promise<WriteFirstResult>;
  typing(args: TypingArgs): Promise<{ webhook: WebhookAttempt }>;
  react(args: ReactArgs): Promise<{ webhook: WebhookAttempt }>;

  listChannels(): ChannelRecord[];
  listConnections(): ScopeRecord[];
  listChats(scopeId?: string): ChatRecord[];
  listMessages(filter?: ListMessagesArgs): MessageRecord[];
  getMessage(id: string): MessageRecord | undefined;
  listUsers(scopeId?: string): UserRecord[];
  listLeads(scopeId?: string): LeadRecord[];
  typingLog(): TypingRecord[];
  webhookLog(): WebhookAttempt[];
  /** Forgets connections, chats, messages, the webhook log and faults; channels stay. */
  reset(): void;

  /** Sets (null: clears) the callback URL of a channel, the default one when channelId is omitted. */
  setWebhookUrl(url: string | null, channelId?: string): void;
  addChannel(args?: AddChannelArgs): ChannelRecord;

  failNext(count: number, status: number, body?: unknown, options?: FailNextOptions): void;
  latency(ms: number): void;
  dropWebhooks(what: DropWebhooks): void;
  clearFaults(): void;
  faults(): FaultState;

  /** How wide amojo's msgid uniqueness is taken to be; survives reset(). */
  setMsgidUniqueness(mode: MsgidUniqueness): void;
  msgidUniqueness(): MsgidUniqueness;

  on<K extends keyof EmulatorEventMap>(event: K, listener: (...args: EmulatorEventMap[K]) => void): EmulatorControl;
  off<K extends keyof EmulatorEventMap>(event: K, listener: (...args: EmulatorEventMap[K]) => void): EmulatorControl;
}

export interface ControlDeps {
  store: EmulatorStore;
  sender: WebhookSender;
  faults: FaultInjector;
  events: EmulatorEvents;
  clock: () => number;
  ids: IdGenerator;
  settings: EmulatorSettings;
  defaultChannelId: string;
}

// EventEmitter's mapped listener types do not survive a generic pass-through; the interface above keeps callers typed.
type Listener = (...args: unknown[]) => void;
type LooseEmitter = { on(event: string, l: Listener): unknown; off(event: string, l: Listener): unknown };

const copy = <T>(value: T): T => structuredClone(value);
const inScope = <T extends { scopeId: string }>(records: Iterable<T>, scopeId: string | undefined): T[] =>
  [...records].filter((r) => scopeId === undefined || r.scopeId === scopeId).map(copy);

export function createControl(deps: ControlDeps): EmulatorControl {
  const { store, faults, events } = deps;
  const actions = createActions(deps);

  const control: EmulatorControl = {
    channelId: deps.defaultChannelId,
    ...actions,

    listChannels: () => [...store.channels.values()].map(copy),
    listConnections: () => [...store.scopes.values()].map(copy),
    listChats: (scopeId) => inScope(store.chats.values(), scopeId),
    listMessages(filter = {}) {
      const { scopeId, chatId } = parseArgs(listMessagesArgsSchema, filter);
      return [...store.messages.values()]
        .filter((m) => (scopeId === undefined || m.scopeId === scopeId) && (chatId === undefined || m.chatId === chatId))
        .map(copy);
    },
    getMessage: (id) => {
      const message = store.messages.get(id);
      return message ? copy(message) : undefined;
    },
    listUsers: (scopeId) => inScope(store.users.values(), scopeId),
    listLeads: (scopeId) => inScope(store.leads.values(), scopeId),
    typingLog: () => store.typing.map(copy),
    webhookLog: () => deps.sender.entries(),
    reset() {
      store.reset();
      deps.sender.clear();
      faults.clear();
    },

    setWebhookUrl(url, channelId = deps.defaultChannelId) {
      const channel = store.channels.get(channelId);
      if (!channel) throw new EmulatorError('unknown_channel', `no channel ${channelId}; addChannel first`);
      channel.webhookUrl = url;
    },
    addChannel(input = {}) {
      const args = parseArgs(addChannelArgsSchema, input);
      const id = args.id ?? deps.ids();
      if (store.channels.has(id)) throw new EmulatorError('channel_exists', `channel ${id} already exists`);
      if (id.includes('_')) throw new EmulatorError('invalid_argument', 'a channel id cannot contain "_" (it separates channel and account in a scope id)');
      const channel: ChannelRecord = { id, secret: args.secret ?? randomSecret(), webhookUrl: args.webhookUrl ?? null, botId: deps.ids() };
      store.channels.set(id, channel);
      return copy(channel);
    },

    failNext: (count, status, body, options) => faults.failNext(count, status, body, options),
    latency: (ms) => faults.setLatency(ms),
    dropWebhooks: (what) => faults.dropWebhooks(what),
    clearFaults: () => faults.clear(),
    faults: () => faults.state(),

    setMsgidUniqueness(mode) {
      deps.settings.msgidUniqueness = checkMsgidUniqueness(mode);
    },
    msgidUniqueness: () => deps.settings.msgidUniqueness,

    on(event, listener) {
      (events as unknown as LooseEmitter).on(event, listener as Listener);
      return control;
    },
    off(event, listener) {
      (events as unknown as LooseEmitter).off(event, listener as Listener);
      return control;
    },
  };
  return control;
}
