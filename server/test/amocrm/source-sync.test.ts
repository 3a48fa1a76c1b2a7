import { effectiveChannels } from '../../src/amocrm/channels';
import { sourceExternalId } from '../../src/amocrm/external-id';
import { moveSourcesToPipeline, syncSources, type SourceSyncDeps } from '../../src/amocrm/source-sync';
import { createSources } from '../../src/amocrm/sources-api';
import { startRig, type AmocrmRig } from './helpers';

let rig: AmocrmRig;
let deps: SourceSyncDeps;
let id: number;
let pipelines: number[];
beforeEach(async () => {
  rig = await startRig({ amocrm: { sourcesLimit: 4 } });
  deps = { sources: rig.store.amocrmSources, rest: rig.rest, clock: { now: rig.clock.now } };
  id = await rig.installAccount({ pipelines: [{ name: 'Sales' }, { name: 'WA leads' }, { name: 'Bot leads' }] });
  pipelines = rig.emu.amocrm.getAccount(id)!.pipelines.map((p) => p.id);
});
afterEach(() => rig.close());

const channel = (channelId: string, name: string, position: number) => ({ login: 'shop', channelId, name, position, createdAt: 0, updatedAt: 0 });
const remote = () => rig.emu.amocrm.listSources(id).map((s) => [s.name, s.pipeline_id, s.default]);

describe('source sync', () => {
  it('gives a login without channels one default source in the main pipeline', async () => {
    const rows = await syncSources(deps, { amocrmAccountId: id, login: 'shop', channels: effectiveChannels('shop', []) });
    expect(rows).toEqual([
      expect.objectContaining({ channelId: '', state: 'created', isDefault: true, pipelineId: pipelines[0], externalId: sourceExternalId(id, 'shop', '') }),
    ]);
    expect(remote()).toEqual([['shop', pipelines[0], true]]);
  });

  it('follows declared channels: creates, renames, moves the default, deletes, and is idempotent', async () => {
    await syncSources(deps, { amocrmAccountId: id, login: 'shop', channels: effectiveChannels('shop', []) });
    const three = effectiveChannels('shop', [channel('wa', 'WhatsApp', 0), channel('bot', 'Bot', 1), channel('tg', 'Telegram', 2)]);
    await syncSources(deps, { amocrmAccountId: id, login: 'shop', channels: three, pipelineId: pipelines[1] });
    expect(remote()).toEqual([
      ['WhatsApp', pipelines[1], true],
      ['Bot', pipelines[1], false],
      ['Telegram', pipelines[1], false],
    ]);
    expect((await rig.store.amocrmSources.listByAccount(id)).map((s) => s.channelId)).toEqual(['bot', 'tg', 'wa']);

    const fetchesBefore = rig.fetched.length;
    await syncSources(deps, { amocrmAccountId: id, login: 'shop', channels: three });
    expect(rig.fetched.length - fetchesBefore).toBe(1); // one GET, nothing to change

    const two = effectiveChannels('shop', [channel('bot', 'Bot 2', 0), channel('wa', 'WhatsApp', 1)]);
    await syncSources(deps, { amocrmAccountId: id, login: 'shop', channels: two });
    expect(remote()).toEqual([
      ['WhatsApp', pipelines[1], false],
      ['Bot 2', pipelines[1], true],
    ]);
    expect(await rig.store.amocrmSources.get(id, 'shop', 'tg')).toBeNull();
  });

  it('adopts a source created before a crash instead of creating it twice', async () => {
    const externalId = sourceExternalId(id, 'shop', 'wa');
    await createSources(rig.rest.forAccount(id), [{ name: 'WhatsApp', externalId, pipelineId: pipelines[2]! }]);
    const rows = await syncSources(deps, { amocrmAccountId: id, login: 'shop', channels: effectiveChannels('shop', [channel('wa', 'WhatsApp', 0)]) });
    expect(rig.emu.amocrm.listSources(id)).toHaveLength(1);
    expect(rows[0]).toMatchObject({ pipelineId: pipelines[2], isDefault: true, state: 'created' });
  });

  it('keeps pending rows with the error when amoCRM refuses for the source limit', async () => {
    const many = effectiveChannels(
      'shop',
      ['a', 'b', 'c', 'd', 'e'].map((c, i) => channel(c, c.toUpperCase(), i)),
    );
    await expect(syncSources(deps, { amocrmAccountId: id, login: 'shop', channels: many })).rejects.toMatchObject({ code: 'source_limit_reached' });
    const rows = await rig.store.amocrmSources.listByAccount(id);
    expect(rows).toHaveLength(5);
    expect(rows.every((r) => r.state === 'pending' && /limit/.test(r.lastError ?? ''))).toBe(true);
    expect(rig.emu.amocrm.listSources(id)).toEqual([]);
  });

  it('moves every source of the login to the pipeline picked in the widget', async () => {
    await syncSources(deps, { amocrmAccountId: id, login: 'shop', channels: effectiveChannels('shop', [channel('wa', 'WA', 0), channel('bot', 'Bot', 1)]) });
    const moved = await moveSourcesToPipeline(deps, { amocrmAccountId: id, login: 'shop', pipelineId: pipelines[2]! });
    expect(moved.map((s) => s.pipelineId)).toEqual([pipelines[2], pipelines[2]]);
    expect(remote().map((r) => r[1])).toEqual([pipelines[2], pipelines[2]]);
  });
});
