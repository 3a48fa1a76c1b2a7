import { createHash } from 'node:crypto';
import type { StoredMessage } from '../storage/types';

/**
 * The msgid amojo sees for a provider message. amojo refuses a second message with a msgid it
 * already has, and does not document how wide that uniqueness is: if it is per channel, two
 * provider accounts that both number their messages 1, 2, 3… would collide, and the second one's
 * message would be answered "duplicate" (and counted delivered) without ever reaching amoCRM.
 *
 * So amojo gets a msgid derived from (login, provider msgid): unique per channel, the same on every
 * retry (the idempotency key stays the provider's msgid), 36 characters of [a-z0-9_] whatever the
 * provider's msgid looks like (amojo documents no length or charset; its own examples are short
 * ASCII ids, so this stays well inside anything it could accept). 128 bits of SHA-256 make a
 * collision between two different (login, msgid) pairs practically impossible.
 */
export function amojoMsgidFor(login: string, msgid: string): string {
  // JSON keeps the pair unambiguous whatever characters either part holds.
  return `amc_${createHash('sha256')
    .update(JSON.stringify([login, msgid]))
    .digest('hex')
    .slice(0, 32)}`;
}

/**
 * How to name an earlier provider message to amojo (quotes, edits, reactions): amojo's own id once
 * we know it, else the derived msgid it was (or will be) sent with. Preferring the id also covers
 * messages sent before msgids were derived, which amojo knows by the provider's raw msgid.
 */
export function amojoRefOf(message: Pick<StoredMessage, 'login' | 'msgid' | 'amojoMsgId'>): { id: string } | { msgid: string } {
  if (message.amojoMsgId) return { id: message.amojoMsgId };
  return { msgid: amojoMsgidFor(message.login, message.msgid ?? '') };
}
