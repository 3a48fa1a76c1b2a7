import { readAccount } from '../../src/amocrm/account-api';
import { sourceExternalId } from '../../src/amocrm/external-id';
import { listPipelines } from '../../src/amocrm/pipelines-api';
import { createSources, deleteSources, listSources, updateSource, updateSources } from '../../src/amocrm/sources-api';
import { startRig, type AmocrmRig } from './helpers';

let rig: AmocrmRig;
beforeEach(async () => {
  rig = await startRig({ amocrm: { sourcesLimit: 3 } });
});
afterEach(() => rig.close());

describe('amoCRM REST APIs through the token manager', () => {
  it('reads the account and its pipelines', async () => {
    const id = await rig.installAccount({ subdomain: 'shop', amojoId: 'amojo-s', pipelines: [{ name: 'Sales' }, { name: 'Support', statuses: ['New'] }] });
    const req = rig.rest.forAccount(id);
    expect(await readAccount(req)).toMatchObject({ id, subdomain: 'shop', amojo_id: 'amojo-s' });
    const pipelines = await listPipelines(req);
    expect(pipelines.map((p) => [p.name, p.isMain, p.statuses.length])).toEqual([
      ['Sales', true, 5],
      ['Support', false, 1],
    ]);
  });

  it('creates, lists, filters, moves, renames and deletes sources', async () => {
    const id = await rig.installAccount({ pipelines: [{ name: 'Sales' }, { name: 'Support' }] });
    const req = rig.rest.forAccount(id);
    const [main, support] = rig.emu.amocrm.getAccount(id)!.pipelines.map((p) => p.id);
    expect(await listSources(req)).toEqual([]);
    const ext = (c: string) => sourceExternalId(id, 'shop', c);
    const created = await createSources(req, [
      { name: 'WhatsApp', externalId: ext('wa'), isDefault: true },
      { name: 'Bot', externalId: ext('bot'), pipelineId: support! },
    ]);
    expect(created.map((s) => [s.name, s.pipelineId, s.isDefault])).toEqual([
      ['WhatsApp', main, true],
      ['Bot', support, false],
    ]);
    expect((await listSources(req, [ext('bot')])).map((s) => s.id)).toEqual([created[1]!.id]);
    await updateSources(req, [{ id: created[0]!.id, pipelineId: support! }]);
    expect(await updateSource(req, { id: created[1]!.id, name: 'Bot 2' })).toMatchObject({ name: 'Bot 2', pipelineId: support });
    expect(rig.emu.amocrm.listSources(id).map((s) => [s.name, s.pipeline_id])).toEqual([
      ['WhatsApp', support],
      ['Bot 2', support],
    ]);
    await deleteSources(req, [created[0]!.id, created[1]!.id]);
    expect(await listSources(req)).toEqual([]);
    // Deleting what is already gone is not an error (retries are safe).
    await deleteSources(req, [created[0]!.id]);
    await deleteSources(req, [created[0]!.id, created[1]!.id]);
  });

  it('reports a taken external_id and the source limit as coded errors', async () => {
    const id = await rig.installAccount();
    const req = rig.rest.forAccount(id);
    await createSources(req, [{ name: 'A', externalId: 'a' }]);
    await expect(createSources(req, [{ name: 'A again', externalId: 'a' }])).rejects.toMatchObject({ code: 'external_id_taken', retryable: false });
    await expect(createSources(req, [{ name: 'E', externalId: 'e', originCode: '123' }])).rejects.toMatchObject({
      code: 'validation_failed',
      details: { validationErrors: [expect.objectContaining({ request_id: '0' })] },
    });
    await createSources(req, [
      { name: 'B', externalId: 'b' },
      { name: 'C', externalId: 'c' },
    ]);
    const err = await createSources(req, [{ name: 'D', externalId: 'd' }]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'source_limit_reached', status: 400 });
    expect((err as Error).message).toMatch(/limit/);
    await expect(updateSource(req, { id: 999_999, name: 'x' })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('passes rate limiting on as rate_limited with Retry-After', async () => {
    const id = await rig.installAccount();
    rig.emu.amocrm.failNext({ status: 429, retryAfter: 7 });
    await expect(listSources(rig.rest.forAccount(id))).rejects.toMatchObject({ code: 'rate_limited', retryAfter: 7, retryable: true });
  });
});
