import type { EmulatorControl, RequestEvent, WebhookAttempt } from '@amochan/amojo-emulator';
import { truncateBody, type EventBus } from './event-bus';
import type { OutboxWorker } from '../outbox/worker';
import type { OutboxEntry } from '../storage/types';

/**
 * Feeds the sandbox event bus from the edges main.ts owns: the embedded emulator (every signed
 * request it received, every webhook it sent us) and the outbox worker (every delivery outcome).
 * Returns a function that detaches everything.
 */
export function wireSandboxEvents(input: { bus: EventBus; emulator: EmulatorControl; worker: Pick<OutboxWorker, 'onOutcome'> }): () => void {
  const { bus, emulator } = input;

  const onRequest = (e: RequestEvent) =>
    bus.publish('amojo_request', {
      method: e.method,
      path: e.path,
      endpoint: e.endpoint,
      status: e.status,
      durationMs: e.durationMs,
      headers: { date: e.headers.date, contentMd5: e.headers.contentMd5, signature: e.headers.signature },
      errorType: e.errorType,
      reason: e.reason,
      requestBody: truncateBody(e.requestBody),
      responseBody: truncateBody(e.responseBody),
    });

  const onWebhook = (w: WebhookAttempt) =>
    bus.publish('amojo_webhook', {
      kind: w.kind,
      scopeId: w.scopeId,
      messageId: w.messageId,
      status: w.status,
      ok: w.ok,
      error: w.error ?? (w.dropped ? 'dropped by fault injection' : null),
      signature: w.signature,
      durationMs: w.durationMs,
      body: truncateBody(w.body),
    });

  emulator.on('request', onRequest);
  emulator.on('webhook', onWebhook);
  const stopOutcomes = input.worker.onOutcome((entry, outcome) =>
    bus.publish('outbox', {
      entryId: entry.id,
      destination: entry.destination,
      kind: entry.kind,
      outcome,
      attempts: entry.attempts,
      messageId: entry.messageId,
      label: entryLabel(entry),
      error: outcome === 'delivered' ? null : entry.lastError,
    }),
  );
  return () => {
    emulator.off('request', onRequest);
    emulator.off('webhook', onWebhook);
    stopOutcomes();
  };
}

const STATUS_NAMES: Record<number, string> = { 1: 'delivered', 2: 'read', [-1]: 'failed' };

/** A human name for an entry: the provider event type, or the amojo call. */
function entryLabel(entry: OutboxEntry): string | null {
  const payload = entry.payload as { type?: unknown; status?: unknown } | null;
  if (entry.destination === 'provider' && typeof payload?.type === 'string') return payload.type;
  if (entry.kind === 'delivery_status' && typeof payload?.status === 'number') return `delivery_status ${STATUS_NAMES[payload.status] ?? payload.status}`;
  return entry.kind;
}
