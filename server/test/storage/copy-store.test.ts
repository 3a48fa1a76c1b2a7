import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { runCli } from '../../src/cli';
import { openStore } from '../../src/storage/open-store';
import { createPostgresStore } from '../../src/storage/postgres/store';
import { installation, source as amocrmSource } from './contract-amocrm';
import { connection, conversation, entry, message, receipt } from '../support/fixtures';
import { createTestDatabase, describePg, type TestDatabase } from '../support/postgres';

// Creating databases and opening pools is slow on a loaded machine; the assertions are not about time.
jest.setTimeout(30_000);

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const io = { stdin: Readable.from(['']), stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } };
  const code = await runCli(argv, io, env);
  return { code, stdout, stderr };
}

describePg('cli copy-store (SQLite → PostgreSQL)', () => {
  let dir: string;
  let db: TestDatabase;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'amochan-copy-'));
    db = await createTestDatabase('copy');
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await db.drop();
  });

  it('copies every table with progress and per-table counts, and a re-run changes nothing', async () => {
    const file = path.join(dir, 'source.sqlite');
    const source = openStore(`sqlite:${file}`);
    await source.accounts.upsert({ login: 'shop', passwordHash: 'scrypt$x', createdAt: 1 });
    await source.connections.save(connection({ scopeId: 'chan_1', title: 'Shop', amocrmAccountId: 42 }));
    for (let i = 0; i < 25; i++) {
      await source.acceptInboundMessage({
        message: message({ id: `m${i}`, msgid: `k${i}`, payload: { text: `hi ${i}`, n: [i] } }),
        conversation: i === 0 ? conversation({ id: 'c1', refBound: true, amojoChatId: 'chat-1', channelId: 'wa' }) : undefined,
        outbox: [entry(`o${i}`, { messageId: `m${i}` })],
        now: 10 + i,
      });
    }
    await source.acceptWebhook({ receipt: receipt('msg:a1'), outbox: [], now: 5 });
    await source.outbox.claim({ now: 100, limit: 1, leaseMs: 50 });
    await source.outbox.complete('o0', 101, { message: { id: 'm0', patch: { status: 'sent', amojoMsgId: 'am-0' } } });
    await source.outbox.kill('o1', 'rejected', 102);
    await source.shared.replay.firstSeen('acct', 'jti', 9_999_999_999_999, 1);
    await source.installations.save(installation());
    await source.providerChannels.replace(
      'shop',
      [
        { id: 'wa-1', name: 'WhatsApp' },
        { id: 'tg', name: 'Telegram' },
      ],
      3,
    );
    await source.amocrmSources.save(amocrmSource({ amocrmSourceId: 77, state: 'created' }));
    await source.amocrmSources.save(amocrmSource({ channelId: '', externalId: 'amc_implicit', isDefault: false }));
    const expected = {
      installation: await source.installations.get(101),
      channels: await source.providerChannels.list('shop'),
      sources: await source.amocrmSources.listByAccount(101),
      conversation: await source.conversations.get('c1'),
      messages: await Promise.all(['m0', 'm1', 'm24'].map((id) => source.messages.get(id))),
      outbox: await source.outbox.list({ limit: 1000 }),
    };
    await source.close();

    const args = ['copy-store', '--from', `sqlite:${file}`, '--to', db.url];
    const first = await cli(args);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('copying messages: 25/25');
    expect(first.stdout).toContain(
      'provider_accounts: 1 rows\nconnections: 1 rows\nconversations: 1 rows\nmessages: 25 rows\nwebhook_receipts: 1 rows\noutbox: 25 rows\n',
    );
    expect(first.stdout).toContain('replay_cache: 1 rows');
    expect(first.stdout).toContain('amocrm_installations: 1 rows\nprovider_channels: 2 rows\namocrm_sources: 2 rows\n');
    const again = await cli(args);
    expect(again).toMatchObject({ code: 0, stdout: first.stdout });

    const target = createPostgresStore({ connectionString: db.url, poolSize: 2 });
    try {
      expect(await target.conversations.get('c1')).toEqual(expected.conversation);
      expect(await Promise.all(['m0', 'm1', 'm24'].map((id) => target.messages.get(id)))).toEqual(expected.messages);
      expect(await target.outbox.list({ limit: 1000 })).toEqual(expected.outbox);
      expect(await target.messages.count()).toBe(25);
      expect(await target.receipts.has('msg:a1')).toBe(true);
      expect(await target.accounts.get('shop')).toEqual({ login: 'shop', passwordHash: 'scrypt$x', createdAt: 1 });
      expect(await target.shared.replay.firstSeen('acct', 'jti', 9_999_999_999_999, 2)).toBe(false);
      expect(await target.installations.get(101)).toEqual(expected.installation);
      expect(await target.providerChannels.list('shop')).toEqual(expected.channels);
      expect(await target.amocrmSources.listByAccount(101)).toEqual(expected.sources);
      // The queue carries on where SQLite left it: o2 is next and new entries get higher seqs.
      expect((await target.outbox.claim({ now: 1000, limit: 1, leaseMs: 10 })).map((e) => e.id)).toEqual(['o2']);
      await target.outbox.enqueue([entry('new')], 2000);
      expect((await target.outbox.get('new'))!.seq).toBeGreaterThan(expected.outbox.at(-1)!.seq);
    } finally {
      await target.close();
    }
  }, 60_000);

  it('refuses anything but sqlite:<path> → postgres://', async () => {
    expect(await cli(['copy-store', '--from', 'memory:', '--to', db.url])).toMatchObject({ code: 1 });
    expect(await cli(['copy-store', '--from', 'sqlite:/x.sqlite'])).toMatchObject({ code: 2 });
  });
});
