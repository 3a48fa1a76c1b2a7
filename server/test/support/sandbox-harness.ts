import type { RunningEmulator } from '@amochan/amojo-emulator';
import { loadConfig, type Config } from '../../src/config';
import type { AppDeps } from '../../src/deps';
import { createLifecycle } from '../../src/lib/lifecycle';
import { createSilentLogger } from '../../src/lib/logger';
import { createRelayWorker } from '../../src/outbox/relay-worker';
import type { OutboxWorker } from '../../src/outbox/worker';
import { startSandboxMode } from '../../src/sandbox';
import type { BusRecord, EventBus } from '../../src/sandbox/event-bus';
import type { SandboxDeps } from '../../src/sandbox/types';
import { createMemoryStore } from '../../src/storage/memory/store';
import type { Store } from '../../src/storage/types';
import { createTestDeps, serveApp } from './app-factory';
import { call, json, type CallResult } from './http-client';

/**
 * The sandbox as main.ts composes it, in-process: the real sandbox plug-in (startSandboxMode: its
 * embedded emulator, the demo account and channels, OAuth on against the emulator, the console's
 * routes and event bus) over a memory store, the app on 127.0.0.1:0 (the demo provider calls
 * /api/v1 over loopback), and the plug-in's prepare/http/workerConfig/attach steps in main.ts's
 * order. The one difference: the relay worker is not started but stepped by the test with processDue().
 */

export interface SandboxHarness {
  url: string;
  /** The config in effect: the sandbox's defaults applied (API token, secrets, OAuth against the emulator). */
  config: Config;
  deps: AppDeps;
  /** The emulator and demo identities the console drives. */
  sandbox: SandboxDeps;
  store: Store;
  bus: EventBus;
  worker: OutboxWorker;
  records(kind?: BusRecord['kind']): BusRecord[];
  /** A widget token for the demo account, as the console's host page gets it. */
  widgetToken(): Promise<string>;
  /** POST /widget/v1/connect as the widget sends it (with a fresh widget token). */
  widgetConnect(body: { login: string; password: string }): Promise<CallResult>;
  /** The console's install step (once per harness): what lets a widget connect, since OAuth is on. */
  install(): Promise<void>;
  /**
   * The install, the demo login's widget connect, then the worker run until the account's events
   * and amoCRM source syncs are delivered.
   */
  connectDemo(): Promise<CallResult>;
  close(): Promise<void>;
}

export async function startSandboxHarness(env: Record<string, string> = {}): Promise<SandboxHarness> {
  const lifecycle = createLifecycle();
  const store = createMemoryStore();
  const logger = createSilentLogger();
  const mode = await startSandboxMode({
    config: loadConfig({ DATABASE_URL: 'memory:', LOG_LEVEL: 'silent', HOST: '127.0.0.1', PORT: '0', ...env }),
    logger,
    store,
    lifecycle,
  });
  const { target, sandbox, bus, config } = mode;
  const deps = createTestDeps({ config, store, logger, lifecycle, emulator: { url: target.baseUrl, channelId: target.channelId, secret: target.secret } });
  await mode.prepare(deps);
  const served = await serveApp(deps, { control: target.emulator } as Pick<RunningEmulator, 'control'>, mode.http(deps));
  const worker = createRelayWorker({ ...deps, config: mode.workerConfig(config, served.url) });
  mode.attach({ worker, port: Number(new URL(served.url).port) });

  let installed = false;
  const install = async () => {
    if (installed) return;
    const outcome = await json(`${served.url}/sandbox/api/amocrm/install`, 'POST');
    if (outcome.status !== 200) throw new Error(`sandbox install failed: ${outcome.status} ${JSON.stringify(outcome.body)}`);
    installed = true;
  };
  const widgetToken = async () => (await json(`${served.url}/sandbox/api/widget-token`)).body.token as string;
  const widgetConnect = async (body: { login: string; password: string }) =>
    call(`${served.url}/widget/v1/connect`, 'POST', { ...body, amojo_id: sandbox.amojoAccountId }, { 'X-Auth-Token': await widgetToken() });
  return {
    url: served.url,
    config,
    deps,
    sandbox,
    store,
    bus,
    worker,
    records: (kind) => bus.recent().filter((r) => !kind || r.kind === kind),
    widgetToken,
    widgetConnect,
    install,
    async connectDemo() {
      await install();
      const connected = await widgetConnect({ login: sandbox.login, password: sandbox.password });
      while ((await worker.processDue()) > 0);
      return connected;
    },
    async close() {
      mode.close();
      await served.close();
      await lifecycle.shutdown();
      await store.close();
    },
  };
}
