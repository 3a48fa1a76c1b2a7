import { invalidSignature } from '../errors';
import { parseDocumentedDate } from '../wire/amojo-date';
import { bodyMd5, REQUIRED_CONTENT_TYPE, requestSignature, sameHex } from '../wire/signature';

export interface InboundRequest {
  method: string;
  /** The path exactly as received (query included); the signature is checked without the query. */
  rawPath: string;
  body: Buffer;
  headers: { date?: string; contentType?: string; contentMd5?: string; signature?: string };
}

export interface VerifyPolicy {
  now: number;
  dateToleranceMs: number;
}

/**
 * The checks that need no secret: four headers present, Content-Type exactly application/json,
 * Content-MD5 over the bytes actually received, and a Date in the documented form inside the
 * window. They run before the channel is looked up, so an unsigned request learns nothing about
 * which channels exist. Every failure is the same 403 (amojo does not say which check failed);
 * the reason goes to the request log.
 */
export function verifyEnvelope(req: InboundRequest, policy: VerifyPolicy): void {
  const { date, contentType, contentMd5, signature } = req.headers;
  if (!date || !contentType || !contentMd5 || !signature) throw invalidSignature('missing_header');
  if (contentType !== REQUIRED_CONTENT_TYPE) throw invalidSignature('content_type');
  if (contentMd5 !== bodyMd5(req.body)) throw invalidSignature('content_md5');
  const at = parseDocumentedDate(date);
  if (at === undefined) throw invalidSignature('date_format');
  if (Math.abs(policy.now - at) > policy.dateToleranceMs) throw invalidSignature('date_out_of_window');
}

/** X-Signature over the method actually used and the path without its query, with the channel's secret. */
export function verifySignature(req: InboundRequest, secret: string): void {
  const q = req.rawPath.indexOf('?');
  const path = q === -1 ? req.rawPath : req.rawPath.slice(0, q);
  const expected = requestSignature(secret, {
    method: req.method,
    contentMd5: req.headers.contentMd5 ?? '',
    contentType: req.headers.contentType ?? '',
    date: req.headers.date ?? '',
    path,
  });
  if (!sameHex(expected, req.headers.signature ?? '')) throw invalidSignature('signature');
}
