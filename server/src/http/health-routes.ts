import { Router } from 'express';
import type { AppDeps } from '../deps';
import { AppError } from '../lib/errors';
import { createLogThrottle } from '../lib/log-throttle';

/**
 * /healthz: the process is up (never touches dependencies, so a slow disk does not get us killed).
 * /readyz: storage answers and can be written (the store's ping makes a small real write where it
 * can), so traffic can be sent here. Not ready while writes fail; ready again by itself once they work.
 */
export function createHealthRouter(deps: Pick<AppDeps, 'store' | 'logger'>): Router {
  const router = Router();
  // A probe every few seconds while storage is down: one line per interval is enough.
  const warn = createLogThrottle(deps.logger, 30_000);
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      await deps.store.ping();
    } catch (err) {
      warn('warn', { err }, 'readiness check failed: storage does not answer or cannot be written');
      const why = err instanceof Error ? err.message : 'storage does not answer';
      throw new AppError('not_ready', `not ready: ${why}`, { cause: err, retryAfter: 5 });
    }
    res.json({ status: 'ready' });
  });
  return router;
}
