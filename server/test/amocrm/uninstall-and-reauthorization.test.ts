import request from 'supertest';
import { readAccount } from '../../src/amocrm/account-api';
import { listenOnLoopback, type Listening } from '../support/loopback';
import { startOAuthRig, type OAuthRig } from '../support/oauth-harness';
import { metricValue } from '../support/prometheus';
import { providerEvents } from '../support/widget-harness';

/** amoCRM's word after install: a refused refresh token, and the signed disable (uninstall) hook. */
let rig: OAuthRig;
let served: Listening;
beforeEach(async () => {
  rig = await startOAuthRig();
  served = await listenOnLoopback(rig.oauth.app);
});
afterEach(async () => {
  await served.close();
  await rig.close();
});

async function installAndConnect(subdomain: string) {
  const account = rig.account(subdomain);
  await rig.install(account).expect(200);
  await request(rig.oauth.app)
    .post('/widget/v1/connect')
    .set('X-Auth-Token', rig.token(account.id))
    .send({ login: 'alice', password: 'alice-pass' })
    .expect(200);
  return account;
}

const disableUrl = () => `${served.url}/amocrm/v1/disable`;

describe('uninstall (GET /amocrm/v1/disable)', () => {
  it('disconnects the account from amojo, drops its tokens and sources, tells the provider; idempotent', async () => {
    const account = await installAndConnect('leaving');
    const now = Date.now();
    await rig.store.amocrmSources.save({
      amocrmAccountId: account.id,
      login: 'alice',
      channelId: '',
      externalId: 'amc_x',
      amocrmSourceId: 7,
      pipelineId: null,
      name: 'alice',
      isDefault: true,
      state: 'created',
      lastError: null,
      createdAt: now,
      updatedAt: now,
    });

    const hook = await rig.emulator.amocrm.sendDisableHook({ accountId: account.id, url: disableUrl() });
    expect(hook.status).toBe(200);
    expect(JSON.parse(hook.body)).toEqual({ status: 'uninstalled', disconnected: 1 });
    expect(rig.emulator.control.listConnections()[0]!.connected).toBe(false);
    expect(await rig.store.connections.getByAmojoAccount(account.amojoId)).toMatchObject({ status: 'disconnected' });
    expect(await rig.store.installations.get(account.id)).toMatchObject({ status: 'uninstalled', accessTokenEnc: null, refreshTokenEnc: null });
    expect(await rig.store.amocrmSources.listByAccount(account.id)).toEqual([]);
    const disconnected = (await providerEvents(rig.store)).filter((e) => e.type === 'account.disconnected');
    expect(disconnected).toEqual([
      expect.objectContaining({ account: 'alice', data: expect.objectContaining({ amojo_id: account.amojoId, reason: 'uninstalled' }) }),
    ]);

    // amoCRM may send it twice: same answer, nothing more happens.
    const again = await rig.emulator.amocrm.sendDisableHook({ accountId: account.id, url: disableUrl() });
    expect([again.status, JSON.parse(again.body)]).toEqual([200, { status: 'uninstalled', disconnected: 0 }]);
    expect((await providerEvents(rig.store)).filter((e) => e.type === 'account.disconnected')).toHaveLength(1);

    // The widget now asks for an install, and a reinstall + connect brings it back.
    const refused = await request(rig.oauth.app)
      .post('/widget/v1/connect')
      .set('X-Auth-Token', rig.token(account.id))
      .send({ login: 'alice', password: 'alice-pass' });
    expect([refused.status, refused.body.error.code]).toEqual([409, 'install_required']);
    await rig.install(account).expect(200);
    await request(rig.oauth.app)
      .post('/widget/v1/connect')
      .set('X-Auth-Token', rig.token(account.id))
      .send({ login: 'alice', password: 'alice-pass' })
      .expect(200);
  });

  it('a bad signature: 401 invalid_signature and nothing changes', async () => {
    const account = await installAndConnect('stays');
    const hook = await rig.emulator.amocrm.sendDisableHook({ accountId: account.id, url: disableUrl(), tamper: true, revoke: false });
    expect(hook.status).toBe(401);
    expect(JSON.parse(hook.body).error.code).toBe('invalid_signature');
    const forged = await request(rig.oauth.app)
      .get('/amocrm/v1/disable')
      .query({ account_id: String(account.id), client_uuid: 'another-integration', signature: 'a'.repeat(64) });
    expect(forged.status).toBe(401);
    expect(await rig.store.connections.getByAmojoAccount(account.amojoId)).toMatchObject({ status: 'connected' });
    expect(await rig.store.installations.get(account.id)).toMatchObject({ status: 'active' });
    expect(rig.emulator.control.listConnections()[0]!.connected).toBe(true);
  });

  it('missing parameters: 400 naming the first', async () => {
    const res = await request(rig.oauth.app).get('/amocrm/v1/disable').query({ account_id: '1', signature: 'x' });
    expect([res.status, res.body.error.code]).toEqual([400, 'invalid_request']);
    expect(res.body.error.message).toMatch(/^query\.client_uuid:/);
  });

  it("another account's uninstall never ends a binding amoCRM vouches for elsewhere", async () => {
    const owner = await installAndConnect('owner');
    const other = rig.account('other');
    await rig.install(other).expect(200);
    const hook = await rig.emulator.amocrm.sendDisableHook({ accountId: other.id, url: disableUrl() });
    expect(JSON.parse(hook.body)).toEqual({ status: 'uninstalled', disconnected: 0 });
    expect(await rig.store.connections.getByAmojoAccount(owner.amojoId)).toMatchObject({ status: 'connected' });
  });
});

