import { Router, type RequestHandler } from 'express';
import type { Metrics } from '../lib/metrics';
import { secondsSince } from '../lib/metrics';

/**
 * GET /metrics (Prometheus text format) and the request-latency middleware. Latency is labelled by
 * the route *pattern* (`/api/v1/messages/:id`), never the concrete path, so ids and probes with
 * random URLs cannot explode the number of series: anything no route matched is `unmatched`.
 */

/** Where app.ts mounts its routers; a route's pattern is relative to one of these. */
const MOUNTS = ['/widget/v1', '/api/v1', '/amojo/v1'];

function routeLabel(originalUrl: string, routePath: unknown): string {
  if (routePath === undefined || routePath === null) return 'unmatched';
  const path = originalUrl.split('?')[0] ?? '';
  const mount = MOUNTS.find((m) => path === m || path.startsWith(`${m}/`)) ?? '';
  const pattern = Array.isArray(routePath) ? routePath.map(String).join('|') : String(routePath);
  return `${mount}${pattern}`;
}

export const statusClass = (status: number): string => `${Math.floor(status / 100)}xx`;

export function createHttpMetricsMiddleware(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const route = routeLabel(req.originalUrl, req.route?.path);
      metrics.httpDuration.observe({ route, method: req.method, status_class: statusClass(res.statusCode) }, secondsSince(started));
      const code: unknown = res.locals.errorCode;
      if (typeof code === 'string') metrics.httpErrors.inc({ code });
    });
    next();
  };
}

/**
 * Unauthenticated, like /healthz: it carries counts and latencies, no message content or ids.
 * Restrict it at the network level (or a reverse proxy) if that is still too much to expose.
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
