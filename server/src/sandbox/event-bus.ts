import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Exchange } from '../http/pipeline';

/**
 * An in-process record of what crossed each edge of the server (widget → us, provider → us, outbox →
 * amojo / provider, amojo → us), for the sandbox console's live log. Only sandbox mode creates one.
 * Production never loads this module, so nothing publishes there.
 *
 * Publishing never throws into the caller (a broken listener must not fail a delivery), and the
 * history is bounded: a new console tab replays the last `limit` records, older ones are gone.
 */

/** An HTTP call that reached one of our public surfaces (the bus kind names the surface). Bodies are redacted and truncated. */
export type HttpCrossing = Omit<Exchange, 'surface'>;

/** One outcome of the outbox worker. */
export interface OutboxCrossing {
  entryId: string;
  destination: 'amojo' | 'provider' | 'amocrm';
  kind: string;
  outcome: 'delivered' | 'retry' | 'dead';
  attempts: number;
  messageId: string | null;
  /** The event type (message.created…) of a provider entry, the amojo call of an amojo entry. */
  label: string | null;
  error: string | null;
}

/** A signed Chats API request as amojo (the emulator) received and answered it. */
export interface AmojoRequestCrossing {
  method: string;
  path: string;
  endpoint: string | null;
  status: number;
  durationMs: number;
  headers: { date: string | null; contentMd5: string | null; signature: string | null };
  errorType: string | null;
  reason: string | null;
  requestBody: string;
  responseBody: string;
}

/** A webhook amojo (the emulator) sent to our /amojo/v1/webhook route, and what we answered. */
export interface AmojoWebhookCrossing {
  kind: string;
  scopeId: string;
  messageId: string | null;
  status: number | null;
  ok: boolean;
  error: string | null;
  signature: string;
  durationMs: number;
  body: string;
}

/** An event our outbox POSTed to the provider's webhook, as the (demo) provider saw it. */
export interface ProviderEventCrossing {
  eventId: string | null;
  type: string | null;
  account: string | null;
  signature: string | null;
  verified: boolean;
  status: number;
  note: string | null;
  body: string;
}

export interface BusEvents {
  widget_api: HttpCrossing;
  provider_api: HttpCrossing;
  outbox: OutboxCrossing;
  amojo_request: AmojoRequestCrossing;
  amojo_webhook: AmojoWebhookCrossing;
  provider_event: ProviderEventCrossing;
}

export type BusEventKind = keyof BusEvents;

export type BusRecord = { [K in BusEventKind]: { seq: number; at: number; kind: K; data: BusEvents[K] } }[BusEventKind];

export interface EventBus {
  /** Random per process: lets a reconnecting console tell a restarted server (seq back at 1) apart. */
  readonly instance: string;
  publish<K extends BusEventKind>(kind: K, data: BusEvents[K]): void;
  /** Live records; returns the unsubscribe function. */
  subscribe(listener: (record: BusRecord) => void): () => void;
  /** Records still in the buffer with seq > afterSeq, oldest first. */
  recent(afterSeq?: number): BusRecord[];
  /** The server is stopping: long-lived listeners (event streams) should end now. */
  close(): void;
  onClose(listener: () => void): () => void;
}

export const DEFAULT_EVENT_HISTORY = 500;

export function createEventBus(options: { limit?: number; now?: () => number } = {}): EventBus {
  const limit = Math.max(1, options.limit ?? DEFAULT_EVENT_HISTORY);
  const now = options.now ?? Date.now;
  const emitter = new EventEmitter<{ record: [BusRecord]; close: [] }>();
  // Every console tab is a listener; do not warn at 11 open tabs.
  emitter.setMaxListeners(0);
  const history: BusRecord[] = [];
  let seq = 0;

  return {
    instance: randomBytes(4).toString('hex'),
    publish(kind, data) {
      seq += 1;
      const record = { seq, at: now(), kind, data } as BusRecord;
      history.push(record);
      if (history.length > limit) history.splice(0, history.length - limit);
      for (const listener of emitter.listeners('record')) {
        try {
          listener(record);
        } catch {
          // The log is a view; whatever happens to a viewer must not reach the publisher.
        }
      }
    },
    subscribe(listener) {
      emitter.on('record', listener);
      return () => emitter.off('record', listener);
    },
    recent(afterSeq = 0) {
      return history.filter((r) => r.seq > afterSeq);
    },
    close() {
      emitter.emit('close');
    },
    onClose(listener) {
      emitter.on('close', listener);
      return () => emitter.off('close', listener);
    },
  };
}

const SECRET_KEYS = /^(password|secret|token|authorization|x-auth-token|cookie)$/i;

/**
 * A copy fit for the event log: secrets masked at any depth, long strings shortened. The log is shown
 * in a browser, and the widget's connect body carries the provider password.
 */
export function sanitizeForLog(value: unknown, maxString = 2000, depth = 0): unknown {
  if (typeof value === 'string') return value.length > maxString ? `${value.slice(0, maxString)}… (${value.length} chars)` : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8) return '…';
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => sanitizeForLog(v, maxString, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = SECRET_KEYS.test(key) ? '***' : sanitizeForLog(v, maxString, depth + 1);
  return out;
}

/** Shortens a raw body string for the log (JSON bodies stay strings: they are shown as sent). */
export const truncateBody = (body: string, max = 4000): string => (body.length > max ? `${body.slice(0, max)}… (${body.length} bytes)` : body);
