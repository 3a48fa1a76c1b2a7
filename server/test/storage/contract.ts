import type { Store } from '../../src/storage/types';
import { describeConnectionsContract } from './contract-connections';
import { describeIntakeContextContract } from './contract-intake-context';
import { describeOutboxContract } from './contract-outbox';
import { conversation, entry, message, receipt } from '../support/fixtures';

/**
 * The one behaviour every Store implementation must have. storage-sqlite.test.ts and
 * storage-memory.test.ts run it; a PostgreSQL store will run it too.
 */
export function describeStoreContract(name: string, makeStore: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });
    const s = () => store;

    describe('accounts', () => {
      it('upserts, gets, lists in login order and removes', async () => {
        await s().accounts.upsert({ login: 'bob', passwordHash: 'h1', createdAt: 1 });
        await s().accounts.upsert({ login: 'alice', passwordHash: 'h2', createdAt: 2 });
        await s().accounts.upsert({ login: 'bob', passwordHash: 'h3', createdAt: 3 });
        expect(await s().accounts.get('bob')).toEqual({ login: 'bob', passwordHash: 'h3', createdAt: 1 });
        expect((await s().accounts.list()).map((a) => a.login)).toEqual(['alice', 'bob']);
        expect(await s().accounts.remove('bob')).toBe(true);
        expect(await s().accounts.remove('bob')).toBe(false);
        expect(await s().accounts.get('bob')).toBeNull();
      });
    });

    describe('conversations', () => {
      it('finds by conversation id, by amojo chat id, and upserts by id', async () => {
        await s().conversations.save(conversation({ id: 'c1', conversationId: 'conv-1', amojoChatId: 'chat-1' }));
        expect((await s().conversations.getByConversationId('shop', 'conv-1'))?.id).toBe('c1');
        expect(await s().conversations.getByConversationId('other', 'conv-1')).toBeNull();
        expect((await s().conversations.getByAmojoChatId('scope-1', 'chat-1'))?.id).toBe('c1');
        expect(await s().conversations.getByAmojoChatId('scope-2', 'chat-1')).toBeNull();
        await s().conversations.save(conversation({ id: 'c1', conversationId: 'conv-1', refBound: true, updatedAt: 5 }));
        expect(await s().conversations.get('c1')).toMatchObject({ refBound: true, updatedAt: 5, amojoChatId: null });
      });

      it('findPendingByPhone returns the oldest pending chat of that login and phone', async () => {
        const pending = { state: 'pending' as const, conversationId: null, phone: '79001' };
        await s().conversations.save(conversation({ ...pending, id: 'p2', createdAt: 20 }));
        await s().conversations.save(conversation({ ...pending, id: 'p1', createdAt: 10 }));
        await s().conversations.save(conversation({ id: 'a0', state: 'active', phone: '79001', createdAt: 1, conversationId: 'x' }));
        await s().conversations.save(conversation({ ...pending, id: 'o1', login: 'other', createdAt: 1 }));
        expect((await s().conversations.findPendingByPhone('shop', '79001'))?.id).toBe('p1');
        expect(await s().conversations.findPendingByPhone('shop', '79002')).toBeNull();
      });

      it('listActiveSince returns recent activity, most recent first, limited', async () => {
        for (const [id, at] of [
          ['c1', 100],
          ['c2', 300],
          ['c3', 200],
          ['c4', 50],
        ] as const) {
          await s().conversations.save(conversation({ id, conversationId: id, lastActivityAt: at }));
        }
        expect((await s().conversations.listActiveSince(100, 10)).map((c) => c.id)).toEqual(['c2', 'c3', 'c1']);
        expect((await s().conversations.listActiveSince(0, 2)).map((c) => c.id)).toEqual(['c2', 'c3']);
      });

      // The reconciler's notion of "recently active".
      it('touch moves lastActivityAt forward only, changing nothing else', async () => {
        const c = conversation({ id: 'c1', conversationId: 'conv-1', lastActivityAt: 100 });
        await s().conversations.save(c);
        await s().conversations.touch('c1', 500);
        await s().conversations.touch('c1', 200);
        await s().conversations.touch('missing', 900);
        expect(await s().conversations.get('c1')).toEqual({ ...c, lastActivityAt: 500 });
        expect((await s().conversations.listActiveSince(400, 10)).map((x) => x.id)).toEqual(['c1']);
      });

      it('setAmojoChat sets the chat, fills a missing clientRefId only, and leaves the rest as stored', async () => {
        await s().conversations.save(conversation({ id: 'c1', conversationId: 'conv-1', lastActivityAt: 100 }));
        // Changes committed after the caller read the row must survive: a touch and a rebinding.
        await s().conversations.touch('c1', 300);
        await s().conversations.save({ ...(await s().conversations.get('c1'))!, refBound: true, clientId: 'client-2' });
        await s().conversations.setAmojoChat('c1', { amojoChatId: 'chat-1', clientRefId: 'ref-1' }, 400);
        const after = await s().conversations.get('c1');
        expect(after).toEqual(
          conversation({
            id: 'c1',
            conversationId: 'conv-1',
            lastActivityAt: 300,
            refBound: true,
            clientId: 'client-2',
            amojoChatId: 'chat-1',
            clientRefId: 'ref-1',
            updatedAt: 400,
          }),
        );
        await s().conversations.setAmojoChat('c1', { amojoChatId: 'chat-2', clientRefId: 'ref-2' }, 500);
        expect(await s().conversations.get('c1')).toMatchObject({ amojoChatId: 'chat-2', clientRefId: 'ref-1', updatedAt: 500 });
        await s().conversations.setAmojoChat('c2', { amojoChatId: 'chat-3' }, 600);
        expect(await s().conversations.get('c2')).toBeNull();
        expect((await s().conversations.getByAmojoChatId('scope-1', 'chat-2'))?.id).toBe('c1');
      });

      it('keeps the channel through every way a conversation is written: save, intake, hook, and their upserts', async () => {
        await s().conversations.save(conversation({ id: 'c1', conversationId: 'conv-1', channelId: 'wa' }));
        expect((await s().conversations.get('c1'))?.channelId).toBe('wa');
        await s().conversations.save(conversation({ id: 'c1', conversationId: 'conv-1', channelId: null }));
        expect((await s().conversations.get('c1'))?.channelId).toBeNull();

        // The intake units of work insert the row, then update it (an upsert on id) when it learns its channel.
        await s().acceptInboundMessage({
          message: message({ id: 'm1', msgid: 'k1' }),
          conversation: conversation({ id: 'c2', conversationId: 'conv-2' }),
          outbox: [],
          now: 1,
        });
        expect((await s().conversations.get('c2'))?.channelId).toBeNull();
        const learned = conversation({ id: 'c2', conversationId: 'conv-2', channelId: 'bot' });
        await s().acceptInboundMessage({ message: message({ id: 'm2', msgid: 'k2' }), conversation: learned, outbox: [], now: 2 });
        expect(await s().conversations.get('c2')).toEqual(learned);

        const pending = conversation({ id: 'c3', conversationId: null, state: 'pending', amojoChatId: 'chat-3', channelId: 'tg' });
        await s().acceptWebhook({ receipt: receipt('msg:a'), conversation: pending, outbox: [], now: 3 });
        expect(await s().conversations.get('c3')).toEqual(pending);
        await s().acceptWebhook({ receipt: receipt('msg:b'), conversation: { ...pending, channelId: 'wa' }, outbox: [], now: 4 });
        expect((await s().conversations.getByAmojoChatId('scope-1', 'chat-3'))?.channelId).toBe('wa');

        // Partial updates leave it alone.
        await s().conversations.touch('c3', 900);
        await s().conversations.setAmojoChat('c3', { amojoChatId: 'chat-3b' }, 950);
        expect((await s().conversations.listActiveSince(900, 10)).map((c) => [c.id, c.channelId])).toEqual([['c3', 'wa']]);
      });

      it('setChannel sets the channel only while it is the expected one, touching nothing else', async () => {
        const c = conversation({ id: 'c1', conversationId: 'conv-1', amojoChatId: 'chat-1', channelId: null, updatedAt: 1 });
        await s().conversations.save(c);
        expect(await s().conversations.setChannel('c1', 'bot', 'wa', 5)).toBe(false);
        expect(await s().conversations.get('c1')).toEqual(c);
        expect(await s().conversations.setChannel('c1', 'bot', null, 6)).toBe(true);
        expect(await s().conversations.get('c1')).toEqual({ ...c, channelId: 'bot', updatedAt: 6 });
        // A second writer that also read "no channel yet" does not move it.
        expect(await s().conversations.setChannel('c1', 'wa', null, 7)).toBe(false);
        expect(await s().conversations.setChannel('c1', null, 'bot', 8)).toBe(true);
        expect(await s().conversations.get('c1')).toMatchObject({ channelId: null, updatedAt: 8 });
        expect(await s().conversations.setChannel('missing', 'wa', null, 9)).toBe(false);
      });

      it('refuses a second conversation row for the same (login, conversation id) with a conflict', async () => {
        await s().conversations.save(conversation({ id: 'c1', conversationId: 'conv-1' }));
        await expect(s().conversations.save(conversation({ id: 'c2', conversationId: 'conv-1' }))).rejects.toMatchObject({
          code: 'conflict',
        });
        // Pending chats have no conversation id yet and never collide.
        await s().conversations.save(conversation({ id: 'p1', conversationId: null, state: 'pending' }));
        await s().conversations.save(conversation({ id: 'p2', conversationId: null, state: 'pending' }));
      });
    });

    describe('acceptInboundMessage', () => {
      it('stores message, conversation and outbox entries together', async () => {
        const m = message({ id: 'm1', msgid: 'k1', payload: { text: 'hi', nested: [1, { a: null }] } });
        const conv = conversation({ id: 'c1', conversationId: 'conv-1' });
        const res = await s().acceptInboundMessage({ message: m, conversation: conv, outbox: [entry('o1')], now: 5 });
        expect(res).toEqual({ created: true, message: m });
        expect(await s().messages.get('m1')).toEqual(m);
        expect(await s().messages.getByMsgid('shop', 'k1')).toEqual(m);
        expect((await s().conversations.get('c1'))?.conversationId).toBe('conv-1');
        expect(await s().outbox.get('o1')).toMatchObject({ state: 'pending', attempts: 0, nextAttemptAt: 5, createdAt: 5 });
        expect(await s().messages.count()).toBe(1);
      });

      it('is idempotent on (login, msgid): nothing written the second time, the original returned', async () => {
        const first = message({ id: 'm1', msgid: 'k1', payload: { text: 'first' } });
        await s().acceptInboundMessage({ message: first, outbox: [entry('o1')], now: 1 });
        const again = await s().acceptInboundMessage({
          message: message({ id: 'm2', msgid: 'k1', payload: { text: 'second' } }),
          conversation: conversation({ id: 'c9', conversationId: 'conv-9' }),
          outbox: [entry('o2')],
          now: 2,
        });
        expect(again).toEqual({ created: false, message: first });
        expect(await s().messages.get('m2')).toBeNull();
        expect(await s().conversations.get('c9')).toBeNull();
        expect(await s().outbox.get('o2')).toBeNull();
        expect(await s().messages.count()).toBe(1);
        expect(await s().outbox.countUndelivered()).toBe(1);
        // Same msgid under another login is a different message.
        const other = await s().acceptInboundMessage({ message: message({ id: 'm3', login: 'other', msgid: 'k1' }), outbox: [], now: 3 });
        expect(other.created).toBe(true);
      });

      it('writes nothing when any part conflicts (atomic)', async () => {
        await s().outbox.enqueue([entry('taken')], 1);
        await expect(
          s().acceptInboundMessage({
            message: message({ id: 'm1', msgid: 'k1' }),
            conversation: conversation({ id: 'c1', conversationId: 'conv-1' }),
            outbox: [entry('o1'), entry('taken')],
            now: 2,
          }),
        ).rejects.toMatchObject({ code: 'conflict' });
        expect(await s().messages.get('m1')).toBeNull();
        expect(await s().conversations.get('c1')).toBeNull();
        expect(await s().outbox.get('o1')).toBeNull();
        expect(await s().messages.count()).toBe(0);
      });

      // PostgreSQL commits concurrent intakes together (one statement): each is still answered as
      // if it had run alone, and one that conflicts fails alone.
      it('answers concurrent intakes each as if alone: a repeat, a conflicting one, the rest in order', async () => {
        await s().outbox.enqueue([entry('taken', { orderingKey: 'conv:z' })], 1);
        const first = message({ id: 'm1', msgid: 'k1' });
        const results = await Promise.allSettled([
          s().acceptInboundMessage({ message: first, conversation: conversation({ id: 'c1' }), outbox: [entry('o1', { orderingKey: 'conv:a' })], now: 2 }),
          s().acceptInboundMessage({ message: message({ id: 'm2', msgid: 'k1' }), outbox: [entry('o2', { orderingKey: 'conv:a' })], now: 2 }),
          s().acceptInboundMessage({ message: message({ id: 'm3', msgid: 'k3' }), outbox: [entry('o3', { orderingKey: 'conv:a' }), entry('taken')], now: 2 }),
          s().acceptInboundMessage({ message: message({ id: 'm4', msgid: 'k4' }), outbox: [entry('o4', { orderingKey: 'conv:a' })], now: 2 }),
          s().acceptInboundMessage({ message: message({ id: 'm5', login: 'other', msgid: 'k1' }), outbox: [entry('o5', { orderingKey: 'conv:b' })], now: 2 }),
        ]);
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
        const value = (i: number) => (results[i] as PromiseFulfilledResult<{ created: boolean; message: { id: string } }>).value;
        expect(value(0)).toEqual({ created: true, message: first });
        expect(value(1)).toEqual({ created: false, message: first });
        expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'conflict' });
        expect([value(3).created, value(4).created]).toEqual([true, true]);
        expect(await s().messages.get('m3')).toBeNull();
        expect(await s().outbox.get('o3')).toBeNull();
        expect((await s().conversations.get('c1'))?.conversationId).toBe('conv-1');
        expect((await s().outbox.list({ limit: 10 })).map((e) => e.id)).toEqual(['taken', 'o1', 'o4', 'o5']);
        // conv:a's second entry waits for its first: claims see only each key's head.
        const claimed = await s().outbox.claim({ now: 10, limit: 10, leaseMs: 1000 });
        expect(claimed.map((e) => e.id).sort()).toEqual(['o1', 'o5', 'taken']);
      });

      it('a concurrent second intake of the same msgid yields one row', async () => {
        const results = await Promise.all(
          ['a', 'b', 'c'].map((suffix) =>
            s().acceptInboundMessage({ message: message({ id: `m-${suffix}`, msgid: 'same' }), outbox: [entry(`o-${suffix}`)], now: 1 }),
          ),
        );
        expect(results.filter((r) => r.created)).toHaveLength(1);
        expect(new Set(results.map((r) => r.message.id)).size).toBe(1);
        expect(await s().messages.count()).toBe(1);
        expect(await s().outbox.countUndelivered()).toBe(1);
      });
    });

    describe('acceptWebhook and receipts', () => {
      it('stores receipt + message + conversation + outbox, and dedups on the receipt key', async () => {
        const out = message({ id: 'm1', direction: 'outbound', msgid: null, amojoMsgId: 'amojo-m1' });
        const first = await s().acceptWebhook({
          receipt: receipt('msg:amojo-m1'),
          message: out,
          conversation: conversation({ id: 'c1', conversationId: 'conv-1', amojoChatId: 'chat-1' }),
          outbox: [entry('o1', { destination: 'provider' })],
          now: 1,
        });
        expect(first).toEqual({ duplicate: false });
        expect(await s().receipts.has('msg:amojo-m1')).toBe(true);
        expect((await s().messages.getByAmojoMsgId('amojo-m1'))?.id).toBe('m1');

        const dup = await s().acceptWebhook({
          receipt: receipt('msg:amojo-m1'),
          message: message({ id: 'm2', direction: 'outbound', msgid: null }),
          conversation: conversation({ id: 'c2', conversationId: 'conv-2' }),
          outbox: [entry('o2')],
          now: 2,
        });
        expect(dup).toEqual({ duplicate: true });
        expect(await s().messages.get('m2')).toBeNull();
        expect(await s().conversations.get('c2')).toBeNull();
        expect(await s().outbox.get('o2')).toBeNull();
        expect(await s().receipts.count()).toBe(1);
        expect(await s().messages.count()).toBe(1);
        expect(await s().receipts.has('msg:other')).toBe(false);
      });

      it('accepts a receipt with no message (typing, reaction)', async () => {
        expect(await s().acceptWebhook({ receipt: receipt('typing:abc', 'typing'), outbox: [entry('t1')], now: 1 })).toEqual({
          duplicate: false,
        });
        expect(await s().outbox.countUndelivered()).toBe(1);
      });

      it('purgeOlderThan deletes receipts received before the cutoff, and only those', async () => {
        for (const [key, at] of [
          ['msg:a', 10],
          ['msg:b', 20],
          ['typing:c', 30],
          ['msg:d', 40],
        ] as const) {
          await s().acceptWebhook({ receipt: { ...receipt(key), receivedAt: at }, outbox: [], now: at });
        }
        expect(await s().receipts.purgeOlderThan(30)).toBe(2);
        expect(await s().receipts.purgeOlderThan(30)).toBe(0);
        expect(await s().receipts.count()).toBe(2);
        expect([await s().receipts.has('msg:a'), await s().receipts.has('msg:b'), await s().receipts.has('typing:c'), await s().receipts.has('msg:d')]).toEqual(
          [false, false, true, true],
        );
        // A purged key is new again: the dedup window is the retention.
        expect(await s().acceptWebhook({ receipt: receipt('msg:a'), outbox: [], now: 50 })).toEqual({ duplicate: false });
      });
    });

    describe('messages', () => {
      it('patches only the given fields (null clears) and stamps updatedAt', async () => {
        await s().acceptInboundMessage({ message: message({ id: 'm1', msgid: 'k1', lastError: 'old' }), outbox: [], now: 1 });
        await s().messages.update('m1', { status: 'sent', amojoMsgId: 'am-1' }, 50);
        expect(await s().messages.get('m1')).toMatchObject({ status: 'sent', amojoMsgId: 'am-1', lastError: 'old', updatedAt: 50 });
        await s().messages.update('m1', { lastError: null, amojoChatId: 'chat-9', conversationId: 'conv-9' }, 60);
        expect(await s().messages.get('m1')).toMatchObject({
          status: 'sent',
          lastError: null,
          amojoChatId: 'chat-9',
          conversationId: 'conv-9',
          updatedAt: 60,
        });
        expect((await s().messages.getByAmojoMsgId('am-1'))?.id).toBe('m1');
        await s().messages.update('missing', { status: 'failed' }, 70);
        expect(await s().messages.get('missing')).toBeNull();
      });
    });

    describeConnectionsContract(s);
    describeOutboxContract(s);
    describeIntakeContextContract(s);

    it('ping answers while open', async () => {
      await expect(s().ping()).resolves.toBeUndefined();
    });
  });
}
