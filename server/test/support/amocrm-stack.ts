import { randomUUID } from 'node:crypto';
import { startEmulator, type RunningEmulator } from '@amochan/amojo-emulator';
import { installIntegration } from '../../src/amocrm/install';
import { loadConfig } from '../../src/config';
import type { AppDeps } from '../../src/deps';
import { createSilentLogger } from '../../src/lib/logger';
import { createRelayWorker } from '../../src/outbox/relay-worker';
import type { OutboxWorker } from '../../src/outbox/worker';
import type { AmocrmServices } from '../../src/services/amocrm-services';
import { hashPassword } from '../../src/services/credentials/password-hash';
import { createMemoryStore } from '../../src/storage/memory/store';
import type { Store } from '../../src/storage/types';
import { createTestDeps, relayEnv, serveApp, type ServedApp } from './app-factory';
import { startProviderServer, type ProviderServer } from './provider-server';

/**
 * The whole amoCRM side over loopback: one emulator playing amojo and amoCRM's REST API, the app
 * with OAuth configured against it (AMOCRM_API_BASE_URL = the emulator), the relay worker (which
 * syncs sources), a provider receiving events, a local provider account `shop`, and an amoCRM
 * account with four pipelines where the integration is installed (code → token endpoint → store).
 */
export const REDIRECT_URI = 'https://amochan.test/amocrm/v1/oauth/callback';
export const AUDIENCE = 'https://amochan.test';
export const PASSWORD = 'shop-password';

export interface AmocrmStack {
  emulator: RunningEmulator;
  provider: ProviderServer;
  store: Store;
  deps: AppDeps;
  amocrm: AmocrmServices;
  served: ServedApp;
  worker: OutboxWorker;
  accountId: number;
  amojoId: string;
  pipelines: number[];
  /** A fresh widget X-Auth-Token of the installed account. */
  widgetToken(): string;
  close(): Promise<void>;
}

export async function startAmocrmStack(options: { sourcesLimit?: number; env?: Record<string, string> } = {}): Promise<AmocrmStack> {
  const emulator = await startEmulator({ amocrm: { redirectUri: REDIRECT_URI, ...(options.sourcesLimit ? { sourcesLimit: options.sourcesLimit } : {}) } });
  const provider = await startProviderServer();
  const integration = emulator.amocrm.integration;
  const config = loadConfig({
    ...relayEnv(emulator, provider.url),
    AMOCRM_CLIENT_ID: integration.clientId,
    AMOCRM_CLIENT_SECRET: integration.clientSecret,
    AMOCRM_TOKEN_AUDIENCE: AUDIENCE,
    AMOCRM_REDIRECT_URI: REDIRECT_URI,
    AMOCRM_API_BASE_URL: emulator.url,
    TOKEN_ENCRYPTION_KEY: 'k'.repeat(64),
    WIDGET_RATE_LIMIT_PER_IP: '1000000',
    WIDGET_RATE_LIMIT_PER_LOGIN: '1000000',
    ...options.env,
  });
  const store = createMemoryStore();
  const logger = createSilentLogger();
  const clock = { now: () => Date.now() };
  const deps = createTestDeps({ config, store, logger, emulator, clock });
  const amocrm = deps.amocrm!;
  const served = await serveApp(deps, emulator);
  const worker = createRelayWorker(deps);
  worker.start();

  await store.accounts.upsert({ login: 'shop', passwordHash: await hashPassword(PASSWORD), createdAt: Date.now() });
  const amojoId = randomUUID();
  const account = emulator.amocrm.createAccount({
    amojoId,
    pipelines: [{ name: 'Sales' }, { name: 'WhatsApp leads' }, { name: 'Bot leads' }, { name: 'Telegram leads' }],
  });
  const { code } = emulator.amocrm.issueAuthorizationCode({ accountId: account.id });
  await installIntegration({ ...amocrm, installations: store.installations, clock }, { code, referer: account.domain, fromWidget: true });

  return {
    emulator,
    provider,
    store,
    deps,
    amocrm,
    served,
    worker,
    accountId: account.id,
    amojoId,
    pipelines: emulator.amocrm.getAccount(account.id)!.pipelines.map((p) => p.id),
    widgetToken: () => emulator.amocrm.mintWidgetToken({ accountId: account.id, audience: AUDIENCE }),
    async close() {
      await worker.stop();
      await served.close();
      await emulator.close();
      await provider.close();
      await store.close();
    },
  };
}
