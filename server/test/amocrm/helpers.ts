import { createTestClock, type TestClock } from '@amochan/amojo/testing';
import { startEmulator, type RunningEmulator } from '@amochan/amojo-emulator';
import { createAmocrmHttp, type AmocrmHttp } from '../../src/amocrm/http';
import { installIntegration, type InstallInput } from '../../src/amocrm/install';
import { createOAuthClient, type OAuthClient } from '../../src/amocrm/oauth-client';
import { createBaseUrlResolver, type BaseUrlResolver } from '../../src/amocrm/referer';
import { createAmocrmRestClient, type AmocrmRestClient } from '../../src/amocrm/rest-client';
import { createTokenCipher, type TokenCipher } from '../../src/amocrm/token-crypto';
import { createTokenManager, type TokenManager, type TokenManagerDeps } from '../../src/amocrm/token-manager';
import type { FetchFn } from '../../src/lib/http-fetch';
import { createMemoryStore } from '../../src/storage/memory/store';
import type { Store } from '../../src/storage/types';

export const TEST_KEY = 'a'.repeat(64);

/** The server's amoCRM modules wired against an emulator on a loopback port, sharing one clock. */
export interface AmocrmRig {
  emu: RunningEmulator;
  clock: TestClock;
  store: Store;
  cipher: TokenCipher;
  http: AmocrmHttp;
  oauth: OAuthClient;
  baseUrlFor: BaseUrlResolver;
  tokens: TokenManager;
  rest: AmocrmRestClient;
  /** Every URL the server's side fetched, in order. */
  fetched: string[];
  install(input: InstallInput): ReturnType<typeof installIntegration>;
  /** Creates an amoCRM account, issues a code and installs; returns the account id. */
  installAccount(args?: Record<string, unknown>): Promise<number>;
  close(): Promise<void>;
}

export async function startRig(opts: { store?: Store; amocrm?: Record<string, unknown>; tokenManager?: Partial<TokenManagerDeps> } = {}): Promise<AmocrmRig> {
  const clock = createTestClock('2026-03-01T09:00:00Z');
  const emu = await startEmulator({
    clock: clock.now,
    amocrm: { redirectUri: 'https://amochan.test/amocrm/v1/oauth/callback', accessTokenTtlSec: 3600, ...opts.amocrm },
  });
  const fetched: string[] = [];
  const fetchFn: FetchFn = (url, init) => {
    fetched.push(url);
    return fetch(url, init);
  };
  const store = opts.store ?? createMemoryStore();
  const cipher = createTokenCipher(TEST_KEY);
  const http = createAmocrmHttp({ fetch: fetchFn, clock: { now: clock.now } });
  const i = emu.amocrm.integration;
  const oauth = createOAuthClient({
    http,
    clock: { now: clock.now },
    config: { clientId: i.clientId, clientSecret: i.clientSecret, redirectUri: i.redirectUri },
  });
  const baseUrlFor = createBaseUrlResolver(emu.url);
  const tokens = createTokenManager({ installations: store.installations, cipher, oauth, baseUrlFor, clock: { now: clock.now }, ...opts.tokenManager });
  const rest = createAmocrmRestClient({ http, tokens, installations: store.installations, baseUrlFor });
  const install = (input: InstallInput) =>
    installIntegration({ oauth, http, installations: store.installations, cipher, baseUrlFor, clock: { now: clock.now } }, input);
  return {
    emu,
    clock,
    store,
    cipher,
    http,
    oauth,
    baseUrlFor,
    tokens,
    rest,
    fetched,
    install,
    async installAccount(args = {}) {
      const account = emu.amocrm.createAccount(args);
      const { code } = emu.amocrm.issueAuthorizationCode({ accountId: account.id });
      await install({ code, referer: account.domain, fromWidget: true });
      return account.id;
    },
    async close() {
      await store.close();
      await emu.close();
    },
  };
}
