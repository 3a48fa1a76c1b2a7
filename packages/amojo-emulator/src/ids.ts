import { randomBytes, randomUUID } from 'node:crypto';

/** amojo ids are lowercase v4 uuids; tests inject a deterministic generator instead. */
export type IdGenerator = () => string;

export const defaultIdGenerator: IdGenerator = () => randomUUID();

/** Channel secrets from amoCRM support are 40 lowercase hex characters. */
export function randomSecret(): string {
  return randomBytes(20).toString('hex');
}
