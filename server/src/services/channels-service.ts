import { effectiveChannels, wireChannelId } from '../amocrm/channels';
import type { ChannelDecl, ChannelsReply, ChannelView } from '../contract/provider-api';
import type { Clock } from '../lib/clock';
import { AppError } from '../lib/errors';
import type { IdGenerator } from '../lib/ids';
import type { Logger } from '../lib/logger';
import type { WakeSignal } from '../lib/wake-signal';
import { sourcesSyncEntry } from '../storage/amocrm-entries';
import type { AmocrmSource, NewOutboxEntry, Store } from '../storage/types';

/**
 * The provider's channels of a login (PUT replaces the whole list; GET shows each channel with its
 * amoCRM sources). A change queues a source sync for the amoCRM account the login is connected to;
 * the sync itself runs in the outbox, so a PUT never waits on amoCRM and never fails because of it.
 */
export interface ChannelsServiceDeps {
  store: Pick<Store, 'accounts' | 'connections' | 'installations' | 'providerChannels' | 'amocrmSources' | 'outbox'>;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  outboxSignal?: WakeSignal;
}

/** Sync entries for the amoCRM accounts (installed ones only) behind these amojo account ids. */
export async function sourceSyncEntries(
  store: Pick<Store, 'installations'>,
  ids: IdGenerator,
  amojoIds: Iterable<string>,
  reason: string,
): Promise<NewOutboxEntry[]> {
  const entries: NewOutboxEntry[] = [];
  for (const amojoId of new Set(amojoIds)) {
    const installation = await store.installations.getByAmojoId(amojoId);
    if (installation && installation.status !== 'uninstalled') entries.push(sourcesSyncEntry(ids, installation.amocrmAccountId, reason));
  }
  return entries;
}

const sourceView = (s: AmocrmSource): ChannelView['sources'][number] => ({
  amocrm_account_id: s.amocrmAccountId,
  external_id: s.externalId,
  source_id: s.amocrmSourceId,
  pipeline_id: s.pipelineId,
  state: s.state,
  error: s.lastError,
});

export function createChannelsService(deps: ChannelsServiceDeps) {
  const { store } = deps;

  /** Same refusals as the message routes: an unknown login is a typo (409 account_not_found). */
  async function requireKnownLogin(login: string): Promise<void> {
    if ((await store.accounts.get(login)) !== null) return;
    if ((await store.connections.list()).some((c) => c.login === login)) return;
    if ((await store.providerChannels.list(login)).length > 0) return;
    throw new AppError(
      'account_not_found',
      `unknown account "${login}": use the provider login that was connected in the amochan widget (or add it with \`accounts add\`)`,
    );
  }

  async function list(login: string): Promise<ChannelsReply> {
    const channels = effectiveChannels(login, await store.providerChannels.list(login));
    const sources = await store.amocrmSources.listByLogin(login);
    return {
      channels: channels.map((c) => ({
        id: wireChannelId(c.channelId),
        name: c.name,
        sources: sources.filter((s) => s.channelId === c.channelId).map(sourceView),
      })),
    };
  }

  /** Stores the list and queues the source sync of the login's connected account (if installed). */
  async function declare(login: string, channels: ChannelDecl[], reason: string): Promise<void> {
    await store.providerChannels.replace(login, channels, deps.clock.now());
    const connection = await store.connections.getConnectedByLogin(login);
    if (!connection) return;
    const entries = await sourceSyncEntries(store, deps.ids, [connection.amojoAccountId], reason);
    if (entries.length === 0) return;
    await store.outbox.enqueue(entries, deps.clock.now());
    deps.outboxSignal?.wake();
  }

  return {
    list: async (login: string): Promise<ChannelsReply> => {
      await requireKnownLogin(login);
      return list(login);
    },
    async put(login: string, channels: ChannelDecl[]): Promise<ChannelsReply> {
      await requireKnownLogin(login);
      await declare(login, channels, 'channels');
      deps.logger.info({ login, channels: channels.map((c) => c.id) }, 'channels declared');
      return list(login);
    },
    /** For the CLI and the credential verifier: no known-login check (the caller vouches). */
    declare,
  };
}

export type ChannelsService = ReturnType<typeof createChannelsService>;
