import { amojoErrorBody, EmulatorError } from './errors';

/**
 * Fault injection, shared by the API dispatcher and the webhook sender. Counters, not timers: a
 * test says "the next 2 requests fail" and gets exactly that, whatever the timing.
 */

export interface InjectedFailure {
  status: number;
  /** An object is sent as JSON; a string is sent verbatim (a proxy's HTML error page, say). */
  body: unknown;
  headers: Record<string, string>;
}

export interface FailNextOptions {
  /** Seconds (or an HTTP date) for the Retry-After header, as a 429/503 would carry. */
  retryAfter?: number | string;
  headers?: Record<string, string>;
}

export type DropWebhooks = number | 'all';

export interface FaultState {
  failNext: { remaining: number; status: number } | null;
  latencyMs: number;
  dropWebhooks: DropWebhooks;
}

const DEFAULT_FAULT_TYPES: Record<number, [string, string]> = {
  429: ['ORIGIN_TOO_MANY_REQUESTS', 'too many requests'],
  500: ['ORIGIN_INTERNAL_ERROR', 'internal error'],
  502: ['ORIGIN_BAD_GATEWAY', 'bad gateway'],
  503: ['ORIGIN_SERVICE_UNAVAILABLE', 'service unavailable'],
  504: ['ORIGIN_GATEWAY_TIMEOUT', 'gateway timeout'],
};

export class FaultInjector {
  private failure: InjectedFailure | null = null;
  private failuresLeft = 0;
  private latency = 0;
  private drops: DropWebhooks = 0;

  failNext(count: number, status: number, body?: unknown, options: FailNextOptions = {}): void {
    if (!Number.isInteger(count) || count < 0) throw new EmulatorError('invalid_argument', 'failNext: count must be a non-negative integer');
    if (!Number.isInteger(status) || status < 100 || status > 599) throw new EmulatorError('invalid_argument', 'failNext: status must be an HTTP status');
    const [type, description] = DEFAULT_FAULT_TYPES[status] ?? ['ORIGIN_INJECTED_FAULT', `injected ${status}`];
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.retryAfter !== undefined) headers['Retry-After'] = String(options.retryAfter);
    this.failure = { status, body: body ?? amojoErrorBody(status, type, description), headers };
    this.failuresLeft = count;
  }

  /** Consumes one injected failure, if any are left. */
  takeFailure(): InjectedFailure | null {
    if (this.failuresLeft <= 0 || this.failure === null) return null;
    this.failuresLeft -= 1;
    return this.failure;
  }

  setLatency(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new EmulatorError('invalid_argument', 'latency: ms must be a non-negative number');
    this.latency = ms;
  }

  get latencyMs(): number {
    return this.latency;
  }

  dropWebhooks(what: DropWebhooks): void {
    if (what !== 'all' && (!Number.isInteger(what) || what < 0)) {
      throw new EmulatorError('invalid_argument', "dropWebhooks: expected a non-negative integer or 'all'");
    }
    this.drops = what;
  }

  /** Whether the next hook is to be swallowed; consumes one from a counted drop. */
  takeWebhookDrop(): boolean {
    if (this.drops === 'all') return true;
    if (this.drops <= 0) return false;
    this.drops -= 1;
    return true;
  }

  clear(): void {
    this.failure = null;
    this.failuresLeft = 0;
    this.latency = 0;
    this.drops = 0;
  }

  state(): FaultState {
    return {
      failNext: this.failure && this.failuresLeft > 0 ? { remaining: this.failuresLeft, status: this.failure.status } : null,
      latencyMs: this.latency,
      dropWebhooks: this.drops,
    };
  }
}
