import type { Server } from 'node:http';
import type { RunningEmulator } from '@amochan/amojo-emulator';
import { startEmulator } from '@amochan/amojo-emulator';
import { loadConfig } from '../../src/config';
import type { AppDeps } from '../../src/deps';
import { createSilentLogger } from '../../src/lib/logger';
import { createMetrics, type Metrics } from '../../src/lib/metrics';
import { observeDeliveries } from '../../src/outbox/delivery-metrics';
import { createRelayWorker } from '../../src/outbox/relay-worker';
import type { OutboxWorker } from '../../src/outbox/worker';
import type { Connection, Store } from '../../src/storage/types';
import { connectAccount, createTestDeps, makeStore, relayEnv, serveApp, type StoreKind } from './app-factory';
import { startProviderServer, type ProviderServer } from './provider-server';

/**
 * Set-up for the reliability tests (metrics, leases, retention, reconciler): the app over the
 * memory store or a private SQLite database, with its
 * own metrics registry (as main.ts wires it), the emulator and a provider on loopback, and a
 * connected account `alice`. The app listens on 127.0.0.1:0 so supertest reuses one server.
 */

export interface StackHarness {
  kind: StoreKind;
  emulator: RunningEmulator;
  provider: ProviderServer;
  store: Store;
  deps: AppDeps;
  metrics: Metrics;
  server: Server;
  url: string;
  worker: OutboxWorker;
  connection: Connection;
  close(): Promise<void>;
}

export async function createStackHarness(kind: StoreKind, env: Record<string, string> = {}, options: { startWorker?: boolean } = {}): Promise<StackHarness> {
  const emulator = await startEmulator();
  const provider = await startProviderServer();
  const config = loadConfig({ ...relayEnv(emulator, provider.url), WIDGET_RATE_LIMIT_PER_IP: '1000000', WIDGET_RATE_LIMIT_PER_LOGIN: '1000000', ...env });
  const store = makeStore(kind);
  const metrics = createMetrics({ outbox: store.outbox });
  const deps = createTestDeps({ config, store, logger: createSilentLogger(), emulator, metrics });
  const served = await serveApp(deps, emulator);
  const worker = createRelayWorker(deps);
  observeDeliveries(worker, metrics);
  if (options.startWorker) worker.start();

  const connection = await connectAccount(store, deps.amojo, 'alice');
  await store.accounts.upsert({ login: 'alice', passwordHash: 'scrypt$not-a-real-hash', createdAt: Date.now() });

  return {
    kind,
    emulator,
    provider,
    store,
    deps,
    metrics,
    server: served.server,
    url: served.url,
    worker,
    connection,
    async close() {
      await worker.stop();
      await served.close();
      await emulator.close();
      await provider.close();
      await store.close();
    },
  };
}

/** Everything a rejected request must leave untouched. */
export async function storeCounts(store: Store): Promise<Record<string, unknown>> {
  return {
    messages: await store.messages.count(),
    receipts: await store.receipts.count(),
    outbox: await store.outbox.countByState(),
    conversations: (await store.conversations.listActiveSince(0, 1_000_000)).length,
    connections: (await store.connections.list()).map((c) => `${c.amojoAccountId}:${c.status}:${c.pipelineId}`),
    accounts: (await store.accounts.list()).map((a) => a.login),
  };
}
