import type { AmocrmSource, Installation, Store } from '../../src/storage/types';

export const installation = (over: Partial<Installation> = {}): Installation => ({
  amocrmAccountId: 101,
  amojoId: 'amojo-101',
  domain: 'shop.amocrm.ru',
  accessTokenEnc: 'v1.enc-access',
  refreshTokenEnc: 'v1.enc-refresh',
  expiresAt: 1_000,
  status: 'active',
  installedAt: 10,
  updatedAt: 10,
  ...over,
});

export const source = (over: Partial<AmocrmSource> = {}): AmocrmSource => ({
  amocrmAccountId: 101,
  login: 'shop',
  channelId: 'wa-1',
  externalId: 'amc_1',
  amocrmSourceId: null,
  pipelineId: null,
  name: 'WhatsApp',
  isDefault: true,
  state: 'pending',
  lastError: null,
  createdAt: 10,
  updatedAt: 10,
  ...over,
});

/** The amoCRM part of the Store contract: installations, provider channels, amoCRM sources. */
export function describeAmocrmStoreContract(name: string, makeStore: () => Promise<Store>): void {
  describe(`Store contract (amoCRM side): ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    describe('installations', () => {
      it('saves, replaces on reinstall, and finds by account and by amojo id', async () => {
        await store.installations.save(installation());
        await store.installations.save(installation({ accessTokenEnc: 'v1.new', updatedAt: 20 }));
        expect(await store.installations.get(101)).toEqual(installation({ accessTokenEnc: 'v1.new', updatedAt: 20 }));
        expect((await store.installations.getByAmojoId('amojo-101'))?.amocrmAccountId).toBe(101);
        expect(await store.installations.getByAmojoId('nope')).toBeNull();
        expect(await store.installations.get(999)).toBeNull();
        await store.installations.save(installation({ amocrmAccountId: 7, amojoId: 'amojo-7' }));
        expect((await store.installations.list()).map((i) => i.amocrmAccountId)).toEqual([7, 101]);
      });

      it('refuses a second account with the same amojo id', async () => {
        await store.installations.save(installation());
        await expect(store.installations.save(installation({ amocrmAccountId: 102 }))).rejects.toMatchObject({ code: 'conflict' });
        expect(await store.installations.get(102)).toBeNull();
      });

      it('updates tokens only over the expected refresh token, and reactivates', async () => {
        await store.installations.save(installation({ status: 'reauthorization_required' }));
        const tokens = { accessTokenEnc: 'v1.a2', refreshTokenEnc: 'v1.r2', expiresAt: 5_000 };
        expect(await store.installations.updateTokens(101, tokens, 'v1.stale', 30)).toBe(false);
        expect(await store.installations.updateTokens(101, tokens, 'v1.enc-refresh', 30)).toBe(true);
        expect(await store.installations.get(101)).toMatchObject({ ...tokens, status: 'active', updatedAt: 30 });
        expect(await store.installations.updateTokens(404, tokens, null, 30)).toBe(false);
      });

      it('sets a status; uninstalled drops the tokens', async () => {
        await store.installations.save(installation());
        expect(await store.installations.setStatus(101, 'reauthorization_required', 40)).toBe(true);
        expect(await store.installations.get(101)).toMatchObject({ status: 'reauthorization_required', refreshTokenEnc: 'v1.enc-refresh', updatedAt: 40 });
        expect(await store.installations.setStatus(101, 'uninstalled', 50)).toBe(true);
        expect(await store.installations.get(101)).toMatchObject({ status: 'uninstalled', accessTokenEnc: null, refreshTokenEnc: null });
        expect(await store.installations.setStatus(404, 'active', 50)).toBe(false);
      });
    });

    describe('provider channels', () => {
      it('replaces the whole list in order, keeping createdAt of channels that stay', async () => {
        expect(await store.providerChannels.list('shop')).toEqual([]);
        await store.providerChannels.replace(
          'shop',
          [
            { id: 'wa-1', name: 'WhatsApp' },
            { id: 'bot', name: 'Bot' },
          ],
          10,
        );
        const after = await store.providerChannels.replace(
          'shop',
          [
            { id: 'bot', name: 'Bot' },
            { id: 'tg', name: 'Telegram' },
          ],
          20,
        );
        expect(after.map((c) => [c.channelId, c.position, c.createdAt, c.updatedAt])).toEqual([
          ['bot', 0, 10, 20],
          ['tg', 1, 20, 20],
        ]);
        expect(await store.providerChannels.list('shop')).toEqual(after);
        await store.providerChannels.replace(
          'shop',
          [
            { id: 'bot', name: 'Bot' },
            { id: 'tg', name: 'Telegram' },
          ],
          30,
        );
        expect((await store.providerChannels.list('shop'))[0]!.updatedAt).toBe(20);
        expect(await store.providerChannels.list('other')).toEqual([]);
      });

      it('an empty list returns the login to its implicit channel; duplicate ids are refused', async () => {
        await store.providerChannels.replace('shop', [{ id: 'a', name: 'A' }], 1);
        await expect(
          store.providerChannels.replace(
            'shop',
            [
              { id: 'x', name: 'X' },
              { id: 'x', name: 'Y' },
            ],
            2,
          ),
        ).rejects.toMatchObject({ code: 'invalid_request' });
        expect((await store.providerChannels.list('shop')).map((c) => c.channelId)).toEqual(['a']);
        expect(await store.providerChannels.replace('shop', [], 3)).toEqual([]);
      });
    });

    describe('amoCRM sources', () => {
      it('upserts per (account, login, channel) and finds by external id', async () => {
        await store.amocrmSources.save(source());
        await store.amocrmSources.save(source({ amocrmSourceId: 55, state: 'created', pipelineId: 9, updatedAt: 20 }));
        expect(await store.amocrmSources.get(101, 'shop', 'wa-1')).toEqual(source({ amocrmSourceId: 55, state: 'created', pipelineId: 9, updatedAt: 20 }));
        expect((await store.amocrmSources.getByExternalId(101, 'amc_1'))?.channelId).toBe('wa-1');
        expect(await store.amocrmSources.getByExternalId(102, 'amc_1')).toBeNull();
      });

      it('keeps a source amoCRM refused for good in the error state, with the reason', async () => {
        await store.amocrmSources.save(source({ state: 'error', lastError: 'source limit reached' }));
        expect(await store.amocrmSources.get(101, 'shop', 'wa-1')).toMatchObject({ state: 'error', lastError: 'source limit reached' });
      });

      it('keeps the implicit channel under the empty channel id', async () => {
        await store.amocrmSources.save(source({ channelId: '', externalId: 'amc_0' }));
        expect(await store.amocrmSources.get(101, 'shop', '')).toMatchObject({ externalId: 'amc_0', isDefault: true });
      });

      it('refuses a duplicate external id in one account but allows it in another', async () => {
        await store.amocrmSources.save(source());
        await expect(store.amocrmSources.save(source({ channelId: 'other' }))).rejects.toMatchObject({ code: 'conflict' });
        await store.amocrmSources.save(source({ amocrmAccountId: 102 }));
        expect(await store.amocrmSources.listByLogin('shop')).toHaveLength(2);
      });

      it('lists by account and by login in a stable order, removes one or all of an account', async () => {
        await store.amocrmSources.save(source({ channelId: 'b', externalId: 'e-b' }));
        await store.amocrmSources.save(source({ channelId: 'a', externalId: 'e-a', isDefault: false }));
        await store.amocrmSources.save(source({ login: 'alpha', channelId: 'z', externalId: 'e-z' }));
        await store.amocrmSources.save(source({ amocrmAccountId: 7, channelId: 'q', externalId: 'e-q' }));
        expect((await store.amocrmSources.listByAccount(101)).map((s) => `${s.login}/${s.channelId}`)).toEqual(['alpha/z', 'shop/a', 'shop/b']);
        expect((await store.amocrmSources.listByLogin('shop')).map((s) => `${s.amocrmAccountId}/${s.channelId}`)).toEqual(['7/q', '101/a', '101/b']);
        expect(await store.amocrmSources.remove(101, 'shop', 'a')).toBe(true);
        expect(await store.amocrmSources.remove(101, 'shop', 'a')).toBe(false);
        expect(await store.amocrmSources.removeByAccount(101)).toBe(2);
        expect(await store.amocrmSources.listByAccount(101)).toEqual([]);
        expect(await store.amocrmSources.listByAccount(7)).toHaveLength(1);
      });
    });
  });
}
