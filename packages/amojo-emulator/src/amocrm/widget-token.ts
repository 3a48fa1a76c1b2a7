import { createHmac, randomUUID } from 'node:crypto';

/**
 * amoCRM signs a disposable JWT (HS256, keyed with the integration's client secret) for every
 * `$authorizedAjax` call of a widget; our server checks signature, exp, jti (single use), iss (an
 * amoCRM/Kommo account URL), aud, client_uuid and account_id. Built with node:crypto so the emulator
 * needs no JWT library.
 */
export interface WidgetTokenClaims {
  accountId: number;
  subdomain: string;
  /** The account's host: the issuer is `https://<domain>`. */
  domain: string;
  clientId: string;
  clientSecret: string;
  /** The widget's page origin or the configured audience the server expects. */
  audience: string;
  userId: number;
  nowMs: number;
  expiresInSec: number;
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

export function mintWidgetToken(c: WidgetTokenClaims): string {
  const now = Math.floor(c.nowMs / 1000);
  const header = b64url({ alg: 'HS256', typ: 'JWT' });
  const payload = b64url({
    iss: `https://${c.domain}`,
    aud: c.audience,
    jti: randomUUID(),
    iat: now,
    nbf: now,
    exp: now + c.expiresInSec,
    account_id: c.accountId,
    user_id: c.userId,
    subdomain: c.subdomain,
    client_uuid: c.clientId,
  });
  const signature = createHmac('sha256', c.clientSecret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

/** Hex HMAC-SHA256 of `<client_uuid>|<account_id>` with the client secret: the disable hook's signature. */
export function disableHookSignature(clientSecret: string, clientId: string, accountId: number): string {
  return createHmac('sha256', clientSecret).update(`${clientId}|${accountId}`).digest('hex');
}
