import { createHash } from 'node:crypto';

/**
 * The `external_id` of the amoCRM source of one provider channel in one amoCRM account.
 * amoCRM documents no maximum length (its own example is 39 characters), only uniqueness per
 * integration and account, so we stay conservative: `amc_` + 32 hex characters = 36, lowercase
 * [a-z0-9_] only. It is a hash of (account id, login, channel id) so it is stable across restarts
 * and instances, distinct per channel, and reveals nothing about the provider's login.
 */
export const EXTERNAL_ID_MAX_LENGTH = 40;

export function sourceExternalId(amocrmAccountId: number, login: string, channelId: string): string {
  // Length-prefixed parts: no two different triples can produce the same hashed string.
  const parts = [String(amocrmAccountId), login, channelId].map((p) => `${p.length}:${p}`).join('|');
  return `amc_${createHash('sha256').update(parts).digest('hex').slice(0, 32)}`;
}
