import { createServer } from 'node:net';
import { startRig, type AmocrmRig } from './helpers';

let rig: AmocrmRig;
beforeEach(async () => {
  rig = await startRig();
});
afterEach(() => rig.close());

describe('OAuth client against the emulated amoCRM', () => {
  it('exchanges a code and refreshes, computing expiresAt from expires_in', async () => {
    const account = rig.emu.amocrm.createAccount();
    const { code } = rig.emu.amocrm.issueAuthorizationCode({ accountId: account.id });
    const pair = await rig.oauth.exchangeCode(rig.emu.url, code);
    expect(pair.expiresAt).toBe(rig.clock.now() + 3600_000);
    const next = await rig.oauth.refresh(rig.emu.url, pair.refreshToken);
    expect(next.refreshToken).not.toBe(pair.refreshToken);
    expect(rig.emu.amocrm.tokenRefreshCount(account.id)).toBe(1);
  });

  it('calls a used code or a dead refresh token refused, not retryable', async () => {
    const account = rig.emu.amocrm.createAccount();
    const { code } = rig.emu.amocrm.issueAuthorizationCode({ accountId: account.id });
    const pair = await rig.oauth.exchangeCode(rig.emu.url, code);
    await expect(rig.oauth.exchangeCode(rig.emu.url, code)).rejects.toMatchObject({ code: 'oauth_refused', retryable: false });
    await rig.oauth.refresh(rig.emu.url, pair.refreshToken);
    await expect(rig.oauth.refresh(rig.emu.url, pair.refreshToken)).rejects.toMatchObject({ code: 'oauth_refused', status: 400 });
  });

  it('treats 5xx, 429 and an unreachable host as retryable', async () => {
    rig.emu.amocrm.failNext({ status: 503 });
    await expect(rig.oauth.refresh(rig.emu.url, 'rt')).rejects.toMatchObject({ code: 'amocrm_unavailable', retryable: true });
    rig.emu.amocrm.failNext({ status: 429, retryAfter: 3 });
    await expect(rig.oauth.refresh(rig.emu.url, 'rt')).rejects.toMatchObject({ code: 'rate_limited', retryAfter: 3, retryable: true });
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    await expect(rig.oauth.refresh(`http://127.0.0.1:${closed}`, 'rt')).rejects.toMatchObject({ code: 'amocrm_unavailable', retryable: true });
  });

  it('refuses an answer that is not a token pair', async () => {
    const http = async () => ({ status: 200, body: { token_type: 'Bearer', access_token: 'a' } });
    const { createOAuthClient } = await import('../../src/amocrm/oauth-client');
    const client = createOAuthClient({ http, clock: { now: () => 0 }, config: { clientId: 'c', clientSecret: 's', redirectUri: 'r' } });
    await expect(client.refresh('http://unused', 'rt')).rejects.toMatchObject({ code: 'bad_response' });
  });
});
