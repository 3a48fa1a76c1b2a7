import type { IdGenerator } from '../lib/ids';
import type { NewOutboxEntry } from '../storage/types';

/**
 * Events for the provider, in the contract's shape:
 * `{"id":"evt_…","type":…,"created_at":<ms>,"account":"<login>","data":{…}}`.
 * Built here only, so every producer (connection service, webhook intake) agrees on the envelope.
 */
export type ProviderEventType =
  | 'message.created'
  | 'message.failed'
  | 'typing'
  | 'reaction'
  | 'account.connected'
  | 'account.disconnected'
  | 'account.reauthorization_required';

export interface ProviderEvent<D = Record<string, unknown>> {
  id: string;
  type: ProviderEventType;
  created_at: number;
  account: string;
  /** The provider channel the event concerns; null for account-wide events. Absent on older producers. */
  channel?: string | null;
  data: D;
}

export function buildProviderEvent<D extends Record<string, unknown>>(input: {
  type: ProviderEventType;
  /** The provider login the event concerns. */
  account: string;
  data: D;
  now: number;
  ids: IdGenerator;
  /** Set (null included) to put `channel` on the envelope. */
  channel?: string | null;
}): ProviderEvent<D> {
  const channel = input.channel !== undefined ? { channel: input.channel } : {};
  return { id: input.ids('evt'), type: input.type, created_at: input.now, account: input.account, ...channel, data: input.data };
}

/** Account-level events share one ordering key per login, so connected/disconnected arrive in order. */
export const accountOrderingKey = (login: string): string => `acct:${login}`;

/** The outbox entry that delivers an account-level event to the provider. */
export function accountEventEntry(event: ProviderEvent, ids: IdGenerator): NewOutboxEntry {
  return {
    id: ids('obx'),
    destination: 'provider',
    kind: 'event',
    orderingKey: accountOrderingKey(event.account),
    payload: event,
    messageId: null,
  };
}
