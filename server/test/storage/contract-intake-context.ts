import type { Connection, IntakeContextQuery, Store } from '../../src/storage/types';
import { installation, source } from './contract-amocrm';
import { connection, conversation, message } from '../support/fixtures';

/**
 * readIntakeContext part of the Store contract: every store returns the same rows as the repository
 * lookups it stands for (types.ts, IntakeContext), absent ones included, so the intake decides the
 * same on PostgreSQL (one statement) as on memory and SQLite (composed).
 */
export function describeIntakeContextContract(s: () => Store): void {
  describe('readIntakeContext', () => {
    const conn = (over: Partial<Connection> = {}): Connection =>
      connection({ amojoAccountId: 'amojo-101', title: 'Shop', amocrmAccountId: 101, connectedAt: 10, updatedAt: 10, ...over });
    const query = (over: Partial<IntakeContextQuery> = {}): IntakeContextQuery => ({ login: 'shop', conversationId: 'conv-1', ...over });
    const empty = {
      connection: null,
      channels: [],
      conversation: null,
      conversationByRef: null,
      pendingByPhone: null,
      installation: null,
      sources: [],
      quoted: null,
      customerRefIsSender: false,
    };

    it('is empty for a login without a connected binding, whatever else it has', async () => {
      await s().connections.save(conn({ status: 'disconnected', disconnectedAt: 20 }));
      await s().providerChannels.replace('shop', [{ id: 'wa-1', name: 'WhatsApp' }], 10);
      await s().conversations.save(conversation());
      await s().installations.save(installation());
      await s().acceptInboundMessage({ message: message(), outbox: [], now: 1 });
      expect(await s().readIntakeContext(query({ replyToMsgid: 'k1' }))).toEqual(empty);
      expect(await s().readIntakeContext(query({ login: 'nobody' }))).toEqual(empty);
    });

    it('returns the connected binding, the declared channels by position, the installation and its sources of the login', async () => {
      await s().connections.save(conn({ amojoAccountId: 'amojo-old', scopeId: 'scope-old', status: 'disconnected', connectedAt: 50, disconnectedAt: 60 }));
      await s().connections.save(conn());
      await s().connections.save(conn({ amojoAccountId: 'amojo-other', login: 'other', scopeId: 'scope-o' }));
      await s().providerChannels.replace(
        'shop',
        [
          { id: 'wa-2', name: 'Second' },
          { id: 'wa-1', name: 'First' },
        ],
        10,
      );
      await s().providerChannels.replace('other', [{ id: 'tg', name: 'Other' }], 10);
      await s().installations.save(installation());
      await s().installations.save(installation({ amocrmAccountId: 202, amojoId: 'amojo-202' }));
      const created = source({ channelId: 'wa-2', externalId: 'amc_2', state: 'created', amocrmSourceId: 9, pipelineId: 3 });
      const pending = source({ channelId: 'wa-1', externalId: 'amc_1', lastError: 'rate limited' });
      await s().amocrmSources.save(created);
      await s().amocrmSources.save(pending);
      await s().amocrmSources.save(source({ amocrmAccountId: 202, channelId: 'wa-1', externalId: 'amc_x' }));
      await s().amocrmSources.save(source({ login: 'other', channelId: 'tg', externalId: 'amc_o' }));

      const ctx = await s().readIntakeContext(query());
      expect(ctx.connection).toEqual(conn());
      expect(ctx.channels).toEqual(await s().providerChannels.list('shop'));
      expect(ctx.channels.map((c) => c.channelId)).toEqual(['wa-2', 'wa-1']);
      expect(ctx.installation).toEqual(installation());
      expect(ctx.sources).toEqual([pending, created]);
      expect({ ...ctx, connection: null, channels: [], installation: null, sources: [] }).toEqual(empty);
    });

    it('has no channels, installation or sources when the login has none', async () => {
      await s().connections.save(conn());
      // Sources of the login under an account that is not this binding's installation.
      await s().installations.save(installation({ amocrmAccountId: 202, amojoId: 'amojo-202' }));
      await s().amocrmSources.save(source({ amocrmAccountId: 202 }));
      expect(await s().readIntakeContext(query())).toEqual({ ...empty, connection: conn() });
    });

    it('finds the conversation by conversation_id, the write-first chat by ref in the binding scope, and the oldest pending chat by phone', async () => {
      await s().connections.save(conn());
      const existing = conversation({ id: 'c1', conversationId: 'conv-1', amojoChatId: 'chat-1', channelId: 'wa-1', phone: '7900' });
      const byRef = conversation({ id: 'w1', conversationId: null, state: 'pending', amojoChatId: 'chat-w', createdAt: 5 });
      const oldest = conversation({ id: 'p1', conversationId: null, state: 'pending', phone: '7900', createdAt: 2 });
      await s().conversations.save(existing);
      await s().conversations.save(byRef);
      await s().conversations.save(conversation({ id: 'w0', scopeId: 'scope-9', conversationId: null, state: 'pending', amojoChatId: 'chat-w', createdAt: 1 }));
      await s().conversations.save(conversation({ id: 'p2', conversationId: null, state: 'pending', phone: '7900', createdAt: 3 }));
      await s().conversations.save(oldest);

      const ctx = await s().readIntakeContext(query({ conversationRefId: 'chat-w', phone: '7900' }));
      expect(ctx.conversation).toEqual(existing);
      expect(ctx.conversationByRef).toEqual(byRef);
      expect(ctx.pendingByPhone).toEqual(oldest);

      const none = await s().readIntakeContext(query({ conversationId: 'conv-x', conversationRefId: 'chat-x', phone: '7911' }));
      expect([none.conversation, none.conversationByRef, none.pendingByPhone]).toEqual([null, null, null]);
      // Not asked (or asked with nothing): not looked up.
      for (const q of [query(), query({ conversationRefId: '', phone: '' }), query({ phone: null })]) {
        const ctx2 = await s().readIntakeContext(q);
        expect([ctx2.conversation?.id, ctx2.conversationByRef, ctx2.pendingByPhone]).toEqual(['c1', null, null]);
      }
    });

    it('finds the quoted message by the login msgid, else by amojo id whoever sent it, and nothing unasked', async () => {
      await s().connections.save(conn());
      const mine = message({ id: 'm1', msgid: 'k1', amojoMsgId: 'am-1', payload: { text: 'hi', nested: { n: 1 } } });
      const theirs = message({ id: 'm2', login: 'other', msgid: 'k2', amojoMsgId: 'am-2', createdAt: 2 });
      await s().acceptInboundMessage({ message: mine, outbox: [], now: 1 });
      await s().acceptInboundMessage({ message: theirs, outbox: [], now: 2 });

      const quoted = async (over: Partial<IntakeContextQuery>) => (await s().readIntakeContext(query(over))).quoted;
      expect(await quoted({ replyToMsgid: 'k1' })).toEqual(mine);
      expect(await quoted({ replyToMsgid: 'k2' })).toBeNull();
      expect(await quoted({ replyToAmojoMsgId: 'am-2' })).toEqual(theirs);
      expect(await quoted({ replyToAmojoMsgId: 'am-9' })).toBeNull();
      // The msgid wins, even when it finds nothing; an empty one counts as none.
      expect(await quoted({ replyToMsgid: 'k9', replyToAmojoMsgId: 'am-1' })).toBeNull();
      expect(await quoted({ replyToMsgid: '', replyToAmojoMsgId: 'am-1' })).toEqual(mine);
      expect(await quoted({})).toBeNull();
    });

    it('tells whether the customer ref given is the sender of an outbound message in the binding scope, and nothing unasked', async () => {
      await s().connections.save(conn());
      const hook = (id: string, scopeId: string, senderRefId: string) =>
        s().acceptWebhook({
          receipt: { key: `msg:${id}`, scopeId, kind: 'message', raw: '{}', receivedAt: 1 },
          message: message({ id, direction: 'outbound', scopeId, msgid: null, amojoMsgId: `am-${id}`, senderRefId }),
          outbox: [],
          now: 1,
        });
      await hook('o1', 'scope-1', 'manager-1');
      await hook('o2', 'scope-9', 'manager-9');
      // An inbound message names no sender ref, whatever its payload says.
      await s().acceptInboundMessage({ message: message({ id: 'i1', msgid: 'k1', payload: { sender: { ref_id: 'customer-1' } } }), outbox: [], now: 1 });

      expect(await s().messages.hasSenderRef('scope-1', 'manager-1')).toBe(true);
      expect(await s().messages.hasSenderRef('scope-9', 'manager-1')).toBe(false);
      expect((await s().messages.get('o1'))!.senderRefId).toBe('manager-1');
      const isSender = async (customerRefId: string | undefined) => (await s().readIntakeContext(query({ customerRefId }))).customerRefIsSender;
      expect(await isSender('manager-1')).toBe(true);
      // Another scope's manager, a customer, an empty or absent ref: not a sender here.
      for (const ref of ['manager-9', 'customer-1', '', undefined]) expect([ref, await isSender(ref)]).toEqual([ref, false]);
    });

    // Concurrent intakes may be answered by one statement (PostgreSQL batches them): each must still
    // get exactly what it would have got alone, an unconnected login's emptiness included.
    it('answers concurrent reads each as if alone', async () => {
      await s().connections.save(conn());
      await s().connections.save(conn({ amojoAccountId: 'amojo-other', login: 'other', scopeId: 'scope-o' }));
      await s().providerChannels.replace('other', [{ id: 'tg', name: 'Other' }], 10);
      await s().installations.save(installation());
      await s().conversations.save(conversation({ id: 'c1', conversationId: 'conv-1' }));
      await s().conversations.save(conversation({ id: 'o1', login: 'other', scopeId: 'scope-o', conversationId: 'conv-1' }));
      await s().conversations.save(conversation({ id: 'p1', conversationId: null, state: 'pending', phone: '7900', createdAt: 2 }));
      await s().acceptInboundMessage({ message: message({ id: 'm1', msgid: 'k1', amojoMsgId: 'am-1' }), outbox: [], now: 1 });
      await s().acceptWebhook({
        receipt: { key: 'msg:o1', scopeId: 'scope-1', kind: 'message', raw: '{}', receivedAt: 1 },
        message: message({ id: 'o1', direction: 'outbound', msgid: null, amojoMsgId: 'am-o1', senderRefId: 'manager-1' }),
        outbox: [],
        now: 1,
      });
      const queries = [
        query(),
        query({ login: 'other' }),
        query({ login: 'nobody' }),
        query({ conversationId: 'conv-x', phone: '7900' }),
        query({ replyToMsgid: 'k1' }),
        query({ login: 'other', replyToAmojoMsgId: 'am-1' }),
        query({ conversationRefId: 'chat-x', phone: '7911' }),
        query({ customerRefId: 'manager-1' }),
        query({ login: 'other', customerRefId: 'manager-1' }),
      ];
      const alone = [];
      for (const q of queries) alone.push(await s().readIntakeContext(q));
      const together = await Promise.all(queries.map((q) => s().readIntakeContext(q)));
      expect(together).toEqual(alone);
      const summary = (c: (typeof together)[number]) => [
        c.connection?.login ?? null,
        c.conversation?.id ?? null,
        c.pendingByPhone?.id ?? null,
        c.quoted?.id ?? null,
        c.customerRefIsSender,
      ];
      expect(together.map(summary)).toEqual([
        ['shop', 'c1', null, null, false],
        ['other', 'o1', null, null, false],
        [null, null, null, null, false],
        ['shop', null, 'p1', null, false],
        ['shop', 'c1', null, 'm1', false],
        ['other', 'o1', null, 'm1', false],
        ['shop', 'c1', null, null, false],
        ['shop', 'c1', null, null, true],
        ['other', 'o1', null, null, false],
      ]);
    });
  });
}
