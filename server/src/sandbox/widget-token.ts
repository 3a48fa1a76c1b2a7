import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Config } from '../config';
import { SANDBOX_AMOCRM_ACCOUNT_ID, SANDBOX_SUBDOMAIN } from './types';

/**
 * In a real account amoCRM signs a disposable token for every $authorizedAjax call with the
 * integration's client secret. The sandbox host page has no amoCRM behind it, so when a developer
 * turns tokens on (AMOCRM_CLIENT_SECRET) in sandbox mode, the server mints the same token for it.
 * Never mounted outside sandbox mode.
 */
export async function mintSandboxWidgetToken(
  config: Pick<Config, 'AMOCRM_CLIENT_SECRET' | 'AMOCRM_CLIENT_ID' | 'AMOCRM_TOKEN_AUDIENCE'>,
  origin: string,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    account_id: SANDBOX_AMOCRM_ACCOUNT_ID,
    user_id: 1,
    subdomain: SANDBOX_SUBDOMAIN,
    ...(config.AMOCRM_CLIENT_ID ? { client_uuid: config.AMOCRM_CLIENT_ID } : {}),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(`https://${SANDBOX_SUBDOMAIN}.amocrm.ru`)
    .setAudience(config.AMOCRM_TOKEN_AUDIENCE ?? origin)
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + 1800)
    .sign(new TextEncoder().encode(config.AMOCRM_CLIENT_SECRET ?? ''));
}
