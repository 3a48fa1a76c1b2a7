import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppDeps } from '../deps';
import { AppError } from '../lib/errors';
import { createAmojoHooks } from '../services/amojo-hooks';
import { errorBody } from './error-handler';
import { readRawBody, runRawRoute, sendJson, type RawHandler } from './raw-route';

/**
 * POST /amojo/v1/webhook/:scope_id. amojo gives a hook 5 s and never retries, and one server takes
 * every account's hooks, so this is the hottest route: it is answered by a plain node:http handler
 * that app.ts runs before any express middleware (helmet, body parsers, routing), which halves its
 * cost. The body is read raw (any content type: amojo's is not guaranteed) because the HMAC covers
 * the exact bytes; parsing comes after verification, in the service. The answer is 200 once the hook
 * is committed; delivery happens in the outbox worker.
 */

export const WEBHOOK_PATH_PREFIX = '/amojo/v1/webhook/';
const ROUTE_LABEL = '/amojo/v1/webhook/:scope_id';
const BODY_LIMIT_BYTES = 1024 * 1024;

export function createAmojoWebhookHandler(deps: AppDeps): RawHandler {
  const metrics = deps.metrics;
  const hooks = createAmojoHooks({
    store: deps.store,
    clock: deps.clock,
    ids: deps.ids,
    logger: deps.logger,
    outboxSignal: deps.outboxSignal,
    channelSecret: deps.config.AMOJO_CHANNEL_SECRET,
    ...(metrics ? { onReceipt: (kind, result) => metrics.webhookReceipts.inc({ kind, result }) } : {}),
  });

  const handle = (req: IncomingMessage, res: ServerResponse, scopeId: string): Promise<void> =>
    runRawRoute(deps, ROUTE_LABEL, req, res, async () => {
      if (req.method !== 'POST') throw new AppError('not_found', `no route for ${req.method} ${ROUTE_LABEL}; amojo POSTs hooks here`);
      const rawBody = await readRawBody(req, BODY_LIMIT_BYTES);
      const signature = req.headers['x-signature'];
      const outcome = await hooks.receive({ scopeId, rawBody, signature: typeof signature === 'string' ? signature : undefined });
      return [200, { status: outcome }];
    });

  return (req, res) => {
    const url = req.url ?? '';
    if (!url.startsWith(WEBHOOK_PATH_PREFIX)) return false;
    const rawScope = url.split('?')[0]!.slice(WEBHOOK_PATH_PREFIX.length);
    // One path segment, as express's `:scope_id` would match; an encoded slash stays inside it.
    if (rawScope === '' || rawScope.includes('/')) return false;
    let scopeId: string;
    try {
      scopeId = decodeURIComponent(rawScope);
    } catch {
      sendJson(res, 400, errorBody(new AppError('invalid_request', 'scope_id in the path is not valid percent-encoding')));
      return true;
    }
    void handle(req, res, scopeId);
    return true;
  };
}
