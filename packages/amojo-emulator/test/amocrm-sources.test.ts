import { startAmocrm, type AmocrmHarness } from './amocrm-helpers';

let h: AmocrmHarness;
let token: string;
let accountId: number;
beforeEach(async () => {
  h = await startAmocrm({ sourcesLimit: 3 });
  const t = await h.install({ pipelines: [{ name: 'Sales' }, { name: 'Support' }] });
  token = t.access;
  accountId = t.accountId;
});
afterEach(() => h.emu.close());

const pipelines = () => h.emu.amocrm.getAccount(accountId)!.pipelines.map((p) => p.id);

describe('emulated Sources API', () => {
  it('answers 204 when there are no sources, then lists created ones, filtered by external_id', async () => {
    const empty = await h.call('GET', '/api/v4/sources', token);
    expect(empty.status).toBe(204);
    const created = await h.post(
      '/api/v4/sources',
      [
        { name: 'WhatsApp 1', external_id: 'ext-a' },
        { name: 'Bot', external_id: 'ext-b', pipeline_id: pipelines()[1], default: true },
      ],
      token,
    );
    expect(created.status).toBe(200);
    const [a, b] = created.json._embedded.sources;
    expect(a).toMatchObject({ name: 'WhatsApp 1', external_id: 'ext-a', pipeline_id: pipelines()[0], default: false });
    expect(b).toMatchObject({ external_id: 'ext-b', pipeline_id: pipelines()[1], default: true });
    const filtered = await h.call('GET', '/api/v4/sources?filter[external_id]=ext-b', token);
    expect(filtered.json._embedded.sources.map((s: any) => s.id)).toEqual([b.id]);
    expect((await h.call('GET', '/api/v4/sources?filter[external_id]=none', token)).status).toBe(204);
  });

  it('refuses a taken external_id, a bad origin_code and an unknown pipeline, writing nothing', async () => {
    await h.post('/api/v4/sources', [{ name: 'A', external_id: 'ext-a' }], token);
    const dup = await h.post(
      '/api/v4/sources',
      [
        { name: 'B', external_id: 'ok' },
        { name: 'A2', external_id: 'ext-a' },
      ],
      token,
    );
    expect(dup.status).toBe(400);
    expect(dup.headers.get('content-type')).toMatch(/problem\+json/);
    expect(dup.json['validation-errors']).toEqual([{ request_id: '1', errors: [expect.objectContaining({ code: 'NotUnique', path: 'external_id' })] }]);
    const bad = await h.post(
      '/api/v4/sources',
      [
        { name: 'C', external_id: 'c', origin_code: '12345' },
        { name: 'D', external_id: 'd', pipeline_id: 1 },
      ],
      token,
    );
    expect(bad.json['validation-errors'].map((e: any) => e.errors[0].path)).toEqual(['origin_code', 'pipeline_id']);
    expect((await h.post('/api/v4/sources', [{ name: 'E', external_id: 'e', origin_code: 'x'.repeat(21) }], token)).status).toBe(400);
    expect(h.emu.amocrm.listSources(accountId).map((s) => s.external_id)).toEqual(['ext-a']);
  });

  it('enforces the per-integration limit', async () => {
    await h.post(
      '/api/v4/sources',
      [
        { name: 'A', external_id: 'a' },
        { name: 'B', external_id: 'b' },
      ],
      token,
    );
    const over = await h.post(
      '/api/v4/sources',
      [
        { name: 'C', external_id: 'c' },
        { name: 'D', external_id: 'd' },
      ],
      token,
    );
    expect(over.status).toBe(400);
    expect(over.json.detail).toMatch(/limit/i);
    expect((await h.post('/api/v4/sources', [{ name: 'C', external_id: 'c' }], token)).status).toBe(200);
  });

  it('renames, moves, and deletes by array and by id', async () => {
    const created = await h.post(
      '/api/v4/sources',
      [
        { name: 'A', external_id: 'a' },
        { name: 'B', external_id: 'b' },
      ],
      token,
    );
    const [a, b] = created.json._embedded.sources;
    const moved = await h.call('PATCH', '/api/v4/sources', token, [{ id: a.id, name: 'A!', pipeline_id: pipelines()[1] }]);
    expect(moved.json._embedded.sources[0]).toMatchObject({ id: a.id, name: 'A!', pipeline_id: pipelines()[1] });
    const one = await h.call('PATCH', `/api/v4/sources/${b.id}`, token, { default: true });
    expect(one.json).toMatchObject({ id: b.id, default: true });
    expect((await h.call('PATCH', `/api/v4/sources/999999`, token, { name: 'x' })).status).toBe(404);
    expect((await h.call('PATCH', '/api/v4/sources', token, [{ id: b.id, external_id: 'a' }])).status).toBe(400);
    expect((await h.call('DELETE', '/api/v4/sources', token, [{ id: a.id }])).status).toBe(204);
    expect((await h.call('DELETE', `/api/v4/sources/${b.id}`, token)).status).toBe(204);
    expect((await h.call('DELETE', `/api/v4/sources/${b.id}`, token)).status).toBe(404);
    expect((await h.call('GET', '/api/v4/sources', token)).status).toBe(204);
  });

  it('shows and lets an integration touch only its own sources', async () => {
    const created = await h.post('/api/v4/sources', [{ name: 'A', external_id: 'shared' }], token);
    const other = h.emu.amocrm.addIntegration({ redirectUri: 'https://other.test/cb' });
    const { code } = h.emu.amocrm.issueAuthorizationCode({ accountId, clientId: other.clientId });
    const t2 = await h.post('/oauth2/access_token', {
      client_id: other.clientId,
      client_secret: other.clientSecret,
      redirect_uri: other.redirectUri,
      grant_type: 'authorization_code',
      code,
    });
    const theirs = t2.json.access_token;
    expect((await h.call('GET', '/api/v4/sources', theirs)).status).toBe(204);
    expect((await h.call('DELETE', `/api/v4/sources/${created.json._embedded.sources[0].id}`, theirs)).status).toBe(404);
    // external_id is unique per integration: the other integration may use the same one.
    expect((await h.post('/api/v4/sources', [{ name: 'B', external_id: 'shared' }], theirs)).status).toBe(200);
    expect(h.emu.amocrm.listSources(accountId)).toHaveLength(1);
  });
});
