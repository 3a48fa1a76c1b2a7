import type { RequestHandler } from 'express';
import { AppError } from '../lib/errors';

/**
 * CORS for /widget/v1 only. The widget runs inside the amoCRM/Kommo page (https://<account>.amocrm.ru
 * and friends), so those origins plus ALLOWED_ORIGINS (development) may call; the X-Auth-Token header
 * makes every call preflighted. A request from any other browser origin is refused outright, so a
 * foreign page cannot even trigger a connect attempt.
 */
const AMO_ACCOUNT_ORIGIN = /^https:\/\/[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.(?:amocrm\.ru|amocrm\.com|kommo\.com)$/i;
const ALLOWED_HEADERS = 'Content-Type, X-Auth-Token, X-Requested-With';
const ALLOWED_METHODS = 'GET, POST, OPTIONS';

const normalise = (origin: string) => origin.trim().replace(/\/+$/, '').toLowerCase();

export function isAllowedOrigin(origin: string, extra: readonly string[]): boolean {
  const o = normalise(origin);
  return AMO_ACCOUNT_ORIGIN.test(o) || extra.some((e) => normalise(e) === o);
}

/** A page served by this server itself (e.g. a sandbox console) is not a cross-origin caller. */
function isSameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

export function createWidgetCors(allowedOrigins: readonly string[]): RequestHandler {
  return (req, res, next) => {
    const origin = req.get('origin');
    res.vary('Origin');
    // No Origin: not a browser cross-origin call (curl, a server); nothing to negotiate.
    if (!origin) return next();
    if (!isAllowedOrigin(origin, allowedOrigins) && !isSameOrigin(origin, req.get('host'))) {
      return next(new AppError('forbidden', `origin ${origin} may not call the widget API; add it to ALLOWED_ORIGINS for development`));
    }
    res.setHeader('Access-Control-Allow-Origin', origin);
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS);
      res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}
