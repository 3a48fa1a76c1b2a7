import { startRig, type AmocrmRig } from './helpers';
import { tokenContext } from '../../src/amocrm/token-manager';

let rig: AmocrmRig;
beforeEach(async () => {
  rig = await startRig();
});
afterEach(() => rig.close());

describe('install use case', () => {
  it('stores account id, amojo_id, domain and encrypted tokens from a valid code', async () => {
    const account = rig.emu.amocrm.createAccount({ subdomain: 'shop', domain: 'shop.kommo.com', amojoId: 'amojo-shop' });
    const { code } = rig.emu.amocrm.issueAuthorizationCode({ accountId: account.id });
    const { installation, reinstalled } = await rig.install({ code, referer: 'shop.kommo.com', fromWidget: true });
    expect(reinstalled).toBe(false);
    expect(installation).toMatchObject({
      amocrmAccountId: account.id,
      amojoId: 'amojo-shop',
      domain: 'shop.kommo.com',
      status: 'active',
      expiresAt: rig.clock.now() + 3600_000,
    });
    const stored = (await rig.store.installations.get(account.id))!;
    expect(stored).toEqual(installation);
    expect(stored.accessTokenEnc).toMatch(/^v1\./);
    expect(rig.fetched.map((u) => new URL(u).pathname)).toEqual(['/oauth2/access_token', '/api/v4/account']);
    const access = rig.cipher.decrypt(stored.accessTokenEnc!, tokenContext(account.id));
    expect((await rig.http(rig.emu.url, { method: 'GET', path: '/api/v4/account' }, access)).body).toMatchObject({ id: account.id });
  });

  it('refuses a referer that is not an amoCRM/Kommo host before sending anything', async () => {
    const account = rig.emu.amocrm.createAccount();
    const { code } = rig.emu.amocrm.issueAuthorizationCode({ accountId: account.id });
    for (const referer of ['127.0.0.1', 'evil.com', 'shop.amocrm.ru@evil.com', 'shop.amocrm.ru:81']) {
      await expect(rig.install({ code, referer })).rejects.toMatchObject({ code: 'invalid_referer' });
    }
    expect(rig.fetched).toEqual([]);
    expect(await rig.store.installations.list()).toEqual([]);
  });

  it('stores nothing when amoCRM refuses the code', async () => {
    await expect(rig.install({ code: 'def-forged', referer: 'shop.amocrm.ru' })).rejects.toMatchObject({ code: 'oauth_refused' });
    expect(await rig.store.installations.list()).toEqual([]);
  });

  it('reinstall replaces the tokens and reactivates, keeping one row', async () => {
    const id = await rig.installAccount({ amojoId: 'amojo-1' });
    const first = (await rig.store.installations.get(id))!;
    await rig.store.installations.setStatus(id, 'reauthorization_required', rig.clock.now());
    rig.clock.advance(60_000);
    const { code } = rig.emu.amocrm.issueAuthorizationCode({ accountId: id });
    const { installation, reinstalled } = await rig.install({ code, referer: first.domain });
    expect(reinstalled).toBe(true);
    expect(installation).toMatchObject({ status: 'active', installedAt: first.installedAt, amojoId: 'amojo-1' });
    expect(installation.refreshTokenEnc).not.toBe(first.refreshTokenEnc);
    expect(await rig.store.installations.list()).toHaveLength(1);
    expect(await rig.tokens.getAccessToken(id)).toBe(rig.cipher.decrypt(installation.accessTokenEnc!, tokenContext(id)));
  });

  it('checks state when a verifier is configured', async () => {
    const { installIntegration } = await import('../../src/amocrm/install');
    const account = rig.emu.amocrm.createAccount();
    const { code } = rig.emu.amocrm.issueAuthorizationCode({ accountId: account.id, state: 'forged' });
    const deps = {
      oauth: rig.oauth,
      http: rig.http,
      installations: rig.store.installations,
      cipher: rig.cipher,
      baseUrlFor: rig.baseUrlFor,
      clock: { now: rig.clock.now },
      verifyState: (s?: string) => s === 'expected',
    };
    await expect(installIntegration(deps, { code, referer: account.domain, state: 'forged' })).rejects.toMatchObject({ code: 'oauth_refused' });
    expect(rig.fetched).toEqual([]);
  });
});
