import { verifyWebhookSignature } from './signing';
import { AmojoInvalidSignatureError } from './errors';
import { parseWebhook } from './schemas/parse-webhook';
import type { ParseWebhookResult } from './schemas/parse-webhook';

/*
 * Node-side webhook helpers: signature check on the raw bytes, then the lenient parse. The order
 * matters: parsing first would invite verifying a re-serialised body, which never matches.
 */

/** Throws AmojoInvalidSignatureError unless `signatureHeader` is amojo's HMAC-SHA1 of the raw body. */
export function assertWebhookSignature(rawBody: string | Buffer, signatureHeader: string | undefined | null, secret: string): void {
  if (!secret) {
    throw new AmojoInvalidSignatureError('no channel secret configured: set AMOJO_CHANNEL_SECRET; webhooks cannot be verified without it');
  }
  if (!verifyWebhookSignature(rawBody, signatureHeader, secret)) throw new AmojoInvalidSignatureError();
}

/**
 * Verifies then parses a hook. A bad signature throws (answer 401, store nothing); a body that does
 * not parse comes back as `{ok:false}` (answer 400, log the raw body).
 */
export function verifyAndParseWebhook(rawBody: string | Buffer, signatureHeader: string | undefined | null, secret: string): ParseWebhookResult {
  assertWebhookSignature(rawBody, signatureHeader, secret);
  return parseWebhook(rawBody);
}
