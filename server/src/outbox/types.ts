import type { NewOutboxEntry, OutboxEffects, OutboxEntry, StoredMessage } from '../storage/types';

/**
 * The contract between the outbox worker and the delivery functions. A delivery function never
 * touches the outbox itself: it reports what happened, and the worker turns that into exactly one
 * state change (complete / reschedule / kill) committed together with the reported effects.
 */

export interface DeliverySuccess {
  ok: true;
  /** Committed atomically with the completion (e.g. the message becomes `sent`). */
  effects?: OutboxEffects;
  /** Amojo already had this msgid (sent before a crash, recorded never): delivered, counted apart. */
  duplicate?: boolean;
}

export interface DeliveryFailure {
  ok: false;
  /** true = retrying cannot help (a 4xx other than 408/429, an invalid payload). */
  permanent: boolean;
  /** For logs and `lastError`: what happened, said so an operator knows what to do. */
  error: string;
  /** The remote side's own explanation, if it gave one (reported to amoCRM as the failure text). */
  remoteText?: string;
  /** The remote side asked us to wait this long (Retry-After). */
  retryAfterMs?: number;
}

export type DeliveryResult = DeliverySuccess | DeliveryFailure;

export interface DeliveryHandler {
  deliver(entry: OutboxEntry): Promise<DeliveryResult>;
  /**
   * Effects committed atomically with killing an entry (permanent failure or attempts exhausted),
   * e.g. telling amoCRM that a manager's message could not be delivered.
   */
  onDead?(entry: OutboxEntry, failure: DeliveryFailure): Promise<OutboxEffects | undefined> | OutboxEffects | undefined;
}

export const delivered = (effects?: OutboxEffects): DeliverySuccess => (effects ? { ok: true, effects } : { ok: true });

export const retryable = (error: string, extra: Omit<DeliveryFailure, 'ok' | 'permanent' | 'error'> = {}): DeliveryFailure => ({
  ok: false,
  permanent: false,
  error,
  ...extra,
});

export const permanent = (error: string, extra: Omit<DeliveryFailure, 'ok' | 'permanent' | 'error'> = {}): DeliveryFailure => ({
  ok: false,
  permanent: true,
  error,
  ...extra,
});

/** Routes each entry to the handler of its destination. */
export function createDestinationRouter(handlers: Partial<Record<OutboxEntry['destination'], DeliveryHandler>>): DeliveryHandler {
  return {
    deliver(entry) {
      const handler = handlers[entry.destination];
      if (!handler) return Promise.resolve(permanent(`no delivery handler for destination "${entry.destination}"`));
      return handler.deliver(entry);
    },
    onDead(entry, failure) {
      return handlers[entry.destination]?.onDead?.(entry, failure);
    },
  };
}

/**
 * Builds the provider event saying a message the provider sent will not reach amoCRM (failed or
 * dead after its 202). The services own the event shapes, so they supply it (Services.failedMessages),
 * and the outbox commits it together with the entry's death.
 */
export interface FailedMessageEvents {
  entryFor(message: StoredMessage, error: { code: 'rejected' | 'undeliverable'; message: string }, now: number): Promise<NewOutboxEntry>;
}
