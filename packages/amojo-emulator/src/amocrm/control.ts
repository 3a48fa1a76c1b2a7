import { randomBytes, randomUUID } from 'node:crypto';
import { AmocrmControlError } from './errors';
import { AmocrmProblem } from './problem';
import {
  addIntegrationArgsSchema,
  createAccountArgsSchema,
  disableHookArgsSchema,
  failNextArgsSchema,
  issueCodeArgsSchema,
  parseControlArgs,
  widgetTokenArgsSchema,
  type AddIntegrationArgs,
  type CreateAccountArgs,
  type DisableHookArgs,
  type FailNextArgs,
  type IssueCodeArgs,
  type WidgetTokenArgs,
} from './schemas';
import type { AmocrmState } from './state';
import type { AmocrmAccountRecord, AmocrmIntegrationRecord, AmocrmPipelineRecord, SourceRecord } from './types';
import { disableHookSignature, mintWidgetToken } from './widget-token';

export interface IssuedCode {
  code: string;
  expiresAt: number;
  /** The redirect URI with the query amoCRM appends: what the browser opens after consent. */
  callbackUrl: string;
}

export interface DisableHookResult {
  url: string;
  status: number;
  body: string;
}

/** Drives the emulated amoCRM from tests and the sandbox: plays the administrator and amoCRM itself. */
export interface AmocrmControl {
  /** The default integration (the one the server under test is configured with). */
  readonly integration: AmocrmIntegrationRecord;
  addIntegration(args: AddIntegrationArgs): AmocrmIntegrationRecord;
  createAccount(args?: CreateAccountArgs): AmocrmAccountRecord;
  getAccount(id: number): AmocrmAccountRecord | undefined;
  listAccounts(): AmocrmAccountRecord[];
  issueAuthorizationCode(args: IssueCodeArgs): IssuedCode;
  expireAccessToken(accountId: number, clientId?: string): void;
  revokeRefreshToken(accountId: number, clientId?: string): void;
  revokeGrant(accountId: number, clientId?: string): void;
  sendDisableHook(args: DisableHookArgs): Promise<DisableHookResult>;
  mintWidgetToken(args: WidgetTokenArgs): string;
  listSources(accountId: number, clientId?: string): SourceRecord[];
  tokenRefreshCount(accountId: number, clientId?: string): number;
  /** The next `count` calls to /oauth2 or /api/v4 answer `status` (problem+json). */
  failNext(args: FailNextArgs): void;
}

export interface AmocrmControlDeps {
  state: AmocrmState;
  clock: () => number;
  fetch: typeof fetch;
  faults: Array<{ status: number; retryAfter?: number }>;
}

const copy = <T>(v: T): T => structuredClone(v);

