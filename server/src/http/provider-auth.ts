import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '../lib/errors';

/**
 * `Authorization: Bearer <PROVIDER_API_TOKEN>` on every /api/v1 call. Both sides are hashed first so
 * the comparison is constant-time whatever the lengths, and a wrong token leaks nothing about the
 * right one through timing.
 */
const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export function tokensMatch(expected: string, presented: string): boolean {
  return timingSafeEqual(digest(expected), digest(presented));
}

/** null when the Authorization header carries the configured token, else the error to answer. */
export function checkProviderToken(expected: string, header: string | undefined): AppError | null {
  const match = /^Bearer[ \t]+(\S+)\s*$/i.exec(header ?? '');
  // No token configured (only possible in sandbox without one) never authenticates anybody.
  if (match && expected !== '' && tokensMatch(expected, match[1]!)) return null;
  return new AppError(
    'unauthorized',
    match ? 'invalid API token: send the PROVIDER_API_TOKEN configured on the server' : 'missing "Authorization: Bearer <PROVIDER_API_TOKEN>" header',
  );
}
