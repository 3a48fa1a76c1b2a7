import { effectiveChannels, storedChannelId, wireChannelId } from '../amocrm/channels';
import { isAmocrmError } from '../amocrm/errors';
import { listPipelines } from '../amocrm/pipelines-api';
import type { AmocrmRestClient } from '../amocrm/rest-client';
import { listSources, updateSources, type AmocrmSourceInfo } from '../amocrm/sources-api';
import type { WidgetChannel, WidgetPipeline } from '../contract/widget-api';
import type { Clock } from '../lib/clock';
import { AppError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { Connection, Installation, Store } from '../storage/types';

/**
 * What the widget's settings show and change about sources: each channel with the pipeline amoCRM
 * says its source is in (the truth, read from amoCRM, not what was last clicked), the account's
 * pipelines for the picker, and the move of one channel's source (or all of them) to a pipeline.
 * amoCRM is read at most every CACHE_MS per account; when it is down the last answer is reused
 * (or the local view with `amocrm_error`), so the settings page still opens.
 */
export const STATUS_CACHE_MS = 10_000;

export interface WidgetSourcesDeps {
  store: Pick<Store, 'installations' | 'providerChannels' | 'amocrmSources' | 'connections'>;
  rest: AmocrmRestClient | undefined;
  clock: Clock;
  logger: Logger;
  /** Queues a source sync of the account (a source amoCRM no longer has gets created again). */
  requestSync?: (amocrmAccountId: number) => Promise<void>;
}

export interface SourcesView {
  channels: WidgetChannel[];
  pipelines: WidgetPipeline[] | null;
  amocrm_error?: string;
}

interface Remote {
  at: number;
  pipelines: WidgetPipeline[];
  sources: Map<string, AmocrmSourceInfo>;
}

export function createWidgetSources(deps: WidgetSourcesDeps) {
  const { store } = deps;
  const cache = new Map<number, Remote>();

  async function installationOf(connection: Connection): Promise<Installation | null> {
    const inst = await store.installations.getByAmojoId(connection.amojoAccountId);
    return inst && inst.status !== 'uninstalled' ? inst : null;
  }

  async function readRemote(accountId: number, externalIds: string[], fresh: boolean): Promise<Remote & { fetched: boolean }> {
    const cached = cache.get(accountId);
    if (!fresh && cached && deps.clock.now() - cached.at < STATUS_CACHE_MS) return { ...cached, fetched: false };
    const request = deps.rest!.forAccount(accountId);
    const pipelines = (await listPipelines(request)).filter((p) => !p.isArchive).map((p) => ({ id: p.id, name: p.name, is_main: p.isMain }));
    const sources = externalIds.length > 0 ? await listSources(request, externalIds) : [];
    const remote = { at: deps.clock.now(), pipelines, sources: new Map(sources.map((s) => [s.externalId, s])) };
    cache.set(accountId, remote);
    return { ...remote, fetched: true };
  }

  /** Nothing without the amoCRM integration configured: the status keeps its old shape. */
  async function view(connection: Connection, fresh = false): Promise<SourcesView | Record<string, never>> {
    if (!deps.rest) return {};
    const inst = await installationOf(connection);
    const channels = effectiveChannels(connection.login, await store.providerChannels.list(connection.login));
    const rows = inst ? (await store.amocrmSources.listByAccount(inst.amocrmAccountId)).filter((s) => s.login === connection.login) : [];
    const byChannel = new Map(rows.map((r) => [r.channelId, r]));
    let remote: Remote | null = null;
    let amocrmError: string | undefined;
    if (inst && deps.rest && inst.status === 'active') {
      try {
        const read = await readRemote(
          inst.amocrmAccountId,
          rows.map((r) => r.externalId),
          fresh,
        );
        remote = read;
        // Someone deleted a source in amoCRM: at most once per fresh read, ask the sync to recreate it.
        if (read.fetched && rows.some((r) => r.state === 'created' && !read.sources.has(r.externalId))) {
          await deps.requestSync?.(inst.amocrmAccountId).catch((err: unknown) => deps.logger.warn({ err }, 'could not queue a source sync'));
        }
      } catch (err) {
        amocrmError = err instanceof Error ? err.message : String(err);
        remote = cache.get(inst.amocrmAccountId) ?? null;
        deps.logger.warn({ amocrmAccountId: inst.amocrmAccountId, err: amocrmError }, 'could not read pipelines/sources from amoCRM for the widget');
      }
    } else if (inst?.status === 'reauthorization_required') {
      amocrmError = 'amoCRM refused our tokens: an administrator must install the integration again';
    }
    const out: SourcesView = {
      channels: channels.map((c) => {
        const row = byChannel.get(c.channelId);
        const live = row ? remote?.sources.get(row.externalId) : undefined;
        return {
          id: wireChannelId(c.channelId),
          name: c.name,
          external_id: row?.externalId ?? null,
          source_id: live?.id ?? row?.amocrmSourceId ?? null,
          pipeline_id: live ? live.pipelineId : (row?.pipelineId ?? null),
          // A source deleted in amoCRM (row created, amoCRM has none) is pending: the sync queued below recreates it.
          state: live ? 'created' : row?.state === 'error' ? 'error' : 'pending',
          ...(row?.lastError ? { error: row.lastError } : {}),
        };
      }),
      pipelines: remote?.pipelines ?? null,
    };
    if (amocrmError !== undefined) out.amocrm_error = amocrmError;
    return out;
  }

  /** Moves the channel's source (or every source of the login) to the pipeline, in amoCRM first. */
  async function move(connection: Connection, pipelineId: number, channel: string | null | undefined): Promise<SourcesView | Record<string, never>> {
    const inst = await installationOf(connection);
    if (!inst || !deps.rest) return view(connection);
    const declared = effectiveChannels(connection.login, await store.providerChannels.list(connection.login));
    if (channel !== undefined && !declared.some((c) => c.channelId === storedChannelId(channel))) {
      throw new AppError('unknown_channel', `the provider account has no channel "${channel}"`, {
        details: { channels: declared.map((c) => wireChannelId(c.channelId)) },
      });
    }
    const rows = (await store.amocrmSources.listByAccount(inst.amocrmAccountId)).filter(
      (s) => s.login === connection.login && (channel === undefined || s.channelId === storedChannelId(channel)),
    );
    const now = deps.clock.now();
    const created = rows.filter((r) => r.amocrmSourceId !== null);
    if (created.length > 0) {
      let moved: AmocrmSourceInfo[];
      try {
        moved = await updateSources(
          deps.rest.forAccount(inst.amocrmAccountId),
          created.map((r) => ({ id: r.amocrmSourceId!, pipelineId })),
        );
      } catch (err) {
        const code = isAmocrmError(err) ? err.code : 'unknown';
        throw new AppError('amocrm_error', `amoCRM did not move the source(s): ${err instanceof Error ? err.message : String(err)}`, {
          cause: err,
          details: { amocrm_code: code },
        });
      }
      const byId = new Map(moved.map((m) => [m.id, m]));
      for (const r of created) await store.amocrmSources.save({ ...r, pipelineId: byId.get(r.amocrmSourceId!)?.pipelineId ?? pipelineId, updatedAt: now });
    }
    // Not created yet (pending, error): the sync creates them in the chosen pipeline.
    for (const r of rows.filter((x) => x.amocrmSourceId === null)) await store.amocrmSources.save({ ...r, pipelineId, updatedAt: now });
    return view(connection, true);
  }

  return { view, move };
}

export type WidgetSources = ReturnType<typeof createWidgetSources>;
