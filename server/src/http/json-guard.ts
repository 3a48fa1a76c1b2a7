import type { RequestHandler } from 'express';
import { findJsonViolation, violationError, type JsonLimits } from '../lib/json-limits';

export { PROVIDER_JSON_LIMITS, WIDGET_JSON_LIMITS } from '../lib/json-limits';

/**
 * Shape limits for parsed JSON bodies (lib/json-limits.ts explains why). Mounted right after the
 * body parser of each router, so no route handler ever sees a body that breaks them.
 */
export function jsonGuard(limits: JsonLimits): RequestHandler {
  return (req, _res, next) => {
    const body: unknown = req.body;
    if (body !== null && typeof body === 'object') {
      const violation = findJsonViolation(body, limits);
      if (violation) {
        next(violationError(violation));
        return;
      }
    }
    next();
  };
}
