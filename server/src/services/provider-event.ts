import type { IdGenerator } from '../lib/ids';
import type { NewOutboxEntry } from '../storage/types';

/**
 * Events for the provider, in the contract's shape:
 * `{"id":"evt_…","type":…,"created_at":<ms>,"account":"<login>","channel":<id>|null,"data":{…}}`.
 * `channel` names the provider channel (number, bot) the event concerns; null for the implicit
 * channel of a login that declared none, and for account-level events.
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
  channel: string | null;
  data: D;
}

export function buildProviderEvent<D extends Record<string, unknown>>(input: {
  type: ProviderEventType;
  /** The provider login the event concerns. */
  account: string;
  /** The provider's channel id (wire form: null for the implicit channel); null when absent. */
  channel?: string | null;
  data: D;
  now: number;
  ids: IdGenerator;
}): ProviderEvent<D> {
  return { id: input.ids('evt'), type: input.type, created_at: input.now, account: input.account, channel: input.channel ?? null, data: input.data };
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
