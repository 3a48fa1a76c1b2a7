import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/*
 * amojo's request signature, written here from the Chats API docs and on purpose not shared with
 * the SDK: the emulator is a second, independent reading of the docs, so a mistake in the SDK's
 * signing shows up as a 403 in a test instead of being agreed with.
 *
 * String to sign: METHOD \n content-md5 \n content-type \n date \n path (no query), HMAC-SHA1 with the
 * channel secret as a plain ASCII key, lowercase hex. Hooks amojo sends: HMAC-SHA1 of the raw body.
 */

export const REQUIRED_CONTENT_TYPE = 'application/json';

const hex = (h: { digest(enc: 'hex'): string }): string => h.digest('hex');

export function bodyMd5(body: Buffer): string {
  return hex(createHash('md5').update(body));
}

export function requestSignature(secret: string, parts: { method: string; contentMd5: string; contentType: string; date: string; path: string }): string {
  const text = `${parts.method}\n${parts.contentMd5}\n${parts.contentType}\n${parts.date}\n${parts.path}`;
  return hex(createHmac('sha1', Buffer.from(secret, 'ascii')).update(text, 'utf8'));
}

/** X-Signature of a hook body, as amojo signs what it sends to the channel's callback URL. */
export function hookSignature(secret: string, body: string): string {
  return hex(createHmac('sha1', Buffer.from(secret, 'ascii')).update(body, 'utf8'));
}

/** Constant-time equality of two lowercase hex strings; a length mismatch is simply false. */
export function sameHex(expected: string, given: string): boolean {
  if (!/^[0-9a-f]*$/.test(given) || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(expected, 'ascii'), Buffer.from(given, 'ascii'));
}
