import type { AmojoClient } from '@amochan/amojo';
import type { Config } from './config';
import type { Clock } from './lib/clock';
import type { EventBus } from './lib/event-bus';
import type { IdGenerator } from './lib/ids';
import type { Lifecycle } from './lib/lifecycle';
import type { Logger } from './lib/logger';
import type { Metrics } from './lib/metrics';
import type { WakeSignal } from './lib/wake-signal';
import type { SandboxDeps } from './sandbox/types';
import type { CredentialVerifier } from './services/credentials/types';
import type { Store } from './storage/types';

/**
 * Everything the HTTP app and the services need, built once by main.ts (or by a test). Nothing below
 * main.ts reads process.env or opens connections itself: if a test would need to mock one of our own
 * modules, the missing seam belongs here.
 */
export interface AppDeps {
  config: Config;
  store: Store;
  logger: Logger;
  clock: Clock;
  ids: IdGenerator;
  /** The signed Chats API client (real amojo, or the embedded emulator in sandbox mode). */
  amojo: AmojoClient;
  /** Checks provider credentials typed into the widget (local accounts or the provider's auth URL). */
  verifier: CredentialVerifier;
  /** Wakes the outbox worker after a commit that enqueued entries. */
  outboxSignal: WakeSignal;
  /** Register stop functions for anything holding resources; main.ts runs them on SIGTERM/SIGINT. */
  lifecycle: Lifecycle;
  /**
   * S5: Prometheus metrics on a per-app registry (main.ts creates it). Optional so hand-built test
   * deps keep working: createApp then makes a private one, and GET /metrics still answers.
   */
  metrics?: Metrics;
  // SANDBOX (issue 7): both set by main.ts in sandbox mode only; undefined in production.
  /** What crossed each edge, for the sandbox console's live log. */
  events?: EventBus;
  /** The embedded emulator and demo identities the sandbox console drives. */
  sandbox?: SandboxDeps;
}
