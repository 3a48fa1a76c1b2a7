import type { AmojoClient } from '@amochan/amojo';
import type { Config } from './config';
import type { AppDeps } from './deps';
import { systemClock, type Clock } from './lib/clock';
import { createId, type IdGenerator } from './lib/ids';
import type { Lifecycle } from './lib/lifecycle';
import type { Logger } from './lib/logger';
import type { Metrics } from './lib/metrics';
import { createWakeSignal } from './lib/wake-signal';
import { buildAmocrmServices, type AmocrmServices } from './services/amocrm-services';
import { buildServices, type Services } from './services/build-services';
import { createCredentialVerifier } from './services/credentials';
import type { Store } from './storage/types';

/**
 * The one place AppDeps are put together from a config, a store and an amojo client: the credential
 * verifier, the amoCRM REST side (with its cross-instance refresh lock and its reauthorization
 * notice), the outbox wake signal and the services. main.ts, the CLI and the tests' app factory all
 * call it, so what a test runs is what production runs.
 */
export interface AppDepsInput {
  config: Config;
  store: Store;
  logger: Logger;
  /** The Chats API client of routes and services: the configured channel, or the sandbox's emulator. */
  amojo: AmojoClient;
  lifecycle: Lifecycle;
  /** Default: the system clock. */
  clock?: Clock;
  /** Default: createId. */
  ids?: IdGenerator;
  /** Absent: no metrics (createApp then keeps a private registry for GET /metrics). */
  metrics?: Metrics;
}

export function buildAppDeps(input: AppDepsInput): AppDeps {
  const { config, store, logger } = input;
  const clock = input.clock ?? systemClock;
  // The token manager's reauthorization notice goes to the installation service, which is built
  // from the amoCRM side: the notice reaches it through this binding once it exists.
  let services: Services | undefined;
  const amocrm: AmocrmServices | undefined = buildAmocrmServices({
    config,
    store,
    clock,
    logger,
    // A refresh token is single-use: one account's refreshes are serialised across every instance.
    withAccountLock: (id, work) => store.shared.locks.withLock(`amocrm-token:${id}`, work),
    onReauthorizationRequired: (installation) => services?.installations.reauthorizationRequired(installation),
  });
  const infra = {
    config,
    store,
    logger,
    clock,
    ids: input.ids ?? createId,
    amojo: input.amojo,
    verifier: createCredentialVerifier({ config, store, logger }),
    // Woken by this process's own commits; main.ts also wakes it on other instances' (LISTEN/NOTIFY).
    outboxSignal: createWakeSignal(),
    lifecycle: input.lifecycle,
    ...(input.metrics ? { metrics: input.metrics } : {}),
    ...(amocrm ? { amocrm } : {}),
  };
  services = buildServices(infra);
  return { ...infra, services };
}
