import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import helmet from 'helmet';

/**
 * helmet's security headers (CSP, HSTS, nosniff, frame options…) as a fixed set, for the answers
 * the pipeline sends without express: read once from helmet itself, run against a response that is
 * never sent, so express's answers and the pipeline's carry the same headers from one configuration.
 * With its default options helmet's headers do not depend on the request.
 */
const canonical = (name: string): string => name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());

export function securityHeaders(): Record<string, string> {
  const res = new ServerResponse(new IncomingMessage(new Socket()));
  helmet()(res.req, res, () => undefined);
  const headers: Record<string, string> = {};
  // Spelled as the pipeline spells them (a header both set, X-Content-Type-Options, stays one key).
  for (const name of res.getHeaderNames()) headers[canonical(name)] = String(res.getHeader(name));
  return headers;
}
