import type { IdGenerator } from '../lib/ids';
import type { NewOutboxEntry } from './outbox-types';

/**
 * The outbox entry that brings one amoCRM account's sources in line with the provider's channels.
 * It carries no channel list: the delivery reads the current binding and channels when it runs, so
 * every entry converges on the latest state and later ones are cheap (one GET) — a crash, a retry
 * or two quick PUTs can never apply an outdated list. One ordering key per account keeps the
 * account's syncs (and their amoCRM rate limit) one at a time.
 */
export const SOURCES_SYNC_KIND = 'amocrm_sources';

export interface SourcesSyncPayload {
  amocrmAccountId: number;
  /** Why it was queued (logs, `outbox list`): connect, disconnect, channels, install… */
  reason: string;
}

export const sourcesOrderingKey = (amocrmAccountId: number): string => `amocrm:${amocrmAccountId}`;

export function sourcesSyncEntry(ids: IdGenerator, amocrmAccountId: number, reason: string): NewOutboxEntry {
  const payload: SourcesSyncPayload = { amocrmAccountId, reason };
  return { id: ids('obx'), destination: 'amocrm', kind: SOURCES_SYNC_KIND, orderingKey: sourcesOrderingKey(amocrmAccountId), payload, messageId: null };
}
