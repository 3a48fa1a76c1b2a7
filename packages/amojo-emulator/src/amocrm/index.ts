import { randomBytes, randomUUID } from 'node:crypto';
import express from 'express';
import { createAmocrmApiRouter } from './api-routes';
import { createAmocrmControl, faultProblem, type AmocrmControl } from './control';
import { AMOCRM_CONTROL_PREFIX, createAmocrmControlRouter } from './control-routes';
import { AmocrmState } from './state';

export interface AmocrmEmulatorOptions {
  /** The default integration; random id/secret when absent. */
  clientId?: string;
  clientSecret?: string;
  /** The server's `AMOCRM_REDIRECT_URI`; a placeholder until a test sets its own. */
  redirectUri?: string;
  /** The server's disable-webhook URL, used by sendDisableHook when no URL is given. */
  disableUrl?: string;
  /** `expires_in` of access tokens, seconds (default 86400, about a day as amoCRM documents). */
  accessTokenTtlSec?: number;
  /** Life of an unused refresh token, seconds (default 90 days). */
  refreshTokenTtlSec?: number;
  /** Sources per integration and account; the docs say 50 (amoCRM) or 100 (Kommo). Default 100. */
  sourcesLimit?: number;
}

export interface AmocrmEmulator {
  /** Serves /oauth2/access_token, /api/v4/… and /_emulator/amocrm/…; mount at the app's root. */
  router: express.Router;
  control: AmocrmControl;
}

export function createAmocrmEmulator(opts: AmocrmEmulatorOptions & { clock?: () => number; fetch?: typeof fetch } = {}): AmocrmEmulator {
  const state = new AmocrmState();
  const clock = opts.clock ?? Date.now;
  const faults: Array<{ status: number; retryAfter?: number }> = [];
  const control = createAmocrmControl(
    { state, clock, faults, fetch: opts.fetch ?? ((input, init) => globalThis.fetch(input, init)) },
    {
      clientId: opts.clientId ?? randomUUID(),
      clientSecret: opts.clientSecret ?? randomBytes(32).toString('base64url'),
      redirectUri: opts.redirectUri ?? 'http://127.0.0.1/amocrm/v1/oauth/callback',
      disableUrl: opts.disableUrl ?? null,
    },
  );
  const router = express.Router();
  router.use(
    createAmocrmApiRouter({
      state,
      clock,
      sourcesLimit: opts.sourcesLimit ?? 100,
      accessTokenTtlSec: opts.accessTokenTtlSec ?? 86_400,
      refreshTokenTtlSec: opts.refreshTokenTtlSec ?? 90 * 86_400,
      takeFault: () => {
        const f = faults.shift();
        return f ? faultProblem(f) : null;
      },
    }),
  );
  router.use(AMOCRM_CONTROL_PREFIX, createAmocrmControlRouter(control));
  return { router, control };
}

export { AMOCRM_CONTROL_PREFIX } from './control-routes';
export type { AmocrmControl, DisableHookResult, IssuedCode } from './control';
export { AmocrmControlError, type AmocrmControlErrorCode } from './errors';
export type { AddIntegrationArgs, CreateAccountArgs, DisableHookArgs, FailNextArgs, IssueCodeArgs, WidgetTokenArgs } from './schemas';
export type { AmocrmAccountRecord, AmocrmIntegrationRecord, AmocrmPipelineRecord, AmocrmStatusRecord, SourceRecord } from './types';
export { disableHookSignature } from './widget-token';
