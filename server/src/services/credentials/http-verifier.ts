import { AmojoNetworkError, fetchWithTimeout, type TimedResponse } from '@amochan/amojo';
import { channelListSchema } from '../../contract/provider-api';
import { AppError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import type { CredentialCheck, CredentialVerifier } from './types';

/**
 * The provider checks its own passwords: POST `{login, password}` as JSON to PROVIDER_AUTH_URL.
 * 2xx = valid, 401/403 = invalid; anything else (other statuses, redirects, network errors, the
 * timeout) means we cannot tell, which the widget must show as "try again", never "wrong password".
 * A 2xx body may declare the account's channels (`{"channels":[{"id","name"}]}`); an invalid list is
 * logged and ignored, never a reason to refuse a valid login.
 */
export interface HttpVerifierOptions {
  url: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
  logger: Logger;
}

export const DEFAULT_PROVIDER_AUTH_TIMEOUT_MS = 5000;

/** A channel list is small; a bigger body is not parsed (the verdict is the status anyway). */
const MAX_BODY_CHARS = 64 * 1024;

function channelsFrom(text: string, logger: Logger, where: string): CredentialCheck['channels'] {
  if (text.trim() === '' || text.length > MAX_BODY_CHARS) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (body === null || typeof body !== 'object' || !('channels' in body)) return undefined;
  const parsed = channelListSchema.safeParse((body as { channels: unknown }).channels);
  if (parsed.success) return parsed.data;
  logger.warn({ url: where, issue: parsed.error.issues[0]?.message }, 'provider auth endpoint returned an invalid channel list; ignored');
  return undefined;
}

export function createHttpVerifier(options: HttpVerifierOptions): CredentialVerifier {
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROVIDER_AUTH_TIMEOUT_MS;
  const target = new URL(options.url);
  const where = `${target.origin}${target.pathname}`;
  return {
    kind: 'http',
    check,
    verify: async (login, password) => (await check(login, password)).valid,
  };

  async function check(login: string, password: string): Promise<CredentialCheck> {
    let response: TimedResponse;
    try {
      const init: RequestInit = {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ login, password }),
        // Never follow a redirect: it would resend the password to wherever the Location points.
        redirect: 'manual',
      };
      // The whole body is read too: the connection can be reused, and a 2xx body may list channels.
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
    if (response.status >= 200 && response.status < 300) {
      const channels = channelsFrom(response.text, options.logger, where);
      return channels ? { valid: true, channels } : { valid: true };
    }
    if (response.status === 401 || response.status === 403) return { valid: false };
    options.logger.warn({ status: response.status, url: where }, 'provider auth endpoint answered unexpectedly');
    throw new AppError('provider_auth_unavailable', `the provider's login check answered ${response.status}; try again later`, {
      details: { upstream_status: response.status },
    });
  }
}
