import { randomUUID } from 'node:crypto';
import { createAmojoClient, noRetry, type AmojoClient } from '@amochan/amojo';
import type { RunningEmulator } from '@amochan/amojo-emulator';
import { buildAppDeps } from '../../src/build-deps';
import type { AppDeps } from '../../src/deps';
import { createApp, type HttpPlugin } from '../../src/http/app';
import type { Clock } from '../../src/lib/clock';
import type { FetchFn } from '../../src/lib/http-fetch';
import { createLifecycle, type Lifecycle } from '../../src/lib/lifecycle';
import type { Metrics } from '../../src/lib/metrics';
import { createMemoryStore } from '../../src/storage/memory/store';
import { createSqliteStore } from '../../src/storage/sqlite/store';
import type { Connection, Store } from '../../src/storage/types';
import { connection } from './fixtures';
import { listenOnLoopback } from './loopback';
import { WEBHOOK_SECRET } from './provider-server';

/**
 * The one base of the in-process harnesses: AppDeps built by the server's own builder
 * (src/build-deps.ts, as main.ts and the CLI build them) over the test's config and store, with the
 * emulator on loopback as amojo; the app listening on 127.0.0.1; bindings made directly.
 *
 * Harnesses built on it (createTestDeps, and serveApp where the app listens):
 * - widget-harness.ts: the widget API through supertest (no listening app), a hand-moved clock, captured logs;
 * - oauth-harness.ts: widget-harness apps sharing one store and emulator, OAuth off and on;
 * - relay-harness.ts: relay tests, with a provider on loopback and a relay worker;
 * - stack-harness.ts: relay tests over memory or SQLite, with the app's metrics and a connected account;
 * - amocrm-stack.ts: OAuth against the emulator's amoCRM, the integration installed, a running worker;
 * - sandbox-harness.ts: the real sandbox plug-in (startSandboxMode) over these deps, its worker stepped by hand.
 * The process harnesses (server-process.ts, cluster.ts, pg-cluster.ts) do not build on it: they run the
 * built server (dist/main.js), which composes itself.
 */

export type StoreKind = 'memory' | 'sqlite';
export const makeStore = (kind: StoreKind): Store => (kind === 'memory' ? createMemoryStore() : createSqliteStore({ filename: ':memory:' }));

/** The provider API token of the relay tests, and the header that carries it. */
export const API_TOKEN = 'relay-provider-token';
export const auth = { Authorization: `Bearer ${API_TOKEN}` };

type Emulator = Pick<RunningEmulator, 'url' | 'channelId' | 'secret'>;

/**
 * The channel settings that point the server at this emulator. Without OAuth install, which these
 * tests do not exercise, a production-mode server only starts with bindings left unverified.
 */
export const emulatorEnv = (emulator: Emulator): Record<string, string> => ({
  ALLOW_UNVERIFIED_BINDINGS: 'true',
  AMOJO_CHANNEL_ID: emulator.channelId,
  AMOJO_CHANNEL_SECRET: emulator.secret,
  AMOJO_BASE_URL: emulator.url,
});

/** Relay tests: the provider on `providerUrl`, and retries fast enough that an entry dies in well under a second. */
export const relayEnv = (emulator: Emulator, providerUrl: string): Record<string, string> => ({
  ...emulatorEnv(emulator),
  PROVIDER_API_TOKEN: API_TOKEN,
  PROVIDER_WEBHOOK_URL: providerUrl,
  PROVIDER_WEBHOOK_SECRET: WEBHOOK_SECRET,
  DATABASE_URL: 'memory:',
  OUTBOX_BASE_DELAY_MS: '5',
  OUTBOX_MAX_DELAY_MS: '20',
  OUTBOX_POLL_MS: '20',
  OUTBOX_MAX_ATTEMPTS: '4',
  PROVIDER_WEBHOOK_TIMEOUT_MS: '2000',
});

/** A Chats API client for this emulator that never retries inline (tests see every failure). */
export const amojoClientFor = (emulator: Emulator, fetch?: FetchFn): AmojoClient =>
  createAmojoClient({ baseUrl: emulator.url, channelId: emulator.channelId, secret: emulator.secret, retry: noRetry, ...(fetch ? { fetch } : {}) });

/** AppDeps as main.ts builds them (the same builder), over the test's config, store and logger and this emulator. */
export function createTestDeps(
  input: Pick<AppDeps, 'config' | 'store' | 'logger'> & { emulator: Emulator; clock?: Clock; metrics?: Metrics; lifecycle?: Lifecycle },
): AppDeps {
  return buildAppDeps({
    config: input.config,
    store: input.store,
    logger: input.logger,
    amojo: amojoClientFor(input.emulator),
    lifecycle: input.lifecycle ?? createLifecycle(),
    ...(input.clock ? { clock: input.clock } : {}),
    ...(input.metrics ? { metrics: input.metrics } : {}),
  });
}

export interface ServedApp {
  app: ReturnType<typeof createApp>;
  server: import('node:http').Server;
  url: string;
  close(): Promise<void>;
}

/** The app on 127.0.0.1:<free port>, with the emulator's hooks pointed at it. */
export async function serveApp(deps: AppDeps, emulator: Pick<RunningEmulator, 'control'>, plugin?: HttpPlugin): Promise<ServedApp> {
  const app = createApp(deps, plugin);
  const listening = await listenOnLoopback(app);
  emulator.control.setWebhookUrl(`${listening.url}/amojo/v1/webhook/:scope_id`);
  return { app, server: listening.server, url: listening.url, close: listening.close };
}

/** Connects a fresh amojo account at the emulator and stores the binding directly (no widget round trip). */
export async function connectAccount(store: Store, amojo: AmojoClient, login: string): Promise<Connection> {
  const amojoAccountId = randomUUID();
  const res = await amojo.connect({ account_id: amojoAccountId, title: 'test' });
  const now = Date.now();
  const bound = connection({ amojoAccountId, login, scopeId: res.scope_id, title: 'test', connectedAt: now, updatedAt: now });
  await store.connections.save(bound);
  return bound;
}
