import { performance } from 'node:perf_hooks';
import { hookSignature } from '../wire/signature';
import type { EmulatorEvents, WebhookAttempt } from '../events';
import type { FaultInjector } from '../faults';
import type { ChannelRecord } from '../state/types';

export const WEBHOOK_USER_AGENT = 'amoCRM amoJo/1.0';
/** Enough history for any test; a long sandbox session must not grow without bound. */
const MAX_LOG = 1000;

export interface WebhookSenderDeps {
  fetch: typeof fetch;
  clock: () => number;
  timeoutMs: number;
  faults: FaultInjector;
  events: EmulatorEvents;
}

export interface OutgoingHook {
  channel: ChannelRecord;
  scopeId: string;
  kind: WebhookAttempt['kind'];
  messageId: string | null;
  payload: unknown;
}

export function callbackUrl(template: string, scopeId: string): string {
  return template.split(':scope_id').join(encodeURIComponent(scopeId));
}

/**
 * Sends hooks as amojo does: once, never retried, giving up after the timeout; only an HTTP 200
 * counts. Every attempt is logged, so tests can see exactly what a receiver was (or was not) sent.
 */
export class WebhookSender {
  private readonly log: WebhookAttempt[] = [];
  private seq = 0;

  constructor(private readonly deps: WebhookSenderDeps) {}

  entries(): WebhookAttempt[] {
    return this.log.map((a) => ({ ...a }));
  }

  clear(): void {
    this.log.length = 0;
  }

  async send(hook: OutgoingHook): Promise<WebhookAttempt> {
    const body = JSON.stringify(hook.payload);
    const signature = hookSignature(hook.channel.secret, body);
    const url = hook.channel.webhookUrl === null ? null : callbackUrl(hook.channel.webhookUrl, hook.scopeId);
    this.seq += 1;
    const attempt: WebhookAttempt = {
      seq: this.seq,
      at: this.deps.clock(),
      kind: hook.kind,
      channelId: hook.channel.id,
      scopeId: hook.scopeId,
      messageId: hook.messageId,
      url,
      body,
      signature,
      status: null,
      ok: false,
      error: null,
      dropped: false,
      durationMs: 0,
    };
    if (this.deps.faults.takeWebhookDrop()) {
      attempt.dropped = true;
      attempt.error = 'dropped by dropWebhooks';
    } else if (url === null) {
      attempt.error = 'no webhook URL configured for the channel (setWebhookUrl)';
    } else {
      await this.post(url, body, signature, attempt);
    }
    this.record(attempt);
    return { ...attempt };
  }

  private async post(url: string, body: string, signature: string, attempt: WebhookAttempt): Promise<void> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.deps.timeoutMs);
    const started = performance.now();
    try {
      const res = await this.deps.fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Signature': signature, 'User-Agent': WEBHOOK_USER_AGENT },
        body,
        signal: controller.signal,
        redirect: 'manual',
      });
      attempt.status = res.status;
      attempt.ok = res.status === 200;
      // Drain the answer (within the same timeout) so the connection is reusable; its content is not used.
      await res.arrayBuffer().catch(() => undefined);
      if (!attempt.ok) attempt.error = `receiver answered ${res.status}`;
    } catch (err) {
      attempt.error = controller.signal.aborted
        ? `timeout after ${this.deps.timeoutMs} ms`
        : `network error: ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      clearTimeout(timer);
      attempt.durationMs = Math.round((performance.now() - started) * 1000) / 1000;
    }
  }

  private record(attempt: WebhookAttempt): void {
    this.log.push(attempt);
    if (this.log.length > MAX_LOG) this.log.splice(0, this.log.length - MAX_LOG);
    this.deps.events.safeEmit('webhook', { ...attempt });
  }
}
