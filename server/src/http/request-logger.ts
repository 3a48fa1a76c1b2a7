import type { RequestHandler } from 'express';
import type { Logger } from '../lib/logger';

/**
 * One line per request, after it finished. Only method, path (no query string), status, timing and
 * client address: never headers or bodies, which carry passwords and tokens.
 */
export function createRequestLogger(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // originalUrl, because inside a mounted router req.path is relative to the mount point.
      const path = req.originalUrl.split('?')[0];
      const line = { method: req.method, path, status: res.statusCode, ms: Math.round(ms * 10) / 10, ip: req.ip };
      // Health probes hit every few seconds; keep them out of info logs.
      if (path === '/healthz' || path === '/readyz') logger.debug(line, 'request');
      else if (res.statusCode >= 500) logger.warn(line, 'request');
      else logger.info(line, 'request');
    });
    next();
  };
}
