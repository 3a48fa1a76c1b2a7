import { parseAmojoDate, signablePath, verifySignedRequest } from '@amochan/amojo';
import { invalidSignature } from '../errors';

export interface InboundRequest {
  method: string;
  /** The path exactly as received (query included); the signature is checked without the query. */
  rawPath: string;
  body: Buffer;
  headers: { date?: string; contentType?: string; contentMd5?: string; signature?: string };
}

export interface VerifyPolicy {
  secret: string;
  now: number;
  dateToleranceMs: number;
}

/**
 * amojo's gate, in amojo's order: four headers present, Content-Type exactly application/json,
 * Content-MD5 over the bytes actually received, X-Signature over the method actually used and the
 * path without its query, then Date freshness. All failures are the same 403 to the caller (amojo
 * does not say which check failed); the reason goes to the request log.
 */
export function verifyInbound(req: InboundRequest, policy: VerifyPolicy): void {
  const result = verifySignedRequest({
    method: req.method,
    path: signablePath(req.rawPath),
    body: req.body,
    secret: policy.secret,
    headers: req.headers,
  });
  if (!result.ok) throw invalidSignature(result.reason);
  const date = parseAmojoDate(req.headers.date ?? '');
  if (Number.isNaN(date)) throw invalidSignature('date_unparseable');
  if (Math.abs(policy.now - date) > policy.dateToleranceMs) throw invalidSignature('date_out_of_window');
}
