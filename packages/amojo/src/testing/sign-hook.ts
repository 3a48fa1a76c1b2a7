import { signWebhookBody } from '../signing';

/*
 * A hook as amojo sends it to the channel's callback URL: the JSON bytes and X-Signature, the
 * lowercase hex HMAC-SHA1 of exactly those bytes with the channel secret. No Date, no Content-MD5.
 */

export const HOOK_USER_AGENT = 'amoCRM amoJo/1.0';

export interface SignedHook {
  /** The exact bytes to POST; the signature covers these, so send them unchanged. */
  body: string;
  headers: { 'Content-Type': 'application/json'; 'X-Signature': string; 'User-Agent': string };
}

/** Serialises `hook` once (a string is used verbatim) and signs those bytes. */
export function signHook(hook: unknown, secret: string): SignedHook {
  if (!secret) throw new TypeError('signHook: the channel secret is empty; amojo never signs with an empty key');
  const body = typeof hook === 'string' ? hook : JSON.stringify(hook);
  return { body, headers: { 'Content-Type': 'application/json', 'X-Signature': signWebhookBody(body, secret), 'User-Agent': HOOK_USER_AGENT } };
}
