import { signHook as signHookForAmojo } from '@amochan/amojo/testing';
import { randomUUID } from 'node:crypto';
import { startEmulator, type RunningEmulator } from '@amochan/amojo-emulator';
import { loadConfig } from '../../src/config';
import type { AppDeps } from '../../src/deps';
import type { createApp } from '../../src/http/app';
import { createHttpFetch } from '../../src/lib/http-fetch';
import { createSilentLogger } from '../../src/lib/logger';
import { createRelayWorker } from '../../src/outbox/relay-worker';
import type { OutboxWorker } from '../../src/outbox/worker';
import { createMemoryStore } from '../../src/storage/memory/store';
import type { Connection, Store } from '../../src/storage/types';
import { amojoClientFor, connectAccount, createTestDeps, relayEnv, serveApp } from './app-factory';
import { startProviderServer, type ProviderServer } from './provider-server';

/** Set-up for the relay tests: memory store, emulator and a provider on loopback. */

export interface RelayHarness {
  emulator: RunningEmulator;
  provider: ProviderServer;
  store: Store;
  deps: AppDeps;
  app: ReturnType<typeof createApp>;
  worker: OutboxWorker;
  /** The app listening on loopback (the emulator's hooks go there). */
  appUrl: string;
  connection: Connection;
  login: string;
  /** Connect another login to a fresh amojo account. */
  connect(login: string): Promise<Connection>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  /** Start the outbox worker (default true). */
  startWorker?: boolean;
  /** Skip the provider server and set PROVIDER_WEBHOOK_URL to this. */
  providerUrl?: string;
  /** Give the server the emulator channel's bot id as AMOJO_BOT_ID. */
  withBotId?: boolean;
}

export async function createRelayHarness(options: HarnessOptions = {}): Promise<RelayHarness> {
  const emulator = await startEmulator();
  const provider = await startProviderServer();
  const botId = emulator.control.listChannels().find((c) => c.id === emulator.channelId)!.botId;
  const config = loadConfig({
    ...relayEnv(emulator, options.providerUrl ?? provider.url),
    ...(options.withBotId ? { AMOJO_BOT_ID: botId } : {}),
    ...options.env,
  });
  const store = createMemoryStore();
  const deps = createTestDeps({ config, store, logger: createSilentLogger(), emulator });
  const served = await serveApp(deps, emulator);
  // As main.ts wires it: the worker's own non-retrying client over keep-alive node:http.
  const outboxFetch = createHttpFetch();
  const worker = createRelayWorker(deps, { amojo: amojoClientFor(emulator, outboxFetch), fetch: outboxFetch });
  if (options.startWorker !== false) worker.start();

  const connect = (login: string) => connectAccount(store, deps.amojo, login);
  const connection = await connect('alice');
  return {
    emulator,
    provider,
    store,
    deps,
    app: served.app,
    worker,
    appUrl: served.url,
    connection,
    login: 'alice',
    connect,
    async close() {
      await worker.stop();
      outboxFetch.destroy();
      await served.close();
      await emulator.close();
      await provider.close();
      await store.close();
    },
  };
}

/** A hook body signed with the channel secret, as amojo sends it. */
export function signHook(body: unknown, secret: string): { raw: string; signature: string } {
  const signed = signHookForAmojo(body, secret);
  return { raw: signed.body, signature: signed.headers['X-Signature'] };
}

export const newId = (): string => randomUUID();
