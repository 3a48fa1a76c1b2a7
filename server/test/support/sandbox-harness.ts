import { startEmulator, type RunningEmulator } from '@amochan/amojo-emulator';
import { loadConfig, type Config } from '../../src/config';
import type { AppDeps } from '../../src/deps';
import type { SandboxDeps } from '../../src/sandbox/types';
import { createEventBus, type BusRecord, type EventBus } from '../../src/sandbox/event-bus';
import { sandboxHttpPlugin } from '../../src/sandbox';
import { createSilentLogger } from '../../src/lib/logger';
import { createRelayWorker } from '../../src/outbox/relay-worker';
import type { OutboxWorker } from '../../src/outbox/worker';
import { withDemoProviderUrl, withSandboxSecret } from '../../src/sandbox/bootstrap';
import { SANDBOX_AMOJO_ID } from '../../src/sandbox/types';
import { wireSandboxEvents } from '../../src/sandbox/wire-events';
import { hashPassword } from '../../src/services/credentials/password-hash';
import { createMemoryStore } from '../../src/storage/memory/store';
import type { Store } from '../../src/storage/types';
import { createTestDeps, serveApp } from './app-factory';

/**
 * The sandbox as main.ts wires it, in-process: memory store, the emulator on loopback, the event bus,
 * the app listening on 127.0.0.1:0 (the demo provider calls /api/v1 over loopback), and a relay
 * worker driven step by step with processDue().
 */

export interface SandboxHarness {
  url: string;
  config: Config;
  deps: AppDeps;
  /** The emulator and demo identities the console drives. */
  sandbox: SandboxDeps;
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
  const bus = createEventBus();
  const deps = createTestDeps({
    config,
    store,
    logger: createSilentLogger(),
    emulator,
  });
  const sandbox = { emulator: emulator.control, emulatorUrl: emulator.url, amojoAccountId: SANDBOX_AMOJO_ID, login: 'demo', password: 'demo' };
  const served = await serveApp(deps, emulator, sandboxHttpPlugin(deps, sandbox, bus));
  const worker = createRelayWorker({ ...deps, config: withDemoProviderUrl(config, served.url) });
  const unwire = wireSandboxEvents({ bus, emulator: emulator.control, worker });
  return {
    url: served.url,
    config,
    deps,
    sandbox,
    store,
    bus,
    emulator,
    worker,
    records: (kind) => bus.recent().filter((r) => !kind || r.kind === kind),
    async close() {
      unwire();
      bus.close();
      await served.close();
      await emulator.close();
      await store.close();
    },
  };
}
