import { randomBytes } from 'node:crypto';
import { createAmocrmHttp, type AmocrmHttp } from '../amocrm/http';
import { createOAuthClient, type OAuthClient } from '../amocrm/oauth-client';
import { createBaseUrlResolver, type BaseUrlResolver } from '../amocrm/referer';
import { createAmocrmRestClient, type AmocrmRestClient } from '../amocrm/rest-client';
import { createTokenCipher, type TokenCipher } from '../amocrm/token-crypto';
import { createInProcessAccountLock, createTokenManager, type AccountLock, type TokenManager } from '../amocrm/token-manager';
import type { Clock } from '../lib/clock';
import type { FetchFn } from '../lib/http-fetch';
import type { Logger } from '../lib/logger';
import type { Installation, InstallationRepo } from '../storage/types';

/**
 * The amoCRM REST side, built once when OAuth install is configured: token cipher, OAuth client,
 * one token manager (its single-flight refresh only works if every caller shares it) and the REST
 * client on top. Low traffic, so it uses the global fetch.
 */
export interface AmocrmOAuthConfig {
  sandbox: boolean;
  oauth: boolean;
  AMOCRM_CLIENT_ID?: string | undefined;
  AMOCRM_CLIENT_SECRET?: string | undefined;
  AMOCRM_REDIRECT_URI?: string | undefined;
  AMOCRM_API_BASE_URL?: string | undefined;
  TOKEN_ENCRYPTION_KEY?: string | undefined;
}

export interface AmocrmSide {
  http: AmocrmHttp;
  oauth: OAuthClient;
  cipher: TokenCipher;
  baseUrlFor: BaseUrlResolver;
  tokens: TokenManager;
  rest: AmocrmRestClient;
  withAccountLock: AccountLock;
}

export interface AmocrmWiringDeps {
  config: AmocrmOAuthConfig;
  installations: InstallationRepo;
  clock: Clock;
  logger: Logger;
  fetch?: FetchFn | undefined;
  /**
   * Serialises one account's refreshes across every instance on the database (a refresh token is
   * single-use: two instances refreshing at once lose the account). Default: in-process only.
   */
  withAccountLock?: AccountLock | undefined;
  /** Told once per refused refresh (the installation is already marked). */
  onReauthorizationRequired(installation: Installation): Promise<void>;
}

export function buildAmocrmSide(deps: AmocrmWiringDeps): AmocrmSide | null {
  const { config } = deps;
  if (!config.oauth) return null;
  let key = config.TOKEN_ENCRYPTION_KEY;
  if (!key) {
    // config.ts refuses this outside sandbox mode; a sandbox's tokens may die with the process.
    key = randomBytes(32).toString('hex');
    deps.logger.warn('TOKEN_ENCRYPTION_KEY is not set: amoCRM tokens are encrypted with a key that dies with this process (sandbox only)');
  }
  const cipher = createTokenCipher(key);
  const http = createAmocrmHttp({ fetch: deps.fetch ?? ((url, init) => fetch(url, init)), clock: deps.clock });
  const oauth = createOAuthClient({
    http,
    clock: deps.clock,
    config: { clientId: config.AMOCRM_CLIENT_ID!, clientSecret: config.AMOCRM_CLIENT_SECRET!, redirectUri: config.AMOCRM_REDIRECT_URI! },
  });
  const baseUrlFor = createBaseUrlResolver(config.AMOCRM_API_BASE_URL ?? null);
  const withAccountLock = deps.withAccountLock ?? createInProcessAccountLock();
  const tokens = createTokenManager({
    installations: deps.installations,
    cipher,
    oauth,
    baseUrlFor,
    clock: deps.clock,
    withAccountLock,
    logger: deps.logger,
    onReauthorizationRequired: deps.onReauthorizationRequired,
  });
  const rest = createAmocrmRestClient({ http, tokens, installations: deps.installations, baseUrlFor });
  return { http, oauth, cipher, baseUrlFor, tokens, rest, withAccountLock };
}
