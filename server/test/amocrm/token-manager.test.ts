import { tokenContext } from '../../src/amocrm/token-manager';
import type { Installation } from '../../src/storage/types';
import { startRig, type AmocrmRig } from './helpers';

let rig: AmocrmRig;
const flagged: Installation[] = [];
beforeEach(async () => {
  flagged.length = 0;
  rig = await startRig({ tokenManager: { refreshMarginMs: 60_000, onReauthorizationRequired: (i) => void flagged.push(i) } });
});
afterEach(() => rig.close());

const stored = async (id: number) => (await rig.store.installations.get(id))!;

describe('token manager', () => {
  it('returns the stored token while fresh and refreshes within the margin', async () => {
    const id = await rig.installAccount();
    const first = await rig.tokens.getAccessToken(id);
    expect(await rig.tokens.getAccessToken(id)).toBe(first);
    expect(rig.emu.amocrm.tokenRefreshCount(id)).toBe(0);
    rig.clock.advance(3600_000 - 59_000);
    const second = await rig.tokens.getAccessToken(id);
    expect(second).not.toBe(first);
    expect(rig.emu.amocrm.tokenRefreshCount(id)).toBe(1);
    expect((await stored(id)).expiresAt).toBe(rig.clock.now() + 3600_000);
    expect(rig.cipher.decrypt((await stored(id)).accessTokenEnc!, tokenContext(id))).toBe(second);
  });

  it('refreshes once on a 401 and retries the call with the new token', async () => {
    const id = await rig.installAccount({ amojoId: 'amojo-x' });
    rig.emu.amocrm.expireAccessToken(id);
    const account = await rig.rest.forAccount(id)({ method: 'GET', path: '/api/v4/account', query: { with: 'amojo_id' } });
    expect(account.body).toMatchObject({ amojo_id: 'amojo-x' });
    expect(rig.emu.amocrm.tokenRefreshCount(id)).toBe(1);
  });

  it('propagates a second 401 instead of looping', async () => {
    const id = await rig.installAccount();
    let calls = 0;
    await expect(
      rig.tokens.withAccessToken(id, async (token) => {
        calls += 1;
        return rig.http(rig.emu.url, { method: 'GET', path: '/api/v4/account' }, `${token}-wrong`);
      }),
    ).rejects.toMatchObject({ code: 'unauthorized' });
    expect(calls).toBe(2);
    expect(rig.emu.amocrm.tokenRefreshCount(id)).toBe(1);
  });

  it('marks the installation reauthorization_required when amoCRM refuses the refresh', async () => {
    const id = await rig.installAccount();
    rig.emu.amocrm.revokeRefreshToken(id);
    rig.emu.amocrm.expireAccessToken(id);
    await expect(rig.rest.forAccount(id)({ method: 'GET', path: '/api/v4/account' })).rejects.toMatchObject({ code: 'reauthorization_required' });
    expect((await stored(id)).status).toBe('reauthorization_required');
    expect(flagged.map((i) => [i.amocrmAccountId, i.status])).toEqual([[id, 'reauthorization_required']]);
    // Later calls fail fast without asking amoCRM again.
    const before = rig.fetched.length;
    await expect(rig.tokens.getAccessToken(id)).rejects.toMatchObject({ code: 'reauthorization_required' });
    expect(rig.fetched.length).toBe(before);
    expect(flagged).toHaveLength(1);
  });

  it('leaves the installation active when the refresh fails transiently', async () => {
    const id = await rig.installAccount();
    rig.clock.advance(3600_000);
    rig.emu.amocrm.failNext({ status: 502 });
    await expect(rig.tokens.getAccessToken(id)).rejects.toMatchObject({ code: 'amocrm_unavailable', retryable: true });
    expect((await stored(id)).status).toBe('active');
    expect(await rig.tokens.getAccessToken(id)).toEqual(expect.any(String));
    expect(rig.emu.amocrm.tokenRefreshCount(id)).toBe(1);
  });

  it('says not_installed for unknown and uninstalled accounts', async () => {
    await expect(rig.tokens.getAccessToken(424242)).rejects.toMatchObject({ code: 'not_installed' });
    const id = await rig.installAccount();
    await rig.store.installations.setStatus(id, 'uninstalled', rig.clock.now());
    await expect(rig.rest.forAccount(id)({ method: 'GET', path: '/api/v4/account' })).rejects.toMatchObject({ code: 'not_installed' });
  });

  it('still reports reauthorization_required when the notifier throws', async () => {
    const { createTokenManager } = await import('../../src/amocrm/token-manager');
    const id = await rig.installAccount();
    const tokens = createTokenManager({
      installations: rig.store.installations,
      cipher: rig.cipher,
      oauth: rig.oauth,
      baseUrlFor: rig.baseUrlFor,
      clock: { now: rig.clock.now },
      onReauthorizationRequired: () => {
        throw new Error('notifier down');
      },
    });
    rig.emu.amocrm.revokeRefreshToken(id);
    rig.clock.advance(3600_000);
    await expect(tokens.getAccessToken(id)).rejects.toMatchObject({ code: 'reauthorization_required' });
    expect((await stored(id)).status).toBe('reauthorization_required');
  });

  it('never writes a token to the logger', async () => {
    const lines: string[] = [];
    const logger = {
      info: (o: object, m: string) => void lines.push(JSON.stringify(o) + m),
      warn: (o: object, m: string) => void lines.push(JSON.stringify(o) + m),
    };
    const { createTokenManager } = await import('../../src/amocrm/token-manager');
    const id = await rig.installAccount();
    const tokens = createTokenManager({
      installations: rig.store.installations,
      cipher: rig.cipher,
      oauth: rig.oauth,
      baseUrlFor: rig.baseUrlFor,
      clock: { now: rig.clock.now },
      logger,
    });
    rig.clock.advance(3600_000);
    const fresh = await tokens.getAccessToken(id);
    const refresh = rig.cipher.decrypt((await stored(id)).refreshTokenEnc!, tokenContext(id));
    rig.emu.amocrm.revokeRefreshToken(id);
    rig.clock.advance(3600_000);
    await expect(tokens.getAccessToken(id)).rejects.toMatchObject({ code: 'reauthorization_required' });
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) {
      expect(line).not.toContain(fresh);
      expect(line).not.toContain(refresh);
    }
  });
});
