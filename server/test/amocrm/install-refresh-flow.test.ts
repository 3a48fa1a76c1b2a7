import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readAccount } from '../../src/amocrm/account-api';
import { listSources, createSources } from '../../src/amocrm/sources-api';
import { createSqliteStore } from '../../src/storage/sqlite/store';
import type { Installation } from '../../src/storage/types';
import { startRig, type AmocrmRig } from './helpers';

/**
 * The whole token life against the emulated amoCRM on a loopback port, with the SQLite store:
 * install → the access token expires → 20 concurrent calls cause exactly one refresh → the refresh
 * token is revoked → the account is marked reauthorization_required and the callback fires once.
 */
let dir: string;
let rig: AmocrmRig;
const flagged: Installation[] = [];
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'amochan-amocrm-flow-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(async () => {
  flagged.length = 0;
  rig = await startRig({
    store: createSqliteStore({ filename: path.join(dir, `flow-${Date.now()}-${Math.random()}.sqlite`) }),
    tokenManager: { onReauthorizationRequired: (i) => void flagged.push(i) },
  });
});
afterEach(() => rig.close());

describe('install, refresh under load, revoked refresh', () => {
  it('refreshes exactly once for 20 concurrent calls, then flags the account when the refresh is revoked', async () => {
    const account = rig.emu.amocrm.createAccount({ subdomain: 'busy', amojoId: 'amojo-busy' });
    const { callbackUrl } = rig.emu.amocrm.issueAuthorizationCode({ accountId: account.id });
    const q = new URL(callbackUrl).searchParams;
    await rig.install({ code: q.get('code')!, referer: q.get('referer')!, fromWidget: q.get('from_widget') === '1' });
    const req = rig.rest.forAccount(account.id);
    await createSources(req, [{ name: 'Main', externalId: 'main' }]);

    // Expired on amoCRM's side while our row still looks fresh: every call first gets a 401.
    rig.emu.amocrm.expireAccessToken(account.id);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? readAccount(req) : listSources(req))));
    expect(answers).toHaveLength(20);
    expect(rig.emu.amocrm.tokenRefreshCount(account.id)).toBe(1);

    // Past our own expiry: refreshed ahead of the call, again exactly once for 20 callers.
    rig.clock.advance(3600_000);
    await Promise.all(Array.from({ length: 20 }, () => readAccount(req)));
    expect(rig.emu.amocrm.tokenRefreshCount(account.id)).toBe(2);
    expect((await rig.store.installations.get(account.id))!.status).toBe('active');

    rig.emu.amocrm.revokeRefreshToken(account.id);
    rig.clock.advance(3600_000);
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => readAccount(req)));
    expect(results.every((r) => r.status === 'rejected' && (r.reason as { code?: string }).code === 'reauthorization_required')).toBe(true);
    expect((await rig.store.installations.get(account.id))!.status).toBe('reauthorization_required');
    expect(flagged.map((i) => i.amocrmAccountId)).toEqual([account.id]);

    // A reinstall brings the account back.
    const again = rig.emu.amocrm.issueAuthorizationCode({ accountId: account.id });
    await rig.install({ code: again.code, referer: 'busy.amocrm.ru' });
    expect(await readAccount(req)).toMatchObject({ amojo_id: 'amojo-busy' });
    expect((await listSources(req)).map((s) => s.externalId)).toEqual(['main']);
  });
});
