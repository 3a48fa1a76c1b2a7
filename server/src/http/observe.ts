import type { RequestHandler } from 'express';
import type { Logger } from '../lib/logger';
import { secondsSince, type Metrics } from '../lib/metrics';

/**
 * What every finished request leaves behind, whichever side served it (the node:http pipeline or
 * express): the latency histogram, the error counter and one log line. One implementation, so both
 * sides count and log by the same rules.
 *
 * Latency is labelled by the route *pattern* (`/api/v1/messages/:id`), never the concrete path, so
 * ids and probes with random URLs cannot explode the number of series: anything no route matched is
 * `unmatched`. The log line holds only method, path (no query string), status, timing and client
 * address: never headers or bodies, which carry passwords and tokens.
 */

export interface ObserveDeps {
  logger: Logger;
  metrics: Metrics;
}

export interface FinishedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** The route pattern, or `unmatched`. */
  route: string;
  status: number;
  started: bigint;
  /** Client address under TRUST_PROXY. */
  ip: string | undefined;
  /** The error code answered, if the answer was an error. */
  errorCode?: string | undefined;
}

export const statusClass = (status: number): string => `${Math.floor(status / 100)}xx`;

export function observeRequest(deps: ObserveDeps, r: FinishedRequest): void {
  deps.metrics.httpDuration.observe({ route: r.route, method: r.method, status_class: statusClass(r.status) }, secondsSince(r.started));
  if (r.errorCode !== undefined) deps.metrics.httpErrors.inc({ code: r.errorCode });
  const entry = { method: r.method, path: r.path, status: r.status, ms: Math.round(Number(process.hrtime.bigint() - r.started) / 1e5) / 10, ip: r.ip };
  // Health probes hit every few seconds; keep them out of info logs.
  if (r.path === '/healthz' || r.path === '/readyz') deps.logger.debug(entry, 'request');
  else if (r.status >= 500) deps.logger.warn(entry, 'request');
  else deps.logger.info(entry, 'request');
}

/**
 * observeRequest for the routes express still serves. The label is the router's mount plus the
 * matched route's pattern (`/amocrm/v1` + `/disable`). An error leaves its router before the answer
 * goes out, and express then restores req.baseUrl, so the mount is also found among `mounts` (where
 * app.ts mounts its routers). Error answers say their code through res.locals.errorCode (set by
 * error-handler.ts sendError).
 */
export function observeExpress(deps: ObserveDeps, mounts: readonly string[]): RequestHandler {
  const mountOf = (path: string): string =>
    mounts.find((m) => path.toLowerCase() === m.toLowerCase() || path.toLowerCase().startsWith(`${m.toLowerCase()}/`)) ?? '';
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      // originalUrl, because inside a mounted router req.path is relative to the mount point.
      const path = req.originalUrl.split('?')[0] ?? '';
      const pattern: unknown = req.route?.path;
      const code: unknown = res.locals.errorCode;
      observeRequest(deps, {
        method: req.method,
        path,
        route: typeof pattern === 'string' ? `${req.baseUrl || mountOf(path)}${pattern}` : 'unmatched',
        status: res.statusCode,
        started,
        ip: req.ip,
        errorCode: typeof code === 'string' ? code : undefined,
      });
    });
    next();
  };
}
