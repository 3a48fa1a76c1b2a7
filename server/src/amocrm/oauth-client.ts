import { z } from 'zod';
import type { Clock } from '../lib/clock';
import { AmocrmError } from './errors';
import type { AmocrmHttp } from './http';

/**
 * amoCRM's token endpoint (`POST <account>/oauth2/access_token`, JSON body with client id, secret,
 * grant and redirect_uri). A grant amoCRM refuses (400/401/403: bad, used or revoked code or refresh
 * token) is `oauth_refused` — retrying cannot help; 5xx, 429 and network failures stay retryable.
 */
export interface OAuthClientConfig {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

export interface TokenSet {
  accessToken: string;
  refreshToken: string;
  /** Epoch ms when the access token expires (now + expires_in). */
  expiresAt: number;
}

export interface OAuthClient {
  exchangeCode(baseUrl: string, code: string): Promise<TokenSet>;
  refresh(baseUrl: string, refreshToken: string): Promise<TokenSet>;
}

const tokenAnswer = z.looseObject({
  token_type: z.string().refine((t) => t.toLowerCase() === 'bearer', 'token_type must be Bearer'),
  expires_in: z.number().int().positive(),
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
});

export function createOAuthClient(deps: { http: AmocrmHttp; clock: Clock; config: OAuthClientConfig }): OAuthClient {
  const { config } = deps;
  async function grant(baseUrl: string, body: Record<string, string>, what: string): Promise<TokenSet> {
    const startedAt = deps.clock.now();
    let answer: unknown;
    try {
      ({ body: answer } = await deps.http(baseUrl, {
        method: 'POST',
        path: '/oauth2/access_token',
        body: { client_id: config.clientId, client_secret: config.clientSecret, redirect_uri: config.redirectUri, ...body },
      }));
    } catch (err) {
      if (err instanceof AmocrmError && !err.retryable && err.status !== undefined && err.status >= 400 && err.status < 500) {
        throw new AmocrmError('oauth_refused', `amoCRM refused the ${what}: ${err.message}`, { cause: err, status: err.status });
      }
      throw err;
    }
    const parsed = tokenAnswer.safeParse(answer);
    if (!parsed.success) throw new AmocrmError('bad_response', `amoCRM's answer to the ${what} is not a token pair`, { cause: parsed.error });
    // expires_in counts from when amoCRM answered; measuring from the request start errs early.
    return { accessToken: parsed.data.access_token, refreshToken: parsed.data.refresh_token, expiresAt: startedAt + parsed.data.expires_in * 1000 };
  }
  return {
    exchangeCode: (baseUrl, code) => grant(baseUrl, { grant_type: 'authorization_code', code }, 'authorization code'),
    refresh: (baseUrl, refreshToken) => grant(baseUrl, { grant_type: 'refresh_token', refresh_token: refreshToken }, 'refresh token'),
  };
}
