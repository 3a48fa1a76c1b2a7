import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * amoCRM's disable (uninstall) hook is signed: hex HMAC-SHA256 keyed with the client secret over
 * `<client_uuid>|<account_id>`. Compared in constant time; an empty secret never verifies.
 */
export function disableSignature(clientSecret: string, clientUuid: string, accountId: string | number): string {
  return createHmac('sha256', clientSecret).update(`${clientUuid}|${accountId}`).digest('hex');
}

export function verifyDisableSignature(input: { clientSecret: string; clientUuid: string; accountId: string | number; signature: string }): boolean {
  if (!input.clientSecret || !/^[0-9a-f]{64}$/i.test(input.signature)) return false;
  const expected = Buffer.from(disableSignature(input.clientSecret, input.clientUuid, input.accountId), 'hex');
  return timingSafeEqual(expected, Buffer.from(input.signature.toLowerCase(), 'hex'));
}
