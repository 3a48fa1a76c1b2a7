import type { RequestHandler } from 'express';
import { sanitizeForLog, type EventBus } from '../lib/event-bus';

/**
 * Records each finished call of a public surface (/widget/v1, /api/v1) on the event bus, with its
 * body and answer, for the sandbox console's log. Mounted by app.ts before the surface's router only
 * when a bus exists (sandbox mode). req.body is read after the router's own parser filled it, and
 * secrets (the widget's password) are masked by sanitizeForLog.
 */
export function createEdgeTap(bus: EventBus, kind: 'widget_api' | 'provider_api'): RequestHandler {
  return (req, res, next) => {
    // CORS preflights carry nothing worth showing.
    if (req.method === 'OPTIONS') return next();
    const started = process.hrtime.bigint();
    let responseBody: unknown;
    const json = res.json.bind(res);
    res.json = (body?: unknown) => {
      responseBody = body;
      return json(body);
    };
    res.on('finish', () => {
      bus.publish(kind, {
        method: req.method,
        path: req.originalUrl,
        status: res.statusCode,
        durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10,
        ...(req.body !== undefined ? { requestBody: sanitizeForLog(req.body) } : {}),
        ...(responseBody !== undefined ? { responseBody: sanitizeForLog(responseBody) } : {}),
      });
    });
    next();
  };
}