describe('reauthorization', () => {
  it('a refused refresh marks the account: widget status, /metrics and a provider event; messages still flow', async () => {
    const account = await installAndConnect('stale');
    const amocrm = rig.oauth.deps.amocrm!;
    rig.emulator.amocrm.revokeRefreshToken(account.id);
    rig.oauth.clock.advance(2 * 3600_000); // past the access token's expiry: the next call refreshes
    await expect(readAccount(amocrm.rest.forAccount(account.id))).rejects.toMatchObject({ code: 'reauthorization_required' });

    const status = await request(rig.oauth.app)
      .get('/widget/v1/status')
      .set('X-Auth-Token', rig.token(account.id, 6 * 3600));
    expect(status.body).toMatchObject({ status: 'connected', login: 'alice', installation: 'reauthorization_required' });

    const metrics = await request(rig.oauth.app).get('/metrics');
    expect(metricValue(metrics.text, 'amochan_amocrm_installations', { status: 'reauthorization_required' })).toBe(1);
    expect(metricValue(metrics.text, 'amochan_amocrm_installations', { status: 'active' })).toBe(0);

    const events = await providerEvents(rig.store);
    const reauth = events.filter((e) => e.type === 'account.reauthorization_required');
    expect(reauth).toEqual([
      expect.objectContaining({
        account: 'alice',
        data: { amojo_id: account.amojoId, scope_id: expect.any(String), amocrm_account_id: account.id, domain: 'stale.amocrm.ru' },
      }),
    ]);
    const entry = (await rig.store.outbox.list({})).find((e) => (e.payload as { type: string }).type === 'account.reauthorization_required');
    expect(entry!.payload).toMatchObject({ id: expect.stringMatching(/^evt_/), channel: null, created_at: expect.any(Number) });

    // The binding keeps working (the chat side needs no amoCRM token).
    await request(rig.oauth.app)
      .post('/api/v1/messages')
      .set('Authorization', 'Bearer provider-token')
      .send({ account: 'alice', conversation_id: 'c1', sender: { id: 'u1', name: 'Ann' }, message: { type: 'text', text: 'still here' } })
      .expect(202);

    // Reinstall: active again.
    await rig.install(account).expect(200);
    const after = await request(rig.oauth.app)
      .get('/widget/v1/status')
      .set('X-Auth-Token', rig.token(account.id, 6 * 3600));
    expect(after.body.installation).toBe('active');
  });
});