export function createAmocrmControl(deps: AmocrmControlDeps, defaultIntegration: AmocrmIntegrationRecord): AmocrmControl {
  const { state } = deps;
  state.integrations.set(defaultIntegration.clientId, defaultIntegration);

  const integrationOf = (clientId?: string): AmocrmIntegrationRecord => {
    const found = state.integrations.get(clientId ?? defaultIntegration.clientId);
    if (!found) throw new AmocrmControlError('unknown_integration', `no integration ${clientId}`);
    return found;
  };
  const accountOf = (id: number): AmocrmAccountRecord => {
    const found = state.accounts.get(id);
    if (!found) throw new AmocrmControlError('unknown_account', `no amoCRM account ${id}`);
    return found;
  };
  const grantOf = (accountId: number, clientId?: string) => {
    const grant = state.grant(integrationOf(clientId).clientId, accountOf(accountId).id);
    if (!grant) throw new AmocrmControlError('not_installed', `the integration is not installed in account ${accountId}`);
    return grant;
  };

  const buildPipelines = (specs: Array<{ name: string; statuses?: string[] | undefined }>): AmocrmPipelineRecord[] =>
    specs.map((spec, i) => {
      const id = state.nextId('pipeline');
      const names = spec.statuses ?? ['Unsorted', 'First contact', 'Negotiation', 'Closed - won', 'Closed - lost'];
      return {
        id,
        name: spec.name,
        sort: (i + 1) * 10,
        is_main: i === 0,
        is_unsorted_on: true,
        is_archive: false,
        statuses: names.map((name, j) => ({
          id: state.nextId('status'),
          name,
          sort: (j + 1) * 10,
          pipeline_id: id,
          color: '#99ccff',
          type: j === 0 ? 1 : 0,
          is_editable: j !== 0,
        })),
      };
    });

  return {
    integration: defaultIntegration,
    addIntegration(input) {
      const a = parseControlArgs(addIntegrationArgsSchema, input);
      const record: AmocrmIntegrationRecord = {
        clientId: a.clientId ?? randomUUID(),
        clientSecret: a.clientSecret ?? randomBytes(32).toString('base64url'),
        redirectUri: a.redirectUri,
        disableUrl: a.disableUrl ?? null,
      };
      state.integrations.set(record.clientId, record);
      return copy(record);
    },
    createAccount(input = {}) {
      const a = parseControlArgs(createAccountArgsSchema, input);
      const id = a.id ?? state.nextId('account');
      if (state.accounts.has(id)) throw new AmocrmControlError('account_exists', `account ${id} exists`);
      const subdomain = a.subdomain ?? a.domain?.split('.')[0] ?? `account${id}`;
      const account: AmocrmAccountRecord = {
        id,
        name: a.name ?? `Account ${subdomain}`,
        subdomain,
        domain: (a.domain ?? `${subdomain}.amocrm.ru`).toLowerCase(),
        amojoId: a.amojoId ?? randomUUID(),
        pipelines: buildPipelines(a.pipelines ?? [{ name: 'Sales' }]),
        createdAt: deps.clock(),
      };
      state.accounts.set(id, account);
      return copy(account);
    },
    getAccount: (id) => {
      const a = state.accounts.get(id);
      return a ? copy(a) : undefined;
    },
    listAccounts: () => [...state.accounts.values()].map(copy),
    issueAuthorizationCode(input) {
      const a = parseControlArgs(issueCodeArgsSchema, input);
      const integration = integrationOf(a.clientId);
      const account = accountOf(a.accountId);
      const code = `def50200${randomBytes(48).toString('hex')}`;
      const expiresAt = deps.clock() + a.ttlSec * 1000;
      state.codes.set(code, { code, clientId: integration.clientId, accountId: account.id, expiresAt, used: false });
      const url = new URL(integration.redirectUri);
      url.searchParams.set('code', code);
      url.searchParams.set('referer', account.domain);
      url.searchParams.set('client_id', integration.clientId);
      if (a.fromWidget) url.searchParams.set('from_widget', '1');
      if (a.state !== undefined) url.searchParams.set('state', a.state);
      return { code, expiresAt, callbackUrl: url.toString() };
    },
    expireAccessToken(accountId, clientId) {
      const g = grantOf(accountId, clientId);
      state.expireAccessTokens(state.grantKey(g.clientId, g.accountId), deps.clock());
    },
    revokeRefreshToken(accountId, clientId) {
      const g = grantOf(accountId, clientId);
      if (g.refreshToken) state.refreshIndex.delete(g.refreshToken);
      g.refreshToken = null;
    },
    revokeGrant(accountId, clientId) {
      const g = grantOf(accountId, clientId);
      state.revokeGrant(state.grantKey(g.clientId, g.accountId));
    },
    async sendDisableHook(input) {
      const a = parseControlArgs(disableHookArgsSchema, input);
      const integration = integrationOf(a.clientId);
      const account = accountOf(a.accountId);
      const target = a.url ?? integration.disableUrl;
      if (!target) throw new AmocrmControlError('invalid_argument', 'no url given and the integration has no disable URL');
      let signature = disableHookSignature(integration.clientSecret, integration.clientId, account.id);
      if (a.tamper) signature = `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`;
      if (a.revoke) {
        const g = state.grant(integration.clientId, account.id);
        if (g) state.revokeGrant(state.grantKey(g.clientId, g.accountId));
      }
      const url = new URL(target);
      url.searchParams.set('account_id', String(account.id));
      url.searchParams.set('client_uuid', integration.clientId);
      url.searchParams.set('signature', signature);
      const res = await deps.fetch(url.toString(), { method: 'GET' });
      return { url: url.toString(), status: res.status, body: await res.text() };
    },
    mintWidgetToken(input) {
      const a = parseControlArgs(widgetTokenArgsSchema, input);
      const integration = integrationOf(a.clientId);
      const account = accountOf(a.accountId);
      return mintWidgetToken({
        accountId: account.id,
        subdomain: account.subdomain,
        domain: account.domain,
        clientId: integration.clientId,
        clientSecret: integration.clientSecret,
        audience: a.audience,
        userId: a.userId,
        nowMs: deps.clock(),
        expiresInSec: a.expiresInSec,
      });
    },
    listSources: (accountId, clientId) => state.ownSources(integrationOf(clientId).clientId, accountId).map(copy),
    tokenRefreshCount: (accountId, clientId) => state.grant(integrationOf(clientId).clientId, accountId)?.refreshes ?? 0,
    failNext(input) {
      const a = parseControlArgs(failNextArgsSchema, input);
      for (let i = 0; i < a.count; i++) deps.faults.push({ status: a.status, ...(a.retryAfter !== undefined ? { retryAfter: a.retryAfter } : {}) });
    },
  };
}

/** Turns a queued fault into the problem the API answers with. */
export function faultProblem(f: { status: number; retryAfter?: number }): AmocrmProblem {
  const title = f.status === 429 ? 'Too Many Requests' : f.status >= 500 ? 'Internal Server Error' : 'Error';
  return new AmocrmProblem(f.status, title, 'injected by the emulator', f.retryAfter !== undefined ? { retryAfter: f.retryAfter } : {});
}
