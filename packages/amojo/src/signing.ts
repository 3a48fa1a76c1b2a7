import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The one signing module of amochan's own code: the client, the server's webhook route and the
 * test helpers use it, so a signature detail can only be wrong in one place. The emulator checks
 * signatures with its own code on purpose, so that one place is tested against a second reading.
 *
 * amojo's recipe: METHOD \n md5(body) \n content-type \n date \n path, HMAC-SHA1 with the channel
 * secret as a plain ASCII key, everything lowercase hex.
 */

export const AMOJO_CONTENT_TYPE = 'application/json';
export const EMPTY_BODY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e';

export interface SignRequestInput {
  method: string;
  /** URL path; a query string may be present and is stripped (amojo does not sign it). */
  path: string;
  /** The exact bytes that will be sent ('' for a body-less GET). */
  body: string | Buffer;
  secret: string;
  /** A Date, or an already formatted RFC 2822 string used verbatim. Defaults to now. */
  date?: Date | string;
}

export interface SignedHeaders {
  Date: string;
  'Content-Type': string;
  'Content-MD5': string;
  'X-Signature': string;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number): string => String(n).padStart(2, '0');

/** RFC 2822 in UTC with a numeric `+0000` zone, as amojo's own examples show (not `GMT`). */
export function formatAmojoDate(date: Date): string {
  return (
    `${DAYS[date.getUTCDay()]}, ${pad(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

export function md5Hex(body: string | Buffer): string {
  return createHash('md5').update(body).digest('hex');
}

/** Strips scheme/host if a full URL slipped in, and the query string, which amojo does not sign. */
export function signablePath(pathOrUrl: string): string {
  let path = pathOrUrl;
  const schemeAt = path.indexOf('://');
  if (schemeAt !== -1) {
    const slash = path.indexOf('/', schemeAt + 3);
    path = slash === -1 ? '/' : path.slice(slash);
  }
  const q = path.search(/[?#]/);
  return q === -1 ? path : path.slice(0, q);
}

export function stringToSign(method: string, contentMd5: string, contentType: string, date: string, path: string): string {
  return [method.toUpperCase(), contentMd5, contentType, date, signablePath(path)].join('\n');
}

export function hmacSha1Hex(secret: string, data: string | Buffer): string {
  return createHmac('sha1', secret).update(data).digest('hex');
}

export function signRequest(input: SignRequestInput): SignedHeaders {
  const date = typeof input.date === 'string' ? input.date : formatAmojoDate(input.date ?? new Date());
  const contentMd5 = md5Hex(input.body);
  const signature = hmacSha1Hex(input.secret, stringToSign(input.method, contentMd5, AMOJO_CONTENT_TYPE, date, input.path));
  return { Date: date, 'Content-Type': AMOJO_CONTENT_TYPE, 'Content-MD5': contentMd5, 'X-Signature': signature };
}

/** Constant-time comparison of two hex strings (length mismatch is answered without leaking which byte differs). */
export function safeEqualHex(expected: string, actual: string): boolean {
  const a = Buffer.from(expected.toLowerCase(), 'utf8');
  const b = Buffer.from(actual.trim().toLowerCase(), 'utf8');
  if (a.length !== b.length) {
    // Still do a comparison of equal length so timing does not depend on where the strings differ.
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}

/** HMAC-SHA1 of the webhook body amojo signs with the channel secret (no Date/MD5 on hooks). */
export function signWebhookBody(rawBody: string | Buffer, secret: string): string {
  return hmacSha1Hex(secret, rawBody);
}

/**
 * Verifies amojo's `X-Signature` on a webhook. The raw bytes are tried first; the body with
 * surrounding whitespace trimmed is accepted too, as several public receivers do, because proxies
 * have been seen to add a trailing newline. An empty secret or header never verifies.
 */
export function verifyWebhookSignature(rawBody: string | Buffer, signatureHeader: string | undefined | null, secret: string): boolean {
  if (!secret || typeof signatureHeader !== 'string' || signatureHeader.trim() === '') return false;
  const raw = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  if (safeEqualHex(signWebhookBody(raw, secret), signatureHeader)) return true;
  const trimmed = Buffer.from(raw.toString('utf8').trim(), 'utf8');
  if (trimmed.length === raw.length) return false;
  return safeEqualHex(signWebhookBody(trimmed, secret), signatureHeader);
}

export interface VerifyRequestInput {
  method: string;
  path: string;
  body: string | Buffer;
  secret: string;
  headers: { date?: string; contentType?: string; contentMd5?: string; signature?: string };
}

export type RequestVerification = { ok: true } | { ok: false; reason: 'missing_header' | 'content_type' | 'content_md5' | 'signature' };

/**
 * The inverse of signRequest, as amojo performs it on every inbound request, for anyone who wants
 * to check what they are about to send. Date freshness is the caller's policy, since it needs a clock.
 */
export function verifySignedRequest(input: VerifyRequestInput): RequestVerification {
  const { date, contentType, contentMd5, signature } = input.headers;
  if (!date || !contentType || !contentMd5 || !signature) return { ok: false, reason: 'missing_header' };
  if (contentType !== AMOJO_CONTENT_TYPE) return { ok: false, reason: 'content_type' };
  if (contentMd5.toLowerCase() !== md5Hex(input.body)) return { ok: false, reason: 'content_md5' };
  const expected = hmacSha1Hex(input.secret, stringToSign(input.method, contentMd5.toLowerCase(), contentType, date, input.path));
  return safeEqualHex(expected, signature) ? { ok: true } : { ok: false, reason: 'signature' };
}

/** Parses an RFC 2822 date as amojo sends/accepts it; NaN when unparseable. */
export function parseAmojoDate(value: string): number {
  return Date.parse(value);
}
