import type { IncomingMessage } from 'node:http';
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

/**
 * The widget mount's CORS (the pipeline's Mount.cors): every answer varies by Origin; an allowed
 * origin is echoed back; a preflight is answered (true) with the methods and headers the widget
 * uses; any other browser origin is refused (403 forbidden).
 */
export function createWidgetCors(allowedOrigins: readonly string[]): (req: IncomingMessage, headers: Record<string, string>) => boolean {
  return (req, headers) => {
    headers.Vary = 'Origin';
    const origin = req.headers.origin;
    // No Origin: not a browser cross-origin call (curl, a server); nothing to negotiate.
    if (!origin) return false;
    if (!isAllowedOrigin(origin, allowedOrigins) && !isSameOrigin(origin, req.headers.host)) {
      throw new AppError('forbidden', `origin ${origin} may not call the widget API; add it to ALLOWED_ORIGINS for development`);
    }
    headers['Access-Control-Allow-Origin'] = origin;
    if (req.method !== 'OPTIONS') return false;
    headers['Access-Control-Allow-Methods'] = ALLOWED_METHODS;
    headers['Access-Control-Allow-Headers'] = ALLOWED_HEADERS;
    headers['Access-Control-Max-Age'] = '600';
    return true;
  };
}
