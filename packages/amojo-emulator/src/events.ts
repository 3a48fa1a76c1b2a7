import { EventEmitter } from 'node:events';

/** What crossed the API edge, for the sandbox console's live log and for tests. */
export interface RequestEvent {
  seq: number;
  /** Emulator clock at arrival (ms). */
  at: number;
  method: string;
  /** The path as received, query included. */
  path: string;
  /** The matched endpoint (connect, new_message, history, ...), or null when nothing matched. */
  endpoint: string | null;
  scopeId: string | null;
  status: number;
  durationMs: number;
  headers: { date: string | null; contentType: string | null; contentMd5: string | null; signature: string | null };
  /** amojo's error_type when the answer was an error. */
  errorType: string | null;
  /** Why the emulator refused (signature check that failed, schema issue...), never sent to the client. */
  reason: string | null;
  /** True when the answer came from failNext rather than the emulated service. */
  injected: boolean;
  requestBody: string;
  responseBody: string;
}

export interface WebhookAttempt {
  seq: number;
  at: number;
  kind: 'message' | 'typing' | 'reaction';
  channelId: string;
  scopeId: string;
  /** The amojo message id the hook carries (message and reaction hooks). */
  messageId: string | null;
  /** The callback URL with the scope substituted; null when the channel has none configured. */
  url: string | null;
  body: string;
  signature: string;
  /** HTTP status the receiver answered; null when no answer (dropped, timeout, network error). */
  status: number | null;
  /** amojo only counts an HTTP 200 as delivered. */
  ok: boolean;
  error: string | null;
  /** Swallowed by dropWebhooks: never sent, but the message exists in history. */
  dropped: boolean;
  durationMs: number;
}

export interface EmulatorEventMap {
  request: [RequestEvent];
  webhook: [WebhookAttempt];
}

/** A typed EventEmitter. Listener errors are the listener's problem: emit never throws into a request. */
export class EmulatorEvents extends EventEmitter<EmulatorEventMap> {
  private seq = 0;

  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  safeEmit<K extends keyof EmulatorEventMap>(event: K, ...args: EmulatorEventMap[K]): void {
    if (this.listenerCount(event) === 0) return;
    try {
      (this.emit as (e: K, ...a: EmulatorEventMap[K]) => boolean)(event, ...args);
    } catch {
      // A broken console listener must not break the emulated service.
    }
  }
}
