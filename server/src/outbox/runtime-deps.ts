import type { AmojoClient } from '@amochan/amojo';
import type { AmocrmRestClient } from '../amocrm/rest-client';
import type { Clock } from '../lib/clock';
import type { IdGenerator } from '../lib/ids';
import type { Logger } from '../lib/logger';
import type { WakeSignal } from '../lib/wake-signal';
import type { Store } from '../storage/types';

/**
 * What every long-lived part of the server is built from: the relay worker here, the services and
 * the HTTP app above. Named once, at the lowest layer that uses all of it, so the lists cannot drift.
 */
export interface RuntimeDeps {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  /** Wakes the outbox worker after a commit that enqueued entries. */
  outboxSignal: WakeSignal;
  /** The signed Chats API client (real amojo, or whatever target main.ts was given). */
  amojo: AmojoClient;
  /** amoCRM REST on the accounts' behalf (services/amocrm-services.ts); absent without the OAuth integration. */
  amocrm?: { rest: AmocrmRestClient } | undefined;
}
