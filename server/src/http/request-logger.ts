import type { RequestHandler } from 'express';
import type { Logger } from '../lib/logger';

/**
 * One line per request, after it finished. Only method, path (no query string), status, timing and
 * client address: never headers or bodies, which carry passwords and tokens.
 */
export function logRequest(
  logger: Logger,
  line: { method: string | undefined; path: string | undefined; status: number; started: bigint; ip: string | undefined },
): void {
  const { started, ...rest } = line;
  const entry = { ...rest, ms: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10 };
  // Health probes hit every few seconds; keep them out of info logs.
  if (line.path === '/healthz' || line.path === '/readyz') logger.debug(entry, 'request');
  else if (line.status >= 500) logger.warn(entry, 'request');
  else logger.info(entry, 'request');
}

export function createRequestLogger(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      // originalUrl, because inside a mounted router req.path is relative to the mount point.
      logRequest(logger, { method: req.method, path: req.originalUrl.split('?')[0], status: res.statusCode, started, ip: req.ip });
    });
    next();
  };
}
