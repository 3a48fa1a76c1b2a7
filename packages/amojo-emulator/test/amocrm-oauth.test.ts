import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startAmocrm, type AmocrmHarness } from './amocrm-helpers';

let h: AmocrmHarness;
beforeEach(async () => {
  h = await startAmocrm({ accessTokenTtlSec: 3600 });
});
afterEach(() => h.emu.close());

const grant = (extra: Record<string, unknown>) => {
  const i = h.emu.amocrm.integration;
  return { client_id: i.clientId, client_secret: i.clientSecret, redirect_uri: i.redirectUri, ...extra };
};

describe('emulated amoCRM OAuth', () => {
  it('exchanges an authorization code once, for a bearer pair with expires_in', async () => {
    const account = h.emu.amocrm.createAccount({ subdomain: 'shop' });
    const issued = h.emu.amocrm.issueAuthorizationCode({ accountId: account.id, state: 'xyz' });
    const callback = new URL(issued.callbackUrl);
    expect(callback.origin + callback.pathname).toBe('https://amochan.test/amocrm/v1/oauth/callback');
    expect(Object.fromEntries(callback.searchParams)).toMatchObject({ code: issued.code, referer: 'shop.amocrm.ru', from_widget: '1', state: 'xyz' });

    const first = await h.post('/oauth2/access_token', grant({ grant_type: 'authorization_code', code: issued.code }));
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    const again = await h.post('/oauth2/access_token', grant({ grant_type: 'authorization_code', code: issued.code }));
    expect(again.status).toBe(400);
    expect(again.headers.get('content-type')).toMatch(/application\/problem\+json/);
  });

  it('refuses a code older than 20 minutes, a wrong secret and a wrong redirect_uri', async () => {
    const account = h.emu.amocrm.createAccount();
    const stale = h.emu.amocrm.issueAuthorizationCode({ accountId: account.id }).code;
    const fresh = h.emu.amocrm.issueAuthorizationCode({ accountId: account.id }).code;
    expect((await h.post('/oauth2/access_token', grant({ grant_type: 'authorization_code', code: fresh, client_secret: 'nope' }))).status).toBe(401);
    expect((await h.post('/oauth2/access_token', grant({ grant_type: 'authorization_code', code: fresh, redirect_uri: 'https://evil.test/' }))).status).toBe(
      400,
    );
    h.clock.now += 20 * 60 * 1000;
    expect((await h.post('/oauth2/access_token', grant({ grant_type: 'authorization_code', code: stale }))).status).toBe(400);
  });

  it('makes a refresh token single-use: the loser of two refreshes is refused', async () => {
    const t = await h.install();
    const a = await h.post('/oauth2/access_token', grant({ grant_type: 'refresh_token', refresh_token: t.refresh }));
    const b = await h.post('/oauth2/access_token', grant({ grant_type: 'refresh_token', refresh_token: t.refresh }));
    expect([a.status, b.status]).toEqual([200, 400]);
    expect(h.emu.amocrm.tokenRefreshCount(t.accountId)).toBe(1);
    const next = await h.post('/oauth2/access_token', grant({ grant_type: 'refresh_token', refresh_token: a.json.refresh_token }));
    expect(next.status).toBe(200);
    expect(h.emu.amocrm.tokenRefreshCount(t.accountId)).toBe(2);
  });

  it('answers 401 problem+json on /api/v4 for expired, revoked and unknown tokens', async () => {
    const t = await h.install({ amojoId: 'amojo-42', subdomain: 'shop' });
    const ok = await h.call('GET', '/api/v4/account?with=amojo_id', t.access);
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ id: t.accountId, subdomain: 'shop', amojo_id: 'amojo-42' });
    expect((await h.call('GET', '/api/v4/account', t.access)).json.amojo_id).toBeUndefined();

    expect((await h.call('GET', '/api/v4/account', 'at_forged')).status).toBe(401);
    expect((await h.call('GET', '/api/v4/account')).status).toBe(401);
    h.emu.amocrm.expireAccessToken(t.accountId);
    const expired = await h.call('GET', '/api/v4/account', t.access);
    expect(expired.status).toBe(401);
    expect(expired.json).toMatchObject({ status: 401, title: 'Unauthorized' });

    h.emu.amocrm.revokeRefreshToken(t.accountId);
    expect((await h.post('/oauth2/access_token', grant({ grant_type: 'refresh_token', refresh_token: t.refresh }))).status).toBe(400);
  });

  it('expires access tokens after expires_in and keeps a refreshed-away token until then', async () => {
    const t = await h.install();
    const r = await h.post('/oauth2/access_token', grant({ grant_type: 'refresh_token', refresh_token: t.refresh }));
    expect((await h.call('GET', '/api/v4/account', t.access)).status).toBe(200);
    h.clock.now += 3600 * 1000;
    expect((await h.call('GET', '/api/v4/account', t.access)).status).toBe(401);
    expect((await h.call('GET', '/api/v4/account', r.json.access_token)).status).toBe(401);
  });

  it('lists the account pipelines with their statuses', async () => {
    const t = await h.install({ pipelines: [{ name: 'Sales' }, { name: 'Support', statuses: ['New', 'Done'] }] });
    const r = await h.call('GET', '/api/v4/leads/pipelines', t.access);
    expect(r.status).toBe(200);
    const pipelines = r.json._embedded.pipelines;
    expect(pipelines.map((p: any) => [p.name, p.is_main])).toEqual([
      ['Sales', true],
      ['Support', false],
    ]);
    expect(pipelines[1]._embedded.statuses.map((s: any) => s.name)).toEqual(['New', 'Done']);
  });

  it('serves injected failures with Retry-After', async () => {
    const t = await h.install();
    h.emu.amocrm.failNext({ status: 429, retryAfter: 2 });
    const r = await h.call('GET', '/api/v4/account', t.access);
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('2');
    expect((await h.call('GET', '/api/v4/account', t.access)).status).toBe(200);
  });
});

