import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * `X-Amochan-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>` on every event
 * we POST to the provider. The timestamp is inside the signed string so a captured request cannot be
 * replayed later than the provider's tolerance; `v1` names the scheme so it can evolve without
 * breaking receivers (they ignore parts they do not know).
 */

export const PROVIDER_SIGNATURE_HEADER = 'X-Amochan-Signature';
/** Default tolerance a receiver should apply to `t` (the docs and verifyProviderSignature use it). */
export const DEFAULT_SIGNATURE_TOLERANCE_S = 300;

export function providerSignatureHex(secret: string, timestamp: number, rawBody: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

/** The header value for `rawBody` signed at `nowMs`. */
export function signProviderEvent(rawBody: string | Buffer, secret: string, nowMs: number): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${providerSignatureHex(secret, t, rawBody)}`;
}

export interface ParsedProviderSignature {
  timestamp: number;
  signatures: string[];
}

/** Splits `t=…,v1=…[,v1=…]`; null when there is no usable timestamp or v1 part. */
export function parseProviderSignature(header: string | undefined | null): ParsedProviderSignature | null {
  if (typeof header !== 'string') return null;
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d+$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) signatures.push(value.toLowerCase());
  }
  if (timestamp === undefined || signatures.length === 0) return null;
  return { timestamp, signatures };
}

export interface VerifyProviderSignatureOptions {
  nowMs?: number;
  /** Seconds `t` may differ from now either way; 0 disables the check. */
  toleranceS?: number;
}

/**
 * What a provider does on receipt (the integration guide shows the same logic standalone): constant-
 * time compare on the raw bytes, then a freshness check so an old capture cannot be replayed.
 */
export function verifyProviderSignature(
  rawBody: string | Buffer,
  header: string | undefined | null,
  secret: string,
  options: VerifyProviderSignatureOptions = {},
): boolean {
  if (!secret) return false;
  const parsed = parseProviderSignature(header);
  if (!parsed) return false;
  const expected = Buffer.from(providerSignatureHex(secret, parsed.timestamp, rawBody), 'utf8');
  const matches = parsed.signatures.some((sig) => {
    const actual = Buffer.from(sig, 'utf8');
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  });
  if (!matches) return false;
  const tolerance = options.toleranceS ?? DEFAULT_SIGNATURE_TOLERANCE_S;
  if (tolerance === 0) return true;
  const nowS = Math.floor((options.nowMs ?? Date.now()) / 1000);
  return Math.abs(nowS - parsed.timestamp) <= tolerance;
}
