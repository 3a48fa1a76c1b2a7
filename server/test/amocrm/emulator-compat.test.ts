import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyDisableSignature } from '../../src/amocrm/disable-signature';
import { createReplayCache, verifyWidgetToken } from '../../src/http/widget-auth';
import { createMemorySharedState } from '../../src/storage/memory/shared-state';
import { startRig, type AmocrmRig } from './helpers';

/** What the emulated amoCRM signs must pass the checks the server applies to the real one. */
let rig: AmocrmRig;
let hookServer: Server;
let hookUrl: string;
const hooks: URLSearchParams[] = [];
beforeEach(async () => {
  rig = await startRig();
  hooks.length = 0;
  hookServer = createServer((req, res) => {
    hooks.push(new URL(req.url ?? '/', 'http://x').searchParams);
    res.end('{}');
  });
  await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/amocrm/v1/disable`;
});
afterEach(async () => {
  await new Promise((r) => hookServer.close(r));
  await rig.close();
});

describe('emulated amoCRM signatures verify with the server code', () => {
  it('a minted X-Auth-Token passes verifyWidgetToken with the integration secret, id and audience', async () => {
    const account = rig.emu.amocrm.createAccount({ subdomain: 'shop' });
    const i = rig.emu.amocrm.integration;
    const config = { AMOCRM_CLIENT_SECRET: i.clientSecret, AMOCRM_CLIENT_ID: i.clientId, AMOCRM_TOKEN_AUDIENCE: 'https://amochan.test' };
    const token = rig.emu.amocrm.mintWidgetToken({ accountId: account.id, audience: 'https://amochan.test', userId: 5 });
    const caller = await verifyWidgetToken(token, config, createReplayCache(createMemorySharedState()), rig.clock.now());
    expect(caller).toEqual({ amocrmAccountId: account.id, userId: 5, subdomain: 'shop' });
    const other = rig.emu.amocrm.mintWidgetToken({ accountId: account.id, audience: 'https://elsewhere.test' });
    await expect(verifyWidgetToken(other, config, createReplayCache(createMemorySharedState()), rig.clock.now())).rejects.toMatchObject({
      code: 'invalid_token',
    });
  });

  it('the disable hook signature verifies, and a tampered one does not', async () => {
    const id = await rig.installAccount();
    const i = rig.emu.amocrm.integration;
    await rig.emu.amocrm.sendDisableHook({ accountId: id, url: hookUrl, revoke: false });
    await rig.emu.amocrm.sendDisableHook({ accountId: id, url: hookUrl, tamper: true });
    const verify = (q: URLSearchParams) =>
      verifyDisableSignature({
        clientSecret: i.clientSecret,
        clientUuid: q.get('client_uuid')!,
        accountId: q.get('account_id')!,
        signature: q.get('signature')!,
      });
    expect(hooks.map(verify)).toEqual([true, false]);
    expect(hooks[0]!.get('account_id')).toBe(String(id));
    // A real uninstall also revokes the tokens: the next call is refused and the refresh too.
    await expect(rig.tokens.withAccessToken(id, (t) => rig.http(rig.emu.url, { method: 'GET', path: '/api/v4/account' }, t))).rejects.toMatchObject({
      code: 'reauthorization_required',
    });
  });
});
