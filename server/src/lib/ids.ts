import { randomBytes, randomUUID } from 'node:crypto';

/** Prefixed, sortable-enough ids: `<prefix>_<time base36><random>`; the prefix tells what an id names. */
export type IdGenerator = (prefix: string) => string;

export const createId: IdGenerator = (prefix) =>
  `${prefix}_${Date.now().toString(36)}${randomBytes(8).toString('hex')}`;

export const uuid = (): string => randomUUID();
