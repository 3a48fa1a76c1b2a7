import type { Config } from './config';
import type { Lifecycle } from './lib/lifecycle';
import type { Metrics } from './lib/metrics';
import type { RuntimeDeps } from './outbox/runtime-deps';
import type { AmocrmServices } from './services/amocrm-services';
import type { Services } from './services/build-services';
import type { CredentialVerifier } from './services/credentials/types';

/**
 * Everything the HTTP app, the worker and the services need, built once by build-deps.ts (for
 * main.ts, the CLI and the tests alike).
 * Nothing below main.ts reads process.env or opens connections itself: if a test would need to mock
 * one of our own modules, the missing seam belongs here.
 */
export interface AppDeps extends RuntimeDeps {
  config: Config;
  /** Checks provider credentials typed into the widget (local accounts or the provider's auth URL). */
  verifier: CredentialVerifier;
  /** Register stop functions for anything holding resources; main.ts runs them on SIGTERM/SIGINT. */
  lifecycle: Lifecycle;
  /**
   * Prometheus metrics on a per-app registry (main.ts creates it). Optional so hand-built test deps
   * keep working: createApp then makes a private one, and GET /metrics still answers.
   */
  metrics?: Metrics;
  /** amoCRM REST (tokens, sources, pipelines), built once; absent without the OAuth integration configured. */
  amocrm?: AmocrmServices | undefined;
  /** The domain services, built once by buildServices and shared by every route, worker and job. */
  services: Services;
}
