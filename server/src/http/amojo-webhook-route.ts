import express, { Router } from 'express';
import type { AppDeps } from '../deps';
import { createAmojoHooks } from '../services/amojo-hooks';

/**
 * POST /amojo/v1/webhook/:scope_id. The body is read raw (any content type: amojo's is not
 * guaranteed) because the HMAC covers the exact bytes; parsing comes after verification, in the
 * service. The answer is 200 once the hook is committed: amojo waits 5 s at most and never retries.
 */

const BODY_LIMIT = '1mb';

export function createAmojoWebhookRouter(deps: AppDeps): Router {
  const hooks = createAmojoHooks({
    store: deps.store,
    clock: deps.clock,
    ids: deps.ids,
    logger: deps.logger,
    outboxSignal: deps.outboxSignal,
    channelSecret: deps.config.AMOJO_CHANNEL_SECRET,
    // S5: receipts by kind and result.
    ...(deps.metrics ? { onReceipt: (kind, result) => deps.metrics!.webhookReceipts.inc({ kind, result }) } : {}),
  });
  const router = Router();
  router.post('/webhook/:scope_id', express.raw({ type: () => true, limit: BODY_LIMIT }), async (req, res) => {
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const signature = req.get('x-signature');
    const outcome = await hooks.receive({ scopeId: String(req.params.scope_id), rawBody, signature });
    res.status(200).json({ status: outcome });
  });
  return router;
}
