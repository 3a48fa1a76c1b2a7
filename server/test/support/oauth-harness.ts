import { startEmulator, type AmocrmAccountRecord, type RunningEmulator } from '@amochan/amojo-emulator';
import request from 'supertest';
import { createMemoryStore } from '../../src/storage/memory/store';
import type { Store } from '../../src/storage/types';
import { createHarness, type WidgetHarness } from './widget-harness';

/**
 * The widget API with the emulator playing amoCRM too: one emulator (amojo + amoCRM REST) and one
 * store shared by apps configured two ways — widget tokens only (OAuth off, bindings unverified,
 * as servers ran before OAuth install existed) and OAuth on — so a test can turn OAuth on mid-way.
 */
export const REDIRECT_URI = 'https://amochan.test/amocrm/v1/oauth/callback';
export const AUDIENCE = 'https://amochan.test';
export const ENCRYPTION_KEY = 'e'.repeat(64);

export interface OAuthRig {
  emulator: RunningEmulator;
  store: Store;
  /** OAuth on: install, verified bindings. */
  oauth: WidgetHarness;
  /** Widget tokens only (the same integration), ALLOW_UNVERIFIED_BINDINGS. */
  tokensOnly: WidgetHarness;
  /** A widget token amoCRM would mint for this account's widget. */
  token(accountId: number, expiresInSec?: number): string;
  /** Creates an amoCRM account at the emulator (not installed). */
  account(subdomain: string): AmocrmAccountRecord;
  /** Installs the integration in the account through GET /amocrm/v1/oauth/callback. */
  install(account: AmocrmAccountRecord): request.Test;
  close(): Promise<void>;
}

export function oauthEnv(emulator: RunningEmulator): Record<string, string> {
  const i = emulator.amocrm.integration;
  return {
    AMOCRM_CLIENT_ID: i.clientId,
    AMOCRM_CLIENT_SECRET: i.clientSecret,
    AMOCRM_REDIRECT_URI: REDIRECT_URI,
    AMOCRM_API_BASE_URL: emulator.url,
    TOKEN_ENCRYPTION_KEY: ENCRYPTION_KEY,
    ALLOW_UNVERIFIED_BINDINGS: 'false',
  };
}

export async function startOAuthRig(): Promise<OAuthRig> {
  const emulator = await startEmulator({ amocrm: { redirectUri: REDIRECT_URI, accessTokenTtlSec: 3600 } });
  const store = createMemoryStore();
  const i = emulator.amocrm.integration;
  const oauth = await createHarness({ emulator, store, env: oauthEnv(emulator) });
  const tokensOnly = await createHarness({
    emulator,
    store,
    env: { AMOCRM_CLIENT_ID: i.clientId, AMOCRM_CLIENT_SECRET: i.clientSecret, AMOCRM_TOKEN_AUDIENCE: AUDIENCE },
  });
  return {
    emulator,
    store,
    oauth,
    tokensOnly,
    token: (accountId, expiresInSec = 1800) => emulator.amocrm.mintWidgetToken({ accountId, audience: AUDIENCE, expiresInSec }),
    account: (subdomain) => emulator.amocrm.createAccount({ subdomain }),
    install(account) {
      const { callbackUrl } = emulator.amocrm.issueAuthorizationCode({ accountId: account.id });
      const url = new URL(callbackUrl);
      return request(oauth.app).get(`${url.pathname}${url.search}`);
    },
    async close() {
      await emulator.close();
      await store.close();
    },
  };
}
