import type { Config } from '../../config';
import type { Logger } from '../../lib/logger';
import type { Store } from '../../storage/types';
import { createHttpVerifier } from './http-verifier';
import { createLocalVerifier } from './local-verifier';
import type { CredentialVerifier } from './types';

export type { CredentialVerifier } from './types';
export { createLocalVerifier } from './local-verifier';
export { createHttpVerifier } from './http-verifier';

/** Picks the verifier named by CREDENTIALS_VERIFIER (config.ts guarantees PROVIDER_AUTH_URL for http). */
export function createCredentialVerifier(deps: {
  config: Pick<Config, 'CREDENTIALS_VERIFIER' | 'PROVIDER_AUTH_URL' | 'PROVIDER_AUTH_TIMEOUT_MS'>;
  store: Pick<Store, 'accounts'>;
  logger: Logger;
  fetch?: typeof fetch;
}): CredentialVerifier {
  if (deps.config.CREDENTIALS_VERIFIER === 'http') {
    return createHttpVerifier({ url: deps.config.PROVIDER_AUTH_URL!, timeoutMs: deps.config.PROVIDER_AUTH_TIMEOUT_MS, logger: deps.logger, fetch: deps.fetch });
  }
  return createLocalVerifier({ accounts: deps.store.accounts });
}
