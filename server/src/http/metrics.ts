import { Router } from 'express';
import type { Metrics } from '../lib/metrics';

/**
 * GET /metrics (Prometheus text format). Unauthenticated, like /healthz: it carries counts and
 * latencies, no message content or ids. Restrict it at the network level (or a reverse proxy) if
 * that is still too much to expose. What each request adds to it is http/observe.ts's.
 */
export function createMetricsRouter(metrics: Metrics): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    const text = await metrics.registry.metrics();
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.send(text);
  });
  return router;
}
