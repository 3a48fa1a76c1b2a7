import { createAmocrmHttp, type AmocrmHttp } from '../amocrm/http';
import { createOAuthClient, type OAuthClient } from '../amocrm/oauth-client';
import { createBaseUrlResolver, type BaseUrlResolver } from '../amocrm/referer';
import { createAmocrmRestClient, type AmocrmRestClient } from '../amocrm/rest-client';
import { createTokenCipher, type TokenCipher } from '../amocrm/token-crypto';
import { createTokenManager, type AccountLock, type TokenManager, type TokenManagerDeps } from '../amocrm/token-manager';
import type { Clock } from '../lib/clock';
import type { FetchFn } from '../lib/http-fetch';
import type { Logger } from '../lib/logger';
import type { Store } from '../storage/types';

/**
 * The amoCRM REST side, built once per process: one HTTP exchange, one OAuth client, one token
 * manager (its single-flight refresh only works if everyone shares it) and the REST client on top.
 * Absent (undefined) unless the integration is configured: client id, secret, redirect URI and a
 * token encryption key. Shared by the install callback, the source sync and the widget routes.
 */
export interface AmocrmServices {
  http: AmocrmHttp;
  oauth: OAuthClient;
  cipher: TokenCipher;
  baseUrlFor: BaseUrlResolver;
  tokens: TokenManager;
  rest: AmocrmRestClient;
  /** The lock refreshes (and installs) of one account run under. */
  withAccountLock?: AccountLock;
}

export interface AmocrmServicesConfig {
  AMOCRM_CLIENT_ID?: string | undefined;
  AMOCRM_CLIENT_SECRET?: string | undefined;
  AMOCRM_REDIRECT_URI?: string | undefined;
  AMOCRM_API_BASE_URL?: string | undefined;
  TOKEN_ENCRYPTION_KEY?: string | undefined;
}

export function buildAmocrmServices(deps: {
  config: AmocrmServicesConfig;
  store: Pick<Store, 'installations'>;
  clock: Clock;
  logger: Logger;
  fetch?: FetchFn;
  onReauthorizationRequired?: TokenManagerDeps['onReauthorizationRequired'];
  /**
   * Serialises one account's refreshes across every instance on the database (a refresh token is
   * single-use: two instances refreshing at once lose the account). Default: in-process only.
   */
  withAccountLock?: AccountLock;
}): AmocrmServices | undefined {
  const c = deps.config;
  if (!c.AMOCRM_CLIENT_ID || !c.AMOCRM_CLIENT_SECRET || !c.AMOCRM_REDIRECT_URI || !c.TOKEN_ENCRYPTION_KEY) return undefined;
  const fetchFn: FetchFn = deps.fetch ?? ((url, init) => fetch(url, init));
  const http = createAmocrmHttp({ fetch: fetchFn, clock: deps.clock });
  const oauth = createOAuthClient({
    http,
    clock: deps.clock,
    config: { clientId: c.AMOCRM_CLIENT_ID, clientSecret: c.AMOCRM_CLIENT_SECRET, redirectUri: c.AMOCRM_REDIRECT_URI },
  });
  const cipher = createTokenCipher(c.TOKEN_ENCRYPTION_KEY);
  const baseUrlFor = createBaseUrlResolver(c.AMOCRM_API_BASE_URL ?? null);
  const logger = deps.logger.child({ component: 'amocrm' });
  const tokens = createTokenManager({
    installations: deps.store.installations,
    cipher,
    oauth,
    baseUrlFor,
    clock: deps.clock,
    logger,
    ...(deps.withAccountLock ? { withAccountLock: deps.withAccountLock } : {}),
    ...(deps.onReauthorizationRequired ? { onReauthorizationRequired: deps.onReauthorizationRequired } : {}),
  });
  const rest = createAmocrmRestClient({ http, tokens, installations: deps.store.installations, baseUrlFor });
  return { http, oauth, cipher, baseUrlFor, tokens, rest, ...(deps.withAccountLock ? { withAccountLock: deps.withAccountLock } : {}) };
}
