import express, { Router, type RequestHandler } from 'express';
import type { z } from 'zod';
import type { AppDeps } from '../deps';
import { AppError } from '../lib/errors';
import { createInboundMessages } from '../services/inbound-messages';
import { createMessageStatus } from '../services/message-status';
import { messageLookupQuerySchema, postMessageSchema, postStatusSchema, postTypingSchema } from '../services/provider-api-schemas';
import { fromZodError } from './error-handler';
import { jsonGuard, PROVIDER_JSON_LIMITS } from './json-guard';
import { requireProviderToken } from './provider-auth';

/**
 * /api/v1: what the provider calls (transport only; rules live in services/inbound-messages.ts and
 * services/message-status.ts). Authenticated before any body is parsed.
 */

const BODY_LIMIT = '1mb';

function parse<T>(schema: z.ZodType<T>, value: unknown, where: 'body' | 'query'): T {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw fromZodError(result.error, where);
  return result.data;
}

const requireJson: RequestHandler = (req, _res, next) => {
  if (req.method === 'POST' && !req.is('application/json')) {
    next(new AppError('unsupported_media_type', 'send the body as application/json'));
    return;
  }
  next();
};

export function createProviderRouter(deps: AppDeps): Router {
  const common = { store: deps.store, clock: deps.clock, ids: deps.ids, outboxSignal: deps.outboxSignal };
  const inbound = createInboundMessages({ ...common, maxPending: deps.config.OUTBOX_MAX_PENDING });
  const statuses = createMessageStatus(common);

  const router = Router();
  router.use(requireProviderToken(deps.config.PROVIDER_API_TOKEN));
  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  router.use(requireJson);
  router.use(express.json({ limit: BODY_LIMIT }));
  router.use(jsonGuard(PROVIDER_JSON_LIMITS)); // S5: depth and string-length limits

  router.post('/messages', async (req, res) => {
    const body = parse(postMessageSchema, req.body, 'body');
    res.status(202).json(await inbound.accept(body, req.body));
  });

  router.post('/messages/:id/status', async (req, res) => {
    const body = parse(postStatusSchema, req.body, 'body');
    res.status(202).json(await statuses.report(String(req.params.id), body));
  });

  router.post('/typing', async (req, res) => {
    const body = parse(postTypingSchema, req.body, 'body');
    res.status(202).json(await statuses.typing(body));
  });

  // `?account=&msgid=` looks a message up by the provider's own msgid.
  router.get('/messages', async (req, res) => {
    const q = parse(messageLookupQuerySchema, req.query, 'query');
    if (!q.account || !q.msgid) throw new AppError('invalid_request', 'query: give both account and msgid, or use GET /api/v1/messages/:id');
    res.json(await statuses.getByMsgid(q.account, q.msgid));
  });

  router.get('/messages/:id', async (req, res) => {
    const q = parse(messageLookupQuerySchema, req.query, 'query');
    const id = String(req.params.id);
    // With ?account=, :id is the provider's msgid; otherwise our id (msg_…) or amojo's message id.
    res.json(q.account ? await statuses.getByMsgid(q.account, id) : await statuses.get(id));
  });

  return router;
}
