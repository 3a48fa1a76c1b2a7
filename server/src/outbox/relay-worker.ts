import type { AmojoClient } from '@amochan/amojo';
import type { Config } from '../config';
import type { FetchFn } from '../lib/http-fetch';
import { createAmocrmSourcesDelivery } from './amocrm-sources-delivery';
import { createAmojoDelivery } from './amojo-delivery';
import { createProviderDelivery } from './provider-delivery';
import type { RuntimeDeps } from './runtime-deps';
import { createDestinationRouter, type FailedMessageEvents } from './types';
import { createOutboxWorker, type OutboxWorker } from './worker';

/**
 * The worker as the server runs it: amojo entries through the Chats API client, provider events
 * through signed HTTP, knobs from the config. main.ts starts it after listen and stops it on
 * shutdown; tests build the same thing over the memory store.
 */
export interface RelayWorkerOptions {
  /** A client for the worker alone, ideally without in-request retries (the outbox owns retries). */
  amojo?: AmojoClient;
  fetch?: FetchFn;
}

export interface RelayWorkerDeps extends RuntimeDeps {
  config: Config;
  /** Structural, so AppDeps (whose services supply it) can be passed as they are. */
  services?: { failedMessages?: FailedMessageEvents };
}

export function createRelayWorker(deps: RelayWorkerDeps, options: RelayWorkerOptions = {}): OutboxWorker {
  const { config, store, clock, ids } = deps;
  const logger = deps.logger.child({ component: 'outbox' });
  const handler = createDestinationRouter({
    amojo: createAmojoDelivery({ amojo: options.amojo ?? deps.amojo, store, clock, logger, failedMessages: deps.services?.failedMessages }),
    provider: createProviderDelivery({
      url: config.PROVIDER_WEBHOOK_URL,
      secret: config.PROVIDER_WEBHOOK_SECRET,
      timeoutMs: config.PROVIDER_WEBHOOK_TIMEOUT_MS,
      clock,
      ids,
      store,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    }),
    amocrm: createAmocrmSourcesDelivery({ rest: deps.amocrm?.rest, store, clock, logger }),
  });
  return createOutboxWorker({
    outbox: store.outbox,
    handler,
    clock,
    logger,
    signal: deps.outboxSignal,
    concurrency: config.OUTBOX_CONCURRENCY,
    pollMs: config.OUTBOX_POLL_MS,
    maxAttempts: config.OUTBOX_MAX_ATTEMPTS,
    leaseMs: config.OUTBOX_LEASE_MS,
    backoff: { baseDelayMs: config.OUTBOX_BASE_DELAY_MS, maxDelayMs: config.OUTBOX_MAX_DELAY_MS, jitter: 0.5 },
  });
}
