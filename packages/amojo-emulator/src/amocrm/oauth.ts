import { z } from 'zod';
import { AmocrmProblem } from './problem';
import { randomToken, type AmocrmState } from './state';
import type { GrantRecord } from './types';

export interface TokenLifetimes {
  /** Seconds an access token lives (`expires_in`); amoCRM says about a day. */
  accessTokenTtlSec: number;
  /** Seconds an unused refresh token lives; amoCRM says about three months. */
  refreshTokenTtlSec: number;
}

const grantBody = z.discriminatedUnion('grant_type', [
  z.object({
    grant_type: z.literal('authorization_code'),
    client_id: z.string().min(1),
    client_secret: z.string().min(1),
    redirect_uri: z.string().min(1),
    code: z.string().min(1),
  }),
  z.object({
    grant_type: z.literal('refresh_token'),
    client_id: z.string().min(1),
    client_secret: z.string().min(1),
    redirect_uri: z.string().min(1),
    refresh_token: z.string().min(1),
  }),
]);

export interface TokenAnswer {
  token_type: 'Bearer';
  expires_in: number;
  access_token: string;
  refresh_token: string;
  server_time: number;
}

// amoCRM's OAuth errors are problem+json too, with a `hint`; a refused grant is a 400.
const refused = (detail: string, hint: string) => new AmocrmProblem(400, 'Bad Request', detail, { hint });

/**
 * POST /oauth2/access_token. Issuing a pair kills the grant's previous refresh token (single-use),
 * which is what makes two racing refreshes lose the account.
 */
export function exchangeToken(state: AmocrmState, raw: unknown, now: number, ttl: TokenLifetimes): TokenAnswer {
  const parsed = grantBody.safeParse(raw);
  if (!parsed.success) throw refused('the request is missing a required parameter or has an unsupported grant_type', 'Check the body');
  const body = parsed.data;
  const integration = state.integrations.get(body.client_id);
  if (!integration || integration.clientSecret !== body.client_secret) {
    throw new AmocrmProblem(401, 'Unauthorized', 'Client authentication failed', { hint: 'Check client_id and client_secret' });
  }
  if (integration.redirectUri !== body.redirect_uri) throw refused('redirect_uri does not match the integration', 'Check redirect_uri');

  let grant: GrantRecord;
  if (body.grant_type === 'authorization_code') {
    const code = state.codes.get(body.code);
    if (!code || code.clientId !== body.client_id) throw refused('Authorization code is invalid', 'Cannot decrypt the authorization code');
    if (code.used) throw refused('Authorization code has been revoked', 'The code was already used');
    if (code.expiresAt <= now) throw refused('Authorization code has expired', 'Codes live 20 minutes');
    code.used = true;
    const key = state.grantKey(code.clientId, code.accountId);
    grant = state.grants.get(key) ?? {
      clientId: code.clientId,
      accountId: code.accountId,
      accessToken: null,
      accessExpiresAt: 0,
      refreshToken: null,
      refreshExpiresAt: 0,
      refreshes: 0,
      installs: 0,
    };
    state.grants.set(key, grant);
    grant.installs += 1;
  } else {
    const key = state.refreshIndex.get(body.refresh_token);
    const found = key ? state.grants.get(key) : undefined;
    if (!found || found.clientId !== body.client_id || found.refreshToken !== body.refresh_token) {
      throw refused('Refresh token has been revoked', 'Token has been revoked');
    }
    if (found.refreshExpiresAt <= now) throw refused('Refresh token has expired', 'Token has expired');
    grant = found;
    grant.refreshes += 1;
  }
  return issuePair(state, grant, now, ttl);
}

function issuePair(state: AmocrmState, grant: GrantRecord, now: number, ttl: TokenLifetimes): TokenAnswer {
  const key = state.grantKey(grant.clientId, grant.accountId);
  if (grant.refreshToken) state.refreshIndex.delete(grant.refreshToken);
  grant.accessToken = randomToken('at_');
  grant.refreshToken = randomToken('rt_');
  grant.accessExpiresAt = now + ttl.accessTokenTtlSec * 1000;
  grant.refreshExpiresAt = now + ttl.refreshTokenTtlSec * 1000;
  state.accessIndex.set(grant.accessToken, { key, expiresAt: grant.accessExpiresAt });
  state.refreshIndex.set(grant.refreshToken, key);
  return {
    token_type: 'Bearer',
    expires_in: ttl.accessTokenTtlSec,
    access_token: grant.accessToken,
    refresh_token: grant.refreshToken,
    server_time: Math.floor(now / 1000),
  };
}