describe('emulated amoCRM control', () => {
  it('sends a signed disable hook and revokes the grant', async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.url ?? '');
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/amocrm/v1/disable`;
    try {
      const t = await h.install();
      const result = await h.emu.amocrm.sendDisableHook({ accountId: t.accountId, url });
      expect(result.status).toBe(200);
      const q = new URL(seen[0]!, 'http://x').searchParams;
      const i = h.emu.amocrm.integration;
      expect(q.get('account_id')).toBe(String(t.accountId));
      expect(q.get('client_uuid')).toBe(i.clientId);
      expect(q.get('signature')).toBe(createHmac('sha256', i.clientSecret).update(`${i.clientId}|${t.accountId}`).digest('hex'));
      expect((await h.call('GET', '/api/v4/account', t.access)).status).toBe(401);
    } finally {
      server.close();
    }
  });

  it('mints widget tokens signed HS256 with the client secret', async () => {
    const account = h.emu.amocrm.createAccount({ subdomain: 'shop', domain: 'shop.kommo.com' });
    const token = h.emu.amocrm.mintWidgetToken({ accountId: account.id, audience: 'https://amochan.test' });
    const [header, payload, sig] = token.split('.');
    const i = h.emu.amocrm.integration;
    expect(createHmac('sha256', i.clientSecret).update(`${header}.${payload}`).digest('base64url')).toBe(sig);
    expect(JSON.parse(Buffer.from(payload!, 'base64url').toString())).toMatchObject({
      account_id: account.id,
      iss: 'https://shop.kommo.com',
      aud: 'https://amochan.test',
      client_uuid: i.clientId,
    });
  });

  it('drives everything over HTTP under /_emulator/amocrm', async () => {
    const created = await h.post('/_emulator/amocrm/accounts', { subdomain: 'web', amojoId: 'amojo-web' });
    expect(created.status).toBe(201);
    const id = created.json.id;
    const code = await h.post(`/_emulator/amocrm/accounts/${id}/authorization-code`, {});
    expect(code.json.callbackUrl).toContain('referer=web.amocrm.ru');
    expect((await h.post(`/_emulator/amocrm/accounts/${id}/expire-access-token`, {})).json).toEqual({
      error: expect.objectContaining({ code: 'not_installed' }),
    });
    const i = (await h.call('GET', '/_emulator/amocrm/integration')).json;
    await h.post('/oauth2/access_token', {
      client_id: i.clientId,
      client_secret: i.clientSecret,
      redirect_uri: i.redirectUri,
      grant_type: 'authorization_code',
      code: code.json.code,
    });
    expect((await h.post(`/_emulator/amocrm/accounts/${id}/expire-access-token`, {})).status).toBe(200);
    expect((await h.call('GET', `/_emulator/amocrm/accounts/${id}/token-refreshes`)).json).toEqual({ count: 0 });
    expect((await h.post(`/_emulator/amocrm/accounts/${id}/widget-token`, { audience: 'https://a.test' })).json.token).toMatch(/^ey/);
    expect((await h.call('GET', '/_emulator/amocrm/accounts/999')).status).toBe(404);
    // The amojo side's control routes still answer beside ours.
    expect((await h.call('GET', '/_emulator/channels')).status).toBe(200);
  });
});
