import type { Clock } from '../lib/clock';
import type { AmocrmSource, AmocrmSourceRepo } from '../storage/types';
import type { EffectiveChannel } from './channels';
import { AmocrmError } from './errors';
import { sourceExternalId } from './external-id';
import type { AmocrmRestClient } from './rest-client';
import { createSources, deleteSources, listSources, updateSources, type AmocrmSourceInfo } from './sources-api';

/**
 * Makes amoCRM hold exactly one source per channel of a login in one account, and our table say so.
 * Idempotent and safe to retry from the outbox: amoCRM is asked first (by external_id), so a source
 * created just before a crash is adopted rather than created twice; a source deleted already is fine.
 * The first channel is the default source. New sources go to the pipeline their channel had (a
 * source recreated), else `pipelineId` (null: amoCRM's main pipeline); existing ones keep the pipeline amoCRM reports (the truth, not what was last clicked).
 */
export interface SourceSyncDeps {
  sources: AmocrmSourceRepo;
  rest: AmocrmRestClient;
  clock: Clock;
}

export interface SourceSyncInput {
  amocrmAccountId: number;
  login: string;
  /** effectiveChannels(login, declared); an empty list removes every source of the login. */
  channels: EffectiveChannel[];
  pipelineId?: number | null;
}

function row(input: SourceSyncInput, c: EffectiveChannel, remote: AmocrmSourceInfo, before: AmocrmSource | undefined, now: number): AmocrmSource {
  return {
    amocrmAccountId: input.amocrmAccountId,
    login: input.login,
    channelId: c.channelId,
    externalId: remote.externalId,
    amocrmSourceId: remote.id,
    pipelineId: remote.pipelineId,
    name: remote.name,
    isDefault: remote.isDefault,
    state: 'created',
    lastError: null,
    createdAt: before?.createdAt ?? now,
    updatedAt: now,
  };
}

export async function syncSources(deps: SourceSyncDeps, input: SourceSyncInput): Promise<AmocrmSource[]> {
  const request = deps.rest.forAccount(input.amocrmAccountId);
  const stored = (await deps.sources.listByAccount(input.amocrmAccountId)).filter((s) => s.login === input.login);
  const wanted = input.channels.map((c, i) => ({ c, externalId: sourceExternalId(input.amocrmAccountId, input.login, c.channelId), isDefault: i === 0 }));
  const lookup = [...new Set([...wanted.map((w) => w.externalId), ...stored.map((s) => s.externalId)])];
  const remote = new Map((lookup.length > 0 ? await listSources(request, lookup) : []).map((s) => [s.externalId, s]));
  const storedByChannel = new Map(stored.map((s) => [s.channelId, s]));

  // Gone channels first: frees room under amoCRM's per-integration limit before creating.
  const wantedIds = new Set(wanted.map((w) => w.c.channelId));
  for (const s of stored.filter((x) => !wantedIds.has(x.channelId))) {
    await deps.sources.save({ ...s, state: 'deleting', updatedAt: deps.clock.now() });
    const r = remote.get(s.externalId);
    if (r) await deleteSources(request, [r.id]);
    await deps.sources.remove(s.amocrmAccountId, s.login, s.channelId);
  }

  const patches = wanted.filter((w) => {
    const r = remote.get(w.externalId);
    return r && (r.name !== w.c.name || r.isDefault !== w.isDefault);
  });
  if (patches.length > 0) {
    for (const r of await updateSources(
      request,
      patches.map((w) => ({ id: remote.get(w.externalId)!.id, name: w.c.name, isDefault: w.isDefault })),
    ))
      remote.set(r.externalId, r);
  }

  const missing = wanted.filter((w) => !remote.has(w.externalId));
  if (missing.length > 0) {
    const now = deps.clock.now();
    for (const w of missing) {
      const before = storedByChannel.get(w.c.channelId);
      await deps.sources.save({
        amocrmAccountId: input.amocrmAccountId,
        login: input.login,
        channelId: w.c.channelId,
        externalId: w.externalId,
        amocrmSourceId: null,
        pipelineId: before?.pipelineId ?? input.pipelineId ?? null,
        name: w.c.name,
        isDefault: w.isDefault,
        state: 'pending',
        lastError: null,
        createdAt: before?.createdAt ?? now,
        updatedAt: now,
      });
    }
    try {
      // A channel moved to its own pipeline keeps it if its source has to be created again.
      const pipelineFor = (w: (typeof missing)[number]) => storedByChannel.get(w.c.channelId)?.pipelineId ?? input.pipelineId ?? undefined;
      const created = await createSources(
        request,
        missing.map((w) => {
          const pipelineId = pipelineFor(w);
          return { name: w.c.name, externalId: w.externalId, isDefault: w.isDefault, ...(pipelineId != null ? { pipelineId } : {}) };
        }),
      );
      for (const r of created) remote.set(r.externalId, r);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      for (const w of missing) {
        const pending = await deps.sources.get(input.amocrmAccountId, input.login, w.c.channelId);
        if (pending) await deps.sources.save({ ...pending, lastError: message, updatedAt: deps.clock.now() });
      }
      throw err;
    }
  }

  const now = deps.clock.now();
  const result: AmocrmSource[] = [];
  for (const w of wanted) {
    const r = remote.get(w.externalId);
    if (!r) throw new AmocrmError('bad_response', `amoCRM did not return the source ${w.externalId} it was asked to create`);
    const saved = row(input, w.c, r, storedByChannel.get(w.c.channelId), now);
    await deps.sources.save(saved);
    result.push(saved);
  }
  return result;
}

/** onAddAsSource: moves every created source of the login in the account to one pipeline. */
export async function moveSourcesToPipeline(
  deps: SourceSyncDeps,
  input: { amocrmAccountId: number; login: string; pipelineId: number },
): Promise<AmocrmSource[]> {
  const own = (await deps.sources.listByAccount(input.amocrmAccountId)).filter((s) => s.login === input.login && s.amocrmSourceId !== null);
  if (own.length === 0) return [];
  const moved = await updateSources(
    deps.rest.forAccount(input.amocrmAccountId),
    own.map((s) => ({ id: s.amocrmSourceId!, pipelineId: input.pipelineId })),
  );
  const byId = new Map(moved.map((m) => [m.id, m]));
  const now = deps.clock.now();
  const out: AmocrmSource[] = [];
  for (const s of own) {
    const next = { ...s, pipelineId: byId.get(s.amocrmSourceId!)?.pipelineId ?? input.pipelineId, updatedAt: now };
    await deps.sources.save(next);
    out.push(next);
  }
  return out;
}
