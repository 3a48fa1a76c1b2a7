import express, { type NextFunction, type Request, type Response } from 'express';
import type { AmocrmControl } from './control';
import { AMOCRM_CONTROL_ERROR_STATUS, AmocrmControlError } from './errors';

export const AMOCRM_CONTROL_PREFIX = '/_emulator/amocrm';

const accountId = (req: Request): number => {
  const id = Number(req.params.id);
  if (!Number.isSafeInteger(id) || id <= 0) throw new AmocrmControlError('invalid_argument', 'account id must be a positive integer');
  return id;
};
const clientId = (req: Request): string | undefined => (typeof req.query.client_id === 'string' ? req.query.client_id : undefined);
const body = (req: Request): Record<string, unknown> => (typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>) : {});

/**
 * The amoCRM control API over HTTP (the sandbox console and out-of-process tests use it): plain
 * JSON, unsigned, errors as `{"error":{"code","message"}}` like the amojo side's control routes.
 */
export function createAmocrmControlRouter(control: AmocrmControl): express.Router {
  const router = express.Router();
  router.use(express.json({ limit: '1mb' }));
  const route = (method: 'get' | 'post', path: string, handler: (req: Request) => unknown, status = 200) => {
    router[method](path, async (req: Request, res: Response, next: NextFunction) => {
      try {
        res.status(status).json((await handler(req)) ?? { ok: true });
      } catch (err) {
        next(err);
      }
    });
  };

  route('get', '/integration', () => control.integration);
  route('post', '/integrations', (req) => control.addIntegration(body(req) as never), 201);
  route('get', '/accounts', () => control.listAccounts());
  route('post', '/accounts', (req) => control.createAccount(body(req)), 201);
  route('get', '/accounts/:id', (req) => {
    const found = control.getAccount(accountId(req));
    if (!found) throw new AmocrmControlError('unknown_account', `no amoCRM account ${req.params.id}`);
    return found;
  });
  route('post', '/accounts/:id/authorization-code', (req) => control.issueAuthorizationCode({ ...body(req), accountId: accountId(req) }), 201);
  route('post', '/accounts/:id/expire-access-token', (req) => control.expireAccessToken(accountId(req), clientId(req)));
  route('post', '/accounts/:id/revoke-refresh-token', (req) => control.revokeRefreshToken(accountId(req), clientId(req)));
  route('post', '/accounts/:id/revoke-grant', (req) => control.revokeGrant(accountId(req), clientId(req)));
  route('post', '/accounts/:id/disable-hook', (req) => control.sendDisableHook({ ...body(req), accountId: accountId(req) }));
  route('post', '/accounts/:id/widget-token', (req) => ({ token: control.mintWidgetToken({ ...body(req), accountId: accountId(req) } as never) }));
  route('get', '/accounts/:id/sources', (req) => control.listSources(accountId(req), clientId(req)));
  route('get', '/accounts/:id/token-refreshes', (req) => ({ count: control.tokenRefreshCount(accountId(req), clientId(req)) }));
  route('post', '/faults/fail-next', (req) => control.failNext(body(req) as never));

  router.use((req: Request, res: Response) => {
    res.status(404).json({ error: { code: 'not_found', message: `no amoCRM control route ${req.method} ${req.originalUrl}` } });
  });
  router.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof AmocrmControlError) {
      res.status(AMOCRM_CONTROL_ERROR_STATUS[err.code]).json({ error: { code: err.code, message: err.message } });
      return;
    }
    const status = typeof (err as { status?: unknown })?.status === 'number' ? (err as { status: number }).status : 500;
    res.status(status).json({ error: { code: status === 400 ? 'invalid_json' : 'internal_error', message: err instanceof Error ? err.message : String(err) } });
  });
  return router;
}
