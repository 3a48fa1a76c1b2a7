import { Router, type Request, type Response } from 'express';
import { disableHookQuerySchema, oauthCallbackQuerySchema, type InstallReply } from '../contract/amocrm-api';
import type { InstallationService } from '../services/installation-service';
import { parseInput as parse } from './validate';

/**
 * /amocrm/v1: what amoCRM itself calls. The OAuth callback arrives either as amoCRM's own GET (the
 * widget install: a "webhook" to the redirect URI) or in the administrator's browser (a consent
 * link): JSON for the former, a short page for a browser that asks for HTML. Errors stay JSON,
 * like every error of this server, with a message that says what to do.
 */
export function createAmocrmRouter(deps: { installations: InstallationService }): Router {
  const router = Router();
  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  router.get('/oauth/callback', async (req: Request, res: Response) => {
    const query = parse(oauthCallbackQuerySchema, req.query, 'query');
    const result = await deps.installations.install({
      code: query.code,
      referer: query.referer,
      ...(query.state !== undefined ? { state: query.state } : {}),
      fromWidget: query.from_widget === '1',
      ...(query.client_id !== undefined ? { clientId: query.client_id } : {}),
    });
    if (req.accepts(['json', 'html']) === 'html') res.type('html').send(installedPage(result));
    else res.json(result);
  });

  router.get('/disable', async (req: Request, res: Response) => {
    const query = parse(disableHookQuerySchema, req.query, 'query');
    res.json(await deps.installations.uninstall({ accountId: query.account_id, clientUuid: query.client_uuid, signature: query.signature }));
  });

  return router;
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function installedPage(r: InstallReply): string {
  const what = r.reinstalled ? 're-installed' : 'installed';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>amochan: integration ${what}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em}code{background:#f3f3f3;padding:0 .2em}</style></head>
<body><h1>The integration is ${what}</h1>
<p>amoCRM account <code>${escapeHtml(r.domain)}</code> (id ${r.amocrm_account_id}) is linked to this server.</p>
<p>Next: open <b>Settings → Integrations</b> in amoCRM, open the widget's settings and log in with your messaging account to connect it. You can close this page.</p>
</body></html>
`;
}
