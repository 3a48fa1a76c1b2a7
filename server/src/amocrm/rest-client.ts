import type { InstallationRepo } from '../storage/types';
import { AmocrmError } from './errors';
import type { AmocrmHttp, AmocrmRequest, AmocrmResponse } from './http';
import type { BaseUrlResolver } from './referer';
import type { TokenManager } from './token-manager';

/** Sends one request on behalf of one amoCRM account; the *-api.ts modules are written against it. */
export type AmocrmRequester = (request: AmocrmRequest) => Promise<AmocrmResponse>;

export interface AmocrmRestClient {
  /** Authorized calls for an account: its domain (or the override), its token, one refresh on 401. */
  forAccount(amocrmAccountId: number): AmocrmRequester;
}

export function createAmocrmRestClient(deps: {
  http: AmocrmHttp;
  tokens: TokenManager;
  installations: InstallationRepo;
  baseUrlFor: BaseUrlResolver;
}): AmocrmRestClient {
  return {
    forAccount(id) {
      return async (request) => {
        const inst = await deps.installations.get(id);
        if (!inst || inst.status === 'uninstalled') throw new AmocrmError('not_installed', `the integration is not installed in amoCRM account ${id}`);
        const baseUrl = deps.baseUrlFor(inst.domain);
        return deps.tokens.withAccessToken(id, (token) => deps.http(baseUrl, request, token));
      };
    },
  };
}

/** A requester with a token already in hand (install, before anything is stored). */
export const requesterWithToken =
  (http: AmocrmHttp, baseUrl: string, accessToken: string): AmocrmRequester =>
  (request) =>
    http(baseUrl, request, accessToken);
