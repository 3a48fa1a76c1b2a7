import request from 'supertest';
import { createHarness } from '../support/widget-harness';
import { startOAuthRig, type OAuthRig } from '../support/oauth-harness';
import { sleep } from '../support/wait';

/** GET /amocrm/v1/oauth/callback: amoCRM's install, against the emulated amoCRM. */
let rig: OAuthRig;
beforeEach(async () => {
  rig = await startOAuthRig();
});
afterEach(() => rig.close());

const callback = (query: Record<string, string>, accept = 'application/json') =>
  request(rig.oauth.app).get('/amocrm/v1/oauth/callback').query(query).set('Accept', accept);

describe('OAuth callback', () => {
  it('stores the account, its amojo_id, domain and encrypted tokens, and says so', async () => {
    const account = rig.account('shop');
    const res = await rig.install(account);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'installed', amocrm_account_id: account.id, amojo_id: account.amojoId, domain: 'shop.amocrm.ru', reinstalled: false });
    const stored = await rig.store.installations.get(account.id);
    expect(stored).toMatchObject({ amojoId: account.amojoId, domain: 'shop.amocrm.ru', status: 'active' });
    expect(stored!.accessTokenEnc).toMatch(/^v1\./);
    expect(rig.oauth.logs.text()).not.toContain(stored!.accessTokenEnc!);
  });

  it("answers an administrator's browser with a page", async () => {
    const account = rig.account('browser');
    const { code } = rig.emulator.amocrm.issueAuthorizationCode({ accountId: account.id });
    const res = await callback({ code, referer: account.domain }, 'text/html,application/xhtml+xml');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toContain('The integration is installed');
    expect(res.text).toContain('browser.amocrm.ru');
    // The code is a credential for 20 minutes: it never reaches the logs (request lines omit queries).
    expect(rig.oauth.logs.text()).not.toContain(code);
  });

  it('a referer that is not an amoCRM/Kommo host: 400 before any request, the code stays usable', async () => {
    const account = rig.account('ssrf');
    const { code } = rig.emulator.amocrm.issueAuthorizationCode({ accountId: account.id });
    for (const referer of ['evil.example.com', '127.0.0.1', 'ssrf.amocrm.ru.evil.com', 'ssrf.amocrm.ru:8080', 'a.b.amocrm.ru']) {
      const res = await callback({ code, referer });
      expect([referer, res.status, res.body.error.code]).toEqual([referer, 400, 'invalid_referer']);
    }
    // Had any of those exchanged the code, amoCRM would refuse it now (single-use).
    expect((await callback({ code, referer: account.domain })).status).toBe(200);
  });

  it('a missing, bad or already used code: 400', async () => {
    const account = rig.account('codes');
    const missing = await callback({ referer: account.domain });
    expect([missing.status, missing.body.error.code]).toEqual([400, 'invalid_request']);
    expect(missing.body.error.message).toMatch(/^query\.code:/);
    const bad = await callback({ code: 'def502-not-a-code', referer: account.domain });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'invalid_grant']);
    const { code } = rig.emulator.amocrm.issueAuthorizationCode({ accountId: account.id });
    await callback({ code, referer: account.domain }).expect(200);
    const reused = await callback({ code, referer: account.domain });
    expect([reused.status, reused.body.error.code]).toEqual([400, 'invalid_grant']);
    expect(reused.body.error.message).toMatch(/install again/);
  });

  it("another integration's code: 400 before it is sent anywhere", async () => {
    const account = rig.account('foreign');
    const { code } = rig.emulator.amocrm.issueAuthorizationCode({ accountId: account.id });
    const res = await callback({ code, referer: account.domain, client_id: 'another-integration' });
    expect([res.status, res.body.error.code]).toEqual([400, 'invalid_grant']);
    expect((await callback({ code, referer: account.domain, client_id: rig.emulator.amocrm.integration.clientId })).status).toBe(200);
  });

  it('an expired code: 400 invalid_grant', async () => {
    const account = rig.account('late');
    const { code } = rig.emulator.amocrm.issueAuthorizationCode({ accountId: account.id, ttlSec: 1 });
    await sleep(1100);
    const res = await callback({ code, referer: account.domain });
    expect([res.status, res.body.error.code]).toEqual([400, 'invalid_grant']);
  });

  it('amoCRM down: 502, nothing stored', async () => {
    const account = rig.account('down');
    const { code } = rig.emulator.amocrm.issueAuthorizationCode({ accountId: account.id });
    rig.emulator.amocrm.failNext({ status: 503 });
    const res = await callback({ code, referer: account.domain });
    expect([res.status, res.body.error.code]).toEqual([502, 'amocrm_error']);
    expect(await rig.store.installations.get(account.id)).toBeNull();
  });

  it('reinstalling replaces the tokens and keeps the rest (idempotent)', async () => {
    const account = rig.account('again');
    await rig.install(account).expect(200);
    const first = await rig.store.installations.get(account.id);
    const again = await rig.install(account);
    expect(again.body).toMatchObject({ status: 'installed', amocrm_account_id: account.id, reinstalled: true });
    const second = await rig.store.installations.get(account.id);
    expect(second).toMatchObject({ amojoId: account.amojoId, status: 'active', installedAt: first!.installedAt });
    expect(second!.refreshTokenEnc).not.toBe(first!.refreshTokenEnc);
    expect(await rig.store.installations.list()).toHaveLength(1);
  });

  it('a server without OAuth answers 404 and stores nothing', async () => {
    const plain = await createHarness({ emulator: rig.emulator });
    const account = rig.account('plain');
    const { code } = rig.emulator.amocrm.issueAuthorizationCode({ accountId: account.id });
    const res = await request(plain.app).get('/amocrm/v1/oauth/callback').query({ code, referer: account.domain });
    expect(res.status).toBe(404);
    expect(await plain.store.installations.list()).toEqual([]);
    await plain.store.close();
  });
});
