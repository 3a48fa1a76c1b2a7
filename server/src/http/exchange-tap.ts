import type { RequestHandler } from 'express';
import type { ExchangeTap } from './pipeline';

/**
 * The pipeline's observer tap for the routes express still serves (the widget API): after each
 * finished call, the tap sees its body and answer. Only mounted when an observer supplied a tap.
 */
export function tapExchanges(surface: string, tap: ExchangeTap): RequestHandler {
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
      tap({
        surface,
        method: req.method,
        path: req.originalUrl,
        status: res.statusCode,
        durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10,
        ...(req.body !== undefined ? { requestBody: req.body } : {}),
        ...(responseBody !== undefined ? { responseBody } : {}),
      });
    });
    next();
  };
}
