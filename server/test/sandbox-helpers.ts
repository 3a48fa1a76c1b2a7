import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAmojoClient, noRetry } from '@amochan/amojo';
import { startEmulator, type RunningEmulator } from '@amochan/amojo-emulator';
import { loadConfig, type Config } from '../src/config';
import type { AppDeps } from '../src/deps';
import { createApp } from '../src/http/app';
import { createEventBus, type BusRecord, type EventBus } from '../src/lib/event-bus';
import { createId } from '../src/lib/ids';
import { createLifecycle } from '../src/lib/lifecycle';
import { createSilentLogger } from '../src/lib/logger';
import { createWakeSignal } from '../src/lib/wake-signal';
import { createRelayWorker } from '../src/outbox/relay-worker';
import type { OutboxWorker } from '../src/outbox/worker';
import { withDemoProviderUrl, withSandboxSecret } from '../src/sandbox/bootstrap';
import { SANDBOX_AMOJO_ID } from '../src/sandbox/types';
import { wireSandboxEvents } from '../src/sandbox/wire-events';
import { createCredentialVerifier } from '../src/services/credentials';
import { hashPassword } from '../src/services/credentials/password-hash';
import { createMemoryStore } from '../src/storage/memory/store';
import type { Store } from '../src/storage/types';

/**
 * The sandbox as main.ts wires it, in-process: memory store, the emulator on loopback, the event bus,
 * the app listening on 127.0.0.1:0 (the demo provider calls /api/v1 over loopback), and a relay
 * worker driven step by step with processDue().
 */

export interface SandboxHarness {
  url: string;
  config: Config;
  deps: AppDeps;
  store: Store;
  bus: EventBus;
  emulator: RunningEmulator;
  worker: OutboxWorker;
  records(kind?: BusRecord['kind']): BusRecord[];
  close(): Promise<void>;
}

export async function startSandboxHarness(env: Record<string, string> = {}): Promise<SandboxHarness> {
  const emulator = await startEmulator();
  const config = withSandboxSecret({
    ...loadConfig({ DATABASE_URL: 'memory:', LOG_LEVEL: 'silent', ...env }),
    PROVIDER_API_TOKEN: 'sandbox',
    AMOJO_CHANNEL_SECRET: emulator.secret,
  });
  const store = createMemoryStore();
  await store.accounts.upsert({ login: 'demo', passwordHash: await hashPassword('demo', { N: 1024, r: 8, p: 1 }), createdAt: Date.now() });
  const logger = createSilentLogger();
  const bus = createEventBus();
  const deps: AppDeps = {
    config,
    store,
    logger,
    clock: { now: () => Date.now() },
    ids: createId,
    amojo: createAmojoClient({ baseUrl: emulator.url, channelId: emulator.channelId, secret: emulator.secret, retry: noRetry }),
    verifier: createCredentialVerifier({ config, store, logger }),
    outboxSignal: createWakeSignal(),
    lifecycle: createLifecycle(),
    events: bus,
    sandbox: { emulator: emulator.control, amojoAccountId: SANDBOX_AMOJO_ID, login: 'demo', password: 'demo' },
  };
  const server: Server = await new Promise((resolve) => {
    const s = createApp(deps).listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  emulator.control.setWebhookUrl(`${url}/amojo/v1/webhook/:scope_id`);
  const worker = createRelayWorker({ ...deps, config: withDemoProviderUrl(config, url) });
  const unwire = wireSandboxEvents({ bus, emulator: emulator.control, worker });
  return {
    url,
    config,
    deps,
    store,
    bus,
    emulator,
    worker,
    records: (kind) => bus.recent().filter((r) => !kind || r.kind === kind),
    async close() {
      unwire();
      bus.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await emulator.close();
      await store.close();
    },
  };
}

export async function json(url: string, method: 'GET' | 'POST' = 'GET', body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** Polls until `check` returns a truthy value (a few seconds at most). */
export async function eventually<T>(check: () => Promise<T | undefined | null | false> | T | undefined | null | false, what: string, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
