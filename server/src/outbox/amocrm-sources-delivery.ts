import { effectiveChannels } from '../amocrm/channels';
import { isAmocrmError, type AmocrmError } from '../amocrm/errors';
import type { AmocrmRestClient } from '../amocrm/rest-client';
import { syncSources } from '../amocrm/source-sync';
import type { Clock } from '../lib/clock';
import type { Logger } from '../lib/logger';
import { SOURCES_SYNC_KIND, type SourcesSyncPayload } from '../storage/amocrm-entries';
import type { OutboxEntry, Store } from '../storage/types';
import { delivered, permanent, retryable, type DeliveryFailure, type DeliveryHandler, type DeliveryResult } from './types';

/**
 * Delivers `amocrm_sources` entries: makes one amoCRM account hold one source per channel of the
 * login connected there, and none for logins that left it (disconnected, moved, replaced). It reads
 * the binding and the channels when it runs, so it always converges on the current state.
 * amoCRM down, 429 and a 401 the token manager could not cure are retried with the outbox's backoff;
 * a refusal (source limit, validation) is permanent: the entry dies and the account's unfinished
 * sources show `error` with the reason until the next change of channels or connect tries again.
 */
export interface AmocrmSourcesDeliveryOptions {
  /** Absent when the amoCRM integration is not configured (no OAuth): entries cannot be served. */
  rest: AmocrmRestClient | undefined;
  store: Pick<Store, 'installations' | 'connections' | 'providerChannels' | 'amocrmSources'>;
  clock: Clock;
  logger: Logger;
}

const RETRY_CODES = new Set(['rate_limited', 'amocrm_unavailable', 'unauthorized']);

function failureOf(err: AmocrmError, accountId: number): DeliveryFailure {
  const retryAfterMs = err.retryAfter !== undefined ? err.retryAfter * 1000 : undefined;
  if (RETRY_CODES.has(err.code)) return retryable(`amoCRM account ${accountId}: ${err.message}`, retryAfterMs !== undefined ? { retryAfterMs } : {});
  if (err.code === 'source_limit_reached') {
    return permanent(
      `source_limit_reached: amoCRM account ${accountId} refused new sources (the integration's source limit, 50–100 per account, is reached): ` +
        'declare fewer channels with PUT /api/v1/accounts/:login/channels, or delete sources in amoCRM, then `outbox retry` this entry',
    );
  }
  return permanent(`${err.code}: amoCRM account ${accountId}: ${err.message}`);
}

export function createAmocrmSourcesDelivery(options: AmocrmSourcesDeliveryOptions): DeliveryHandler {
  const { store, clock } = options;

  async function sync(rest: AmocrmRestClient, accountId: number): Promise<void> {
    const installation = await store.installations.get(accountId);
    if (!installation || installation.status === 'uninstalled') return;
    const binding = await store.connections.getByAmojoAccount(installation.amojoId);
    const login = binding?.status === 'connected' ? binding.login : null;
    const deps = { sources: store.amocrmSources, rest, clock };
    const leftovers = new Set((await store.amocrmSources.listByAccount(accountId)).map((s) => s.login));
    for (const gone of leftovers) {
      if (gone !== login) await syncSources(deps, { amocrmAccountId: accountId, login: gone, channels: [] });
    }
    if (login === null) return;
    const channels = effectiveChannels(login, await store.providerChannels.list(login));
    await syncSources(deps, { amocrmAccountId: accountId, login, channels, pipelineId: binding?.pipelineId ?? null });
  }

  async function deliver(entry: OutboxEntry): Promise<DeliveryResult> {
    if (entry.kind !== SOURCES_SYNC_KIND) return permanent(`unknown amocrm outbox kind "${entry.kind}"`);
    const { amocrmAccountId } = entry.payload as SourcesSyncPayload;
    if (!options.rest)
      return permanent('the amoCRM integration is not configured (AMOCRM_CLIENT_ID, AMOCRM_CLIENT_SECRET, AMOCRM_REDIRECT_URI): sources cannot be synced');
    try {
      await sync(options.rest, amocrmAccountId);
      return delivered();
    } catch (err) {
      // Uninstalled meanwhile: nothing left to keep in line.
      if (isAmocrmError(err, 'not_installed')) return delivered();
      if (isAmocrmError(err)) return failureOf(err, amocrmAccountId);
      throw err;
    }
  }

  return {
    deliver,
    async onDead(entry, failure) {
      const { amocrmAccountId } = entry.payload as SourcesSyncPayload;
      const now = clock.now();
      for (const s of await store.amocrmSources.listByAccount(amocrmAccountId)) {
        if (s.state === 'pending') await store.amocrmSources.save({ ...s, state: 'error', lastError: failure.error, updatedAt: now });
      }
      options.logger.warn({ amocrmAccountId, error: failure.error }, 'amoCRM sources could not be synced');
      return undefined;
    },
  };
}
