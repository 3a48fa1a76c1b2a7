import express, { type NextFunction, type Request, type Response } from 'express';
import { exchangeToken, type TokenLifetimes } from './oauth';
import { AmocrmProblem, notFound, sendProblem, unauthorized } from './problem';
import { createSources, deleteOneSource, deleteSources, serializeSource, updateOneSource, updateSources, type SourcesContext } from './sources';
import type { AmocrmState } from './state';
import type { AmocrmAccountRecord, AmocrmPipelineRecord, GrantRecord } from './types';

export interface ApiRouteDeps extends TokenLifetimes {
  state: AmocrmState;
  clock: () => number;
  sourcesLimit: number;
  /** Consumes one injected failure, if any is queued (control.failNext). */
  takeFault(): AmocrmProblem | null;
}

interface Caller {
  grant: GrantRecord;
  account: AmocrmAccountRecord;
}

const baseHref = (req: Request): string => `${req.protocol}://${req.get('host') ?? 'localhost'}`;

function serializePipeline(p: AmocrmPipelineRecord, accountId: number, href: string): Record<string, unknown> {
  return {
    id: p.id,
    name: p.name,
    sort: p.sort,
    is_main: p.is_main,
    is_unsorted_on: p.is_unsorted_on,
    is_archive: p.is_archive,
    account_id: accountId,
    _links: { self: { href: `${href}/api/v4/leads/pipelines/${p.id}` } },
    _embedded: { statuses: p.statuses.map((s) => ({ ...s, account_id: accountId })) },
  };
}

/** `filter[external_id]`, repeated or indexed (`filter[external_id][0]`), as amoCRM's filters allow. */
function externalIdFilter(req: Request): string[] | null {
  const values: string[] = [];
  for (const [key, value] of Object.entries(req.query)) {
    if (!/^filter\[external_id\](\[\d*\])?$/.test(key)) continue;
    for (const v of Array.isArray(value) ? value : [value]) if (typeof v === 'string') values.push(v);
  }
  const nested = (req.query.filter as { external_id?: unknown } | undefined)?.external_id;
  if (typeof nested === 'string') values.push(nested);
  if (Array.isArray(nested)) for (const v of nested) if (typeof v === 'string') values.push(v);
  return values.length > 0 ? values : null;
}

/** The amoCRM REST endpoints amochan uses, served for every emulated account on one base URL. */
export function createAmocrmApiRouter(deps: ApiRouteDeps): express.Router {
  const { state } = deps;
  const router = express.Router();
  const json = express.json({ type: ['application/json', 'application/*+json', 'text/plain'], limit: '1mb', strict: false });

  const faults = (_req: Request, _res: Response, next: NextFunction) => {
    const fault = deps.takeFault();
    next(fault ?? undefined);
  };

  router.post('/oauth2/access_token', faults, json, express.urlencoded({ extended: false }), (req, res) => {
    res.json(exchangeToken(state, req.body, deps.clock(), deps));
  });

  const api = express.Router();
  api.use(faults);
  // The account is whoever the bearer token belongs to: every account shares this base URL.
  api.use((req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) return next(unauthorized('Authorization: Bearer <access token> is required'));
    const grant = state.grantByAccessToken(match[1]!, deps.clock());
    const account = grant ? state.accounts.get(grant.accountId) : undefined;
    if (!grant || !account) return next(unauthorized('the access token is expired, revoked or unknown'));
    res.locals.caller = { grant, account } satisfies Caller;
    next();
  });
  api.use(json);
  const caller = (res: Response): Caller => res.locals.caller as Caller;
  const ctx = (res: Response): SourcesContext => ({
    state,
    account: caller(res).account,
    clientId: caller(res).grant.clientId,
    now: deps.clock(),
    limit: deps.sourcesLimit,
  });
  const sourceId = (req: Request): number => {
    const id = Number(req.params.id);
    if (!Number.isSafeInteger(id) || id <= 0) throw notFound('source not found');
    return id;
  };

  api.get('/account', (req, res) => {
    const { account } = caller(res);
    const withParts = String(req.query.with ?? '')
      .split(',')
      .map((s) => s.trim());
    res.type('application/hal+json').send(
      JSON.stringify({
        id: account.id,
        name: account.name,
        subdomain: account.subdomain,
        created_at: Math.floor(account.createdAt / 1000),
        country: account.domain.endsWith('.ru') ? 'RU' : 'US',
        currency: account.domain.endsWith('.ru') ? 'RUB' : 'USD',
        ...(withParts.includes('amojo_id') ? { amojo_id: account.amojoId } : {}),
        _links: { self: { href: `${baseHref(req)}/api/v4/account` } },
      }),
    );
  });

  api.get('/leads/pipelines', (req, res) => {
    const { account } = caller(res);
    const pipelines = account.pipelines.map((p) => serializePipeline(p, account.id, baseHref(req)));
    res.type('application/hal+json').send(JSON.stringify({ _total_items: pipelines.length, _embedded: { pipelines } }));
  });

  const sendSources = (req: Request, res: Response, list: ReturnType<typeof serializeSource>[]) => {
    res.type('application/hal+json').send(JSON.stringify({ _total_items: list.length, _embedded: { sources: list } }));
  };
  api.get('/sources', (req, res) => {
    const c = ctx(res);
    const filter = externalIdFilter(req);
    const list = state.ownSources(c.clientId, c.account.id).filter((s) => !filter || filter.includes(s.external_id));
    if (list.length === 0) return void res.status(204).end();
    sendSources(
      req,
      res,
      list.map((s) => serializeSource(s, baseHref(req))),
    );
  });
  api.post('/sources', (req, res) =>
    sendSources(
      req,
      res,
      createSources(ctx(res), req.body).map((s) => serializeSource(s, baseHref(req))),
    ),
  );
  api.patch('/sources', (req, res) =>
    sendSources(
      req,
      res,
      updateSources(ctx(res), req.body).map((s) => serializeSource(s, baseHref(req))),
    ),
  );
  api.patch('/sources/:id', (req, res) => {
    const s = updateOneSource(ctx(res), sourceId(req), req.body);
    res.type('application/hal+json').send(JSON.stringify(serializeSource(s, baseHref(req))));
  });
  api.delete('/sources', (req, res) => {
    deleteSources(ctx(res), req.body);
    res.status(204).end();
  });
  api.delete('/sources/:id', (req, res) => {
    deleteOneSource(ctx(res), sourceId(req));
    res.status(204).end();
  });
  api.use((req) => {
    throw notFound(`no such endpoint: ${req.method} /api/v4${req.path}`);
  });

  router.use('/api/v4', api);
  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (err instanceof AmocrmProblem) return sendProblem(res, err);
    const status = (err as { status?: unknown })?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return sendProblem(res, new AmocrmProblem(status, 'Bad Request', err instanceof Error ? err.message : 'bad request'));
    }
    next(err);
  });
  return router;
}
