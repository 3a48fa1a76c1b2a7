import { AmocrmError } from './errors';

/**
 * The install callback's `referer` decides where the server sends the authorization code and the
 * client secret, so only amoCRM/Kommo account hosts pass: `<sub>.amocrm.ru`, `<sub>.amocrm.com`,
 * `<sub>.kommo.com`, exactly one label before the zone, no port, path, userinfo or IP. Anything else
 * is refused before a request leaves the server (no SSRF through the callback).
 */
export type AmocrmZone = 'amocrm.ru' | 'amocrm.com' | 'kommo.com';

export interface AmocrmDomain {
  /** Lowercased host, e.g. `shop.amocrm.ru`. */
  domain: string;
  subdomain: string;
  zone: AmocrmZone;
}

// One DNS label: letters, digits, inner dashes, at most 63 characters.
const HOST = /^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)\.(amocrm\.ru|amocrm\.com|kommo\.com)$/;

/** Accepts a bare host, optionally with `https://` (some callers send a URL); refuses everything else. */
export function parseAmocrmReferer(referer: string): AmocrmDomain {
  const raw = referer
    .trim()
    .toLowerCase()
    .replace(/^https:\/\//, '')
    .replace(/\/$/, '');
  const match = HOST.exec(raw);
  if (!match || raw.length > 253) {
    throw new AmocrmError('invalid_referer', 'referer must be an amoCRM or Kommo account host such as example.amocrm.ru or example.kommo.com');
  }
  return { domain: raw, subdomain: match[1]!, zone: match[2] as AmocrmZone };
}

/**
 * The REST base for an account: `https://<domain>`, or AMOCRM_API_BASE_URL when the operator set one
 * (tests and sandbox point it at the emulator, which serves every account on one URL).
 */
export function amocrmBaseUrl(domain: string, override?: string | null): string {
  if (override) return override.replace(/\/+$/, '');
  return `https://${parseAmocrmReferer(domain).domain}`;
}

export type BaseUrlResolver = (domain: string) => string;

export const createBaseUrlResolver =
  (override?: string | null): BaseUrlResolver =>
  (domain) =>
    amocrmBaseUrl(domain, override);
