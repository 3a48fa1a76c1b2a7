import type { Clock } from '../lib/clock';
import type { Installation, InstallationRepo } from '../storage/types';
import { readAccount } from './account-api';
import { AmocrmError } from './errors';
import type { AmocrmHttp } from './http';
import type { OAuthClient } from './oauth-client';
import { parseAmocrmReferer, type BaseUrlResolver } from './referer';
import { requesterWithToken } from './rest-client';
import type { TokenCipher } from './token-crypto';
import { tokenContext } from './token-manager';

/**
 * The install use case (amoCRM's redirect to our OAuth callback): validate the referer before any
 * request, exchange the code, ask amoCRM which account and amojo_id the tokens belong to, and store
 * the installation with encrypted tokens. Installing again replaces the tokens (idempotent).
 */
export interface InstallInput {
  code: string;
  referer: string;
  fromWidget?: boolean;
  state?: string;
}

export interface InstallDeps {
  oauth: OAuthClient;
  http: AmocrmHttp;
  installations: InstallationRepo;
  cipher: TokenCipher;
  baseUrlFor: BaseUrlResolver;
  clock: Clock;
  /** Checks `state` when our own consent link set one; absent ⇒ state is not checked. */
  verifyState?: (state: string | undefined) => boolean | Promise<boolean>;
  /** Locks the account while its row is replaced (same seam as the token manager's). */
  withAccountLock?: <T>(amocrmAccountId: number, work: () => Promise<T>) => Promise<T>;
}

export interface InstallResult {
  installation: Installation;
  /** true when the account had an installation before (any status). */
  reinstalled: boolean;
}

export async function installIntegration(deps: InstallDeps, input: InstallInput): Promise<InstallResult> {
  const { domain } = parseAmocrmReferer(input.referer);
  if (!input.code || input.code.length > 4096)
    throw new AmocrmError('oauth_refused', 'the authorization code is missing or malformed; install the integration again');
  if (deps.verifyState && !(await deps.verifyState(input.state)))
    throw new AmocrmError('oauth_refused', 'the state parameter does not match; start the install again');
  const baseUrl = deps.baseUrlFor(domain);
  const tokens = await deps.oauth.exchangeCode(baseUrl, input.code);
  const account = await readAccount(requesterWithToken(deps.http, baseUrl, tokens.accessToken));

  const store = async (): Promise<InstallResult> => {
    const before = await deps.installations.get(account.id);
    const now = deps.clock.now();
    const context = tokenContext(account.id);
    const installation: Installation = {
      amocrmAccountId: account.id,
      amojoId: account.amojo_id,
      domain,
      accessTokenEnc: deps.cipher.encrypt(tokens.accessToken, context),
      refreshTokenEnc: deps.cipher.encrypt(tokens.refreshToken, context),
      expiresAt: tokens.expiresAt,
      status: 'active',
      installedAt: before && before.status !== 'uninstalled' ? before.installedAt : now,
      updatedAt: now,
    };
    await deps.installations.save(installation);
    return { installation, reinstalled: before !== null };
  };
  return deps.withAccountLock ? deps.withAccountLock(account.id, store) : store();
}
