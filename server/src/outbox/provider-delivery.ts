import { AmojoNetworkError, DELIVERY_ERROR, DELIVERY_STATUS, fetchWithTimeout, parseRetryAfter, type TimedResponse } from '@amochan/amojo';
import type { Clock } from '../lib/clock';
import type { FetchFn } from '../lib/http-fetch';
import type { IdGenerator } from '../lib/ids';
import { PROVIDER_SIGNATURE_HEADER, signProviderEvent } from './provider-signature';
import type { OutboxEffects, OutboxEntry, Store } from '../storage/types';
import { deliveryStatusEntry } from '../storage/amojo-entries';
import { delivered, permanent, retryable, type DeliveryFailure, type DeliveryHandler } from './types';

/**
 * Delivers provider events: POST $PROVIDER_WEBHOOK_URL with the event as JSON, signed with
 * X-Amochan-Signature. 2xx = accepted; 408, 429, 5xx, timeouts and network errors are retried;
 * any other answer is permanent. A manager's message the provider refuses (or never accepts) is
 * reported to amoCRM as delivery_status -1, so it is never silently dropped.
 */

export interface ProviderDeliveryOptions {
  url: string | undefined;
  secret: string | undefined;
  timeoutMs: number;
  clock: Clock;
  ids: IdGenerator;
  /** For the dead-letter report: the message row tells which scope / amojo message to report on. */
  store: Pick<Store, 'messages'>;
  fetch?: FetchFn;
  userAgent?: string;
}

/** Longest failure text passed on to amoCRM (it is shown to the manager). */
export const MAX_REMOTE_TEXT = 500;

interface ProviderEventLike {
  id?: unknown;
  type?: unknown;
}

/** The provider's own explanation: `{"error":{"message"}}`, `{"error":"…"}`, `{"message"}` or the plain body. */
export function extractRemoteText(body: string): string | undefined {
  const text = body.trim();
  if (text === '') return undefined;
  let picked: unknown = text;
  try {
    const json = JSON.parse(text) as Record<string, unknown> | null;
    if (json && typeof json === 'object') {
      const err = json.error as Record<string, unknown> | string | undefined;
      picked = typeof err === 'string' ? err : typeof err?.message === 'string' ? err.message : typeof json.message === 'string' ? json.message : text;
    }
  } catch {
    // Not JSON: the body text itself is the explanation.
  }
  const s = String(picked).replace(/\s+/g, ' ').trim();
  if (s === '') return undefined;
  return s.length > MAX_REMOTE_TEXT ? `${s.slice(0, MAX_REMOTE_TEXT - 1)}…` : s;
}

export function createProviderDelivery(options: ProviderDeliveryOptions): DeliveryHandler {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const userAgent = options.userAgent ?? 'amochan/0.1';

  return {
    async deliver(entry) {
      if (!options.url) {
        return permanent('PROVIDER_WEBHOOK_URL is not set: events for the provider cannot be delivered; set it and run `outbox retry --dead`');
      }
      const event = (entry.payload ?? {}) as ProviderEventLike;
      const body = JSON.stringify(entry.payload);
      const now = options.clock.now();
      const headers: Record<string, string> = { 'Content-Type': 'application/json', 'User-Agent': userAgent };
      if (options.secret) headers[PROVIDER_SIGNATURE_HEADER] = signProviderEvent(body, options.secret, now);
      if (typeof event.id === 'string') headers['X-Amochan-Event-Id'] = event.id;
      if (typeof event.type === 'string') headers['X-Amochan-Event-Type'] = event.type;

      let res: TimedResponse;
      try {
        // redirect: manual — following a 30x would turn the POST into a GET and lose the event.
        res = await fetchWithTimeout(doFetch, options.url, { method: 'POST', headers, body, redirect: 'manual' }, options.timeoutMs);
      } catch (err) {
        if (err instanceof AmojoNetworkError && err.code === 'timeout') return retryable(`the provider did not answer within ${options.timeoutMs} ms`);
        return retryable(`could not reach the provider at PROVIDER_WEBHOOK_URL (${networkCause(err)})`);
      }

      const { status, text } = res;
      if (status >= 200 && status < 300) return delivered();
      const remoteText = extractRemoteText(text);
      const what = `the provider answered ${status}${remoteText ? `: ${remoteText}` : ''}`;
      const extra = remoteText ? { remoteText } : {};
      if (status === 408 || status === 429 || status >= 500) {
        const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), now);
        return retryable(what, retryAfterMs === undefined ? extra : { ...extra, retryAfterMs });
      }
      if (status >= 300 && status < 400) return permanent(`${what} (a redirect; set PROVIDER_WEBHOOK_URL to the final URL)`, extra);
      return permanent(what, extra);
    },

    async onDead(entry, failure) {
      return reportUndelivered(entry, failure, options);
    },
  };
}

/** The socket-level reason (ECONNREFUSED…) under the coded network error, for the operator. */
function networkCause(err: unknown): string {
  const fetchError = (err as { cause?: unknown })?.cause ?? err;
  const cause = (fetchError as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (fetchError as Error)?.message ?? String(fetchError);
}

/**
 * A manager's message that will not reach the customer: amoCRM shows it as failed, with the
 * provider's text (905 "other") or, when there is none, 903 "internal error".
 */
async function reportUndelivered(entry: OutboxEntry, failure: DeliveryFailure, options: ProviderDeliveryOptions): Promise<OutboxEffects | undefined> {
  const event = entry.payload as ProviderEventLike;
  if (event?.type !== 'message.created' || !entry.messageId) return undefined;
  const message = await options.store.messages.get(entry.messageId);
  if (!message?.amojoMsgId) return undefined;
  const status = failure.permanent ? 'failed' : 'dead';
  return {
    message: { id: message.id, patch: { status, lastError: failure.error } },
    enqueue: [
      deliveryStatusEntry(options.ids, {
        scopeId: message.scopeId,
        amojoMsgId: message.amojoMsgId,
        messageId: message.id,
        status: DELIVERY_STATUS.error,
        ...(failure.remoteText ? { errorCode: DELIVERY_ERROR.other, error: failure.remoteText } : { errorCode: DELIVERY_ERROR.internalError }),
      }),
    ],
  };
}
