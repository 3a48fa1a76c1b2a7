import { Router } from 'express';
import type { AppDeps } from '../deps';
import { AppError } from '../lib/errors';

/**
 * /healthz: the process is up (never touches dependencies, so a slow disk does not get us killed).
 * /readyz: storage answers, so traffic can be sent here.
 */
export function createHealthRouter(deps: Pick<AppDeps, 'store' | 'logger'>): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      await deps.store.ping();
    } catch (err) {
      deps.logger.warn({ err }, 'readiness check failed: storage does not answer');
      throw new AppError('not_ready', 'storage does not answer', { cause: err, retryAfter: 5 });
    }
    res.json({ status: 'ready' });
  });
  return router;
}
