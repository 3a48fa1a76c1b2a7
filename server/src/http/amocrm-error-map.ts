import type { AmocrmError } from '../amocrm/errors';
import { AppError } from '../lib/errors';

/**
 * amoCRM-side failures as answers: what the caller can fix is a 4xx naming it (a foreign referer,
 * a refused code, a missing install); amoCRM being down or odd is 502 with amoCRM's code in details,
 * so an operator can tell a rate limit from an outage. Never carries tokens (AmocrmError has none).
 */
export function fromAmocrmError(err: AmocrmError): AppError {
  const options = { cause: err, details: { amocrm_code: err.code, ...(err.status !== undefined ? { amocrm_status: err.status } : {}) } };
  switch (err.code) {
    case 'invalid_referer':
      return new AppError('invalid_referer', err.message, { cause: err });
    case 'oauth_refused':
      return new AppError('invalid_grant', `${err.message}; start the install again from amoCRM (an authorization code is single-use and lives 20 minutes)`, {
        cause: err,
      });
    case 'not_installed':
    case 'reauthorization_required':
      return new AppError('install_required', `${err.message}; an administrator must install (or re-install) the integration in amoCRM`, options);
    case 'invalid_signature':
      return new AppError('invalid_signature', err.message, { cause: err });
    case 'rate_limited':
      return new AppError('amocrm_error', err.message, { ...options, ...(err.retryAfter !== undefined ? { retryAfter: err.retryAfter } : {}) });
    default:
      return new AppError('amocrm_error', `amoCRM: ${err.message}`, options);
  }
}
