import { AmojoNetworkError, fetchWithTimeout, type TimedResponse } from '@amochan/amojo';
import { AppError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import type { CredentialVerifier } from './types';

/**
 * The provider checks its own passwords: POST `{login, password}` as JSON to PROVIDER_AUTH_URL.
 * 2xx = valid, 401/403 = invalid; anything else (other statuses, redirects, network errors, the
 * timeout) means we cannot tell, which the widget must show as "try again", never "wrong password".
 */
export interface HttpVerifierOptions {
  url: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
  logger: Logger;
}

export const DEFAULT_PROVIDER_AUTH_TIMEOUT_MS = 5000;

export function createHttpVerifier(options: HttpVerifierOptions): CredentialVerifier {
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROVIDER_AUTH_TIMEOUT_MS;
  const target = new URL(options.url);
  const where = `${target.origin}${target.pathname}`;
  return {
    kind: 'http',
    async verify(login, password) {
      let response: TimedResponse;
      try {
        const init: RequestInit = {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify({ login, password }),
          // Never follow a redirect: it would resend the password to wherever the Location points.
          redirect: 'manual',
        };
        // The whole body is read too, so the connection can be reused; its content is not needed.
        response = await fetchWithTimeout(doFetch, options.url, init, timeoutMs);
      } catch (err) {
        const timedOut = err instanceof AmojoNetworkError && err.code === 'timeout';
        options.logger.warn({ err: timedOut ? undefined : err, url: where, timeoutMs }, 'provider auth endpoint unreachable');
        throw new AppError(
          'provider_auth_unavailable',
          timedOut
            ? `the provider's login check did not answer within ${timeoutMs} ms; try again later`
            : "the provider's login check could not be reached; try again later",
          { cause: err },
        );
      }
      if (response.status >= 200 && response.status < 300) return true;
      if (response.status === 401 || response.status === 403) return false;
      options.logger.warn({ status: response.status, url: where }, 'provider auth endpoint answered unexpectedly');
      throw new AppError('provider_auth_unavailable', `the provider's login check answered ${response.status}; try again later`, {
        details: { upstream_status: response.status },
      });
    },
  };
}
