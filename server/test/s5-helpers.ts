import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAmojoClient, noRetry } from '@amochan/amojo';
import { startEmulator, type RunningEmulator } from '@amochan/amojo-emulator';
import { loadConfig } from '../src/config';
import type { AppDeps } from '../src/deps';
import { createApp } from '../src/http/app';
import { createId } from '../src/lib/ids';
import { createLifecycle } from '../src/lib/lifecycle';
import { createSilentLogger } from '../src/lib/logger';
import { createMetrics, type Metrics } from '../src/lib/metrics';
import { createWakeSignal } from '../src/lib/wake-signal';
import { observeDeliveries } from '../src/outbox/delivery-metrics';
import { createRelayWorker } from '../src/outbox/relay-worker';
import type { OutboxWorker } from '../src/outbox/worker';
import { createCredentialVerifier } from '../src/services/credentials';
import { createMemoryStore } from '../src/storage/memory/store';
import { createSqliteStore } from '../src/storage/sqlite/store';
import type { Connection, Store } from '../src/storage/types';
import { API_TOKEN, startProviderServer, WEBHOOK_SECRET, type ProviderServer } from './s2-helpers';

/**
 * Set-up for the s5-* tests: the app over the memory store or a private SQLite database, with its
 * own metrics registry (as main.ts wires it), the emulator and a provider on loopback, and a
 * connected account `alice`. The app listens on 127.0.0.1:0 so supertest reuses one server.
 */

export type StoreKind = 'memory' | 'sqlite';

export interface S5Harness {
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

export const makeStore = (kind: StoreKind): Store => (kind === 'memory' ? createMemoryStore() : createSqliteStore({ filename: ':memory:' }));

export async function createS5Harness(kind: StoreKind, env: Record<string, string> = {}, options: { startWorker?: boolean } = {}): Promise<S5Harness> {
  const emulator = await startEmulator();
  const provider = await startProviderServer(WEBHOOK_SECRET);
  const config = loadConfig({
    AMOJO_CHANNEL_ID: emulator.channelId,
    AMOJO_CHANNEL_SECRET: emulator.secret,
    AMOJO_BASE_URL: emulator.url,
    PROVIDER_API_TOKEN: API_TOKEN,
    PROVIDER_WEBHOOK_URL: provider.url,
    PROVIDER_WEBHOOK_SECRET: WEBHOOK_SECRET,
    DATABASE_URL: 'memory:',
    OUTBOX_BASE_DELAY_MS: '5',
    OUTBOX_MAX_DELAY_MS: '20',
    OUTBOX_POLL_MS: '20',
    OUTBOX_MAX_ATTEMPTS: '4',
    PROVIDER_WEBHOOK_TIMEOUT_MS: '2000',
    WIDGET_RATE_LIMIT_PER_IP: '1000000',
    WIDGET_RATE_LIMIT_PER_LOGIN: '1000000',
    ...env,
  });
  const store = makeStore(kind);
  const logger = createSilentLogger();
  const metrics = createMetrics({ outbox: store.outbox });
  const amojo = createAmojoClient({ baseUrl: emulator.url, channelId: emulator.channelId, secret: emulator.secret, retry: noRetry });
  const deps: AppDeps = {
    config,
    store,
    logger,
    clock: { now: () => Date.now() },
    ids: createId,
    amojo,
    verifier: createCredentialVerifier({ config, store, logger }),
    outboxSignal: createWakeSignal(),
    lifecycle: createLifecycle(),
    metrics,
  };
  const server = await new Promise<Server>((resolve) => {
    const s = createApp(deps).listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  emulator.control.setWebhookUrl(`${url}/amojo/v1/webhook/:scope_id`);
  const worker = createRelayWorker(deps);
  observeDeliveries(worker, metrics);
  if (options.startWorker) worker.start();

  const amojoAccountId = randomUUID();
  const res = await amojo.connect({ account_id: amojoAccountId, title: 'test' });
  const now = Date.now();
  const connection: Connection = {
    amojoAccountId, login: 'alice', scopeId: res.scope_id, title: 'test', status: 'connected',
    amocrmAccountId: null, pipelineId: null, connectedAt: now, disconnectedAt: null, updatedAt: now,
  };
  await store.connections.save(connection);
  await store.accounts.upsert({ login: 'alice', passwordHash: 'scrypt$not-a-real-hash', createdAt: now });

  return {
    kind, emulator, provider, store, deps, metrics, server, url, worker, connection,
    async close() {
      await worker.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
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

/** Minimal check of the Prometheus text exposition format (0.0.4). */
export function assertPrometheusText(text: string): void {
  const sample = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? (-?[0-9.]+(e[+-]?[0-9]+)?|[Nn]a[Nn]|[+-]Inf)( -?[0-9]+)?$/;
  // (prom-client prints NaN as "Nan"; Prometheus parses floats case-insensitively, as Go does.)
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    if (!sample.test(line)) throw new Error(`not a Prometheus sample line: ${line}`);
  }
}

/** The value of one sample, e.g. metricValue(text, 'amochan_x_total', {kind: 'message'}). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([^{ ]+)(\{(.*)\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[3] ?? '').matchAll(/([a-zA-Z_]+)="((?:\\.|[^"\\])*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[4]);
  }
  return undefined;
}
