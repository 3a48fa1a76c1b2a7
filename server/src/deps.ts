import type { AmojoClient } from '@amochan/amojo';
import type { Config } from './config';
import type { Clock } from './lib/clock';
import type { IdGenerator } from './lib/ids';
import type { Lifecycle } from './lib/lifecycle';
import type { Logger } from './lib/logger';
import type { Metrics } from './lib/metrics';
import type { WakeSignal } from './lib/wake-signal';
import type { Services } from './services/build-services';
import type { CredentialVerifier } from './services/credentials/types';
import type { Store } from './storage/types';

/**
 * Everything the HTTP app, the worker and the services need, built once by main.ts (or by a test).
 * Nothing below main.ts reads process.env or opens connections itself: if a test would need to mock
 * one of our own modules, the missing seam belongs here.
 */
export interface AppDeps {
  config: Config;
  store: Store;
  logger: Logger;
  clock: Clock;
  ids: IdGenerator;
  /** The signed Chats API client (real amojo, or whatever target main.ts was given). */
  amojo: AmojoClient;
  /** Checks provider credentials typed into the widget (local accounts or the provider's auth URL). */
  verifier: CredentialVerifier;
  /** Wakes the outbox worker after a commit that enqueued entries. */
  outboxSignal: WakeSignal;
  /** Register stop functions for anything holding resources; main.ts runs them on SIGTERM/SIGINT. */
  lifecycle: Lifecycle;
  /**
   * Prometheus metrics on a per-app registry (main.ts creates it). Optional so hand-built test deps
   * keep working: createApp then makes a private one, and GET /metrics still answers.
   */
  metrics?: Metrics;
  /** The domain services, built once by buildServices and shared by every route, worker and job. */
  services: Services;
}
