import type { NewOutboxEntry, Store } from '../../src/storage/types';

const A = 'conv:shop:A';
const B = 'conv:shop:B';
const item = (id: string, orderingKey: string, over: Partial<NewOutboxEntry> = {}): NewOutboxEntry => ({
  id,
  destination: 'amojo',
  kind: 'new_message',
  orderingKey,
  payload: { id },
  messageId: null,
  ...over,
});

/** Outbox part of the Store contract (see storage-contract.ts). */
export function describeOutboxContract(s: () => Store): void {
  describe('outbox', () => {
    const claimIds = async (now: number, limit = 10, leaseMs = 1000, destinations?: Array<'amojo' | 'provider' | 'amocrm'>) =>
      (await s().outbox.claim({ now, limit, leaseMs, destinations })).map((e) => e.id);

    it('enqueues with defaults, monotonic seq and the payload round-tripped', async () => {
      await s().outbox.enqueue([item('a1', A, { payload: { text: 'x', n: [1, 2] }, messageId: 'm1' }), item('a2', A)], 100);
      const [a1, a2] = [await s().outbox.get('a1'), await s().outbox.get('a2')];
      expect(a1).toMatchObject({
        id: 'a1',
        destination: 'amojo',
        kind: 'new_message',
        orderingKey: A,
        payload: { text: 'x', n: [1, 2] },
        messageId: 'm1',
        state: 'pending',
        attempts: 0,
        nextAttemptAt: 100,
        leaseUntil: null,
        lastError: null,
        createdAt: 100,
        updatedAt: 100,
      });
      expect(a2!.seq).toBeGreaterThan(a1!.seq);
      await expect(s().outbox.enqueue([item('a1', B)], 101)).rejects.toMatchObject({ code: 'conflict' });
    });

    it('claims only the head of each key, in order, and increments attempts', async () => {
      await s().outbox.enqueue([item('a1', A), item('a2', A), item('b1', B)], 0);
      const claimed = await s().outbox.claim({ now: 10, limit: 10, leaseMs: 500 });
      expect(claimed.map((e) => e.id)).toEqual(['a1', 'b1']);
      expect(claimed[0]).toMatchObject({ state: 'leased', attempts: 1, leaseUntil: 510, updatedAt: 10 });
      expect(await claimIds(20)).toEqual([]);
      await s().outbox.complete('a1', 30);
      expect(await claimIds(30)).toEqual(['a2']);
      expect((await s().outbox.get('a1'))?.state).toBe('done');
    });

    it('respects limit and claims the longest-due first', async () => {
      await s().outbox.enqueue([item('late', A, { nextAttemptAt: 50 }), item('early', B, { nextAttemptAt: 5 })], 0);
      await s().outbox.enqueue([item('c1', 'conv:shop:C')], 20);
      expect(await claimIds(100, 2)).toEqual(['early', 'c1']);
      expect(await claimIds(100, 2)).toEqual(['late']);
      expect(await claimIds(100, 0)).toEqual([]);
    });

    it('does not claim an entry before its nextAttemptAt', async () => {
      await s().outbox.enqueue([item('a1', A, { nextAttemptAt: 100 })], 0);
      expect(await claimIds(99)).toEqual([]);
      expect(await claimIds(100)).toEqual(['a1']);
    });

    it('a rescheduled entry blocks later ones of its key, but not other keys', async () => {
      await s().outbox.enqueue([item('a1', A), item('a2', A)], 0);
      expect(await claimIds(0)).toEqual(['a1']);
      await s().outbox.reschedule('a1', 1000, 'amojo 503', 5);
      expect(await s().outbox.get('a1')).toMatchObject({ state: 'pending', nextAttemptAt: 1000, lastError: 'amojo 503', leaseUntil: null });
      await s().outbox.enqueue([item('b1', B)], 6);
      expect(await claimIds(10)).toEqual(['b1']);
      expect(await claimIds(999)).toEqual([]);
      const again = await s().outbox.claim({ now: 1000, limit: 10, leaseMs: 100 });
      expect(again.map((e) => [e.id, e.attempts])).toEqual([['a1', 2]]);
    });

    it('dead entries do not block their key', async () => {
      await s().outbox.enqueue([item('a1', A), item('a2', A)], 0);
      await claimIds(0);
      await s().outbox.kill('a1', 'rejected: 400', 5);
      expect(await s().outbox.get('a1')).toMatchObject({ state: 'dead', lastError: 'rejected: 400', leaseUntil: null });
      expect(await claimIds(6)).toEqual(['a2']);
    });

    it('reclaims an expired lease (a crashed worker) but never a fresh one', async () => {
      await s().outbox.enqueue([item('a1', A), item('a2', A)], 0);
      expect(await claimIds(0, 10, 100)).toEqual(['a1']);
      expect(await claimIds(50)).toEqual([]);
      expect(await claimIds(100)).toEqual([]); // lease_until = 100 is not yet < now
      const reclaimed = await s().outbox.claim({ now: 101, limit: 10, leaseMs: 100 });
      expect(reclaimed.map((e) => [e.id, e.attempts, e.leaseUntil])).toEqual([['a1', 2, 201]]);
    });

    it('filters by destination without letting a blocked entry through', async () => {
      await s().outbox.enqueue([item('p1', A, { destination: 'provider' }), item('a2', A), item('b1', B)], 0);
      expect(await claimIds(0, 10, 1000, ['amojo'])).toEqual(['b1']);
      expect(await claimIds(0, 10, 1000, [])).toEqual([]);
      expect(await claimIds(0, 10, 1000, ['provider'])).toEqual(['p1']);
    });

    it('carries amoCRM REST work as its own destination, claimable alone or with another', async () => {
      await s().outbox.enqueue(
        [item('s1', 'amocrm:7', { destination: 'amocrm', kind: 'amocrm_sources' }), item('p1', A, { destination: 'provider' }), item('a1', B)],
        0,
      );
      expect(await claimIds(0, 10, 1000, ['amocrm', 'provider'])).toEqual(['s1', 'p1']);
      expect(await claimIds(0, 10, 1000)).toEqual(['a1']);
      expect((await s().outbox.countByState()).find((r) => r.destination === 'amocrm')).toEqual({ destination: 'amocrm', state: 'leased', count: 1 });
    });

    it('complete applies its effects atomically and only once', async () => {
      await s().acceptInboundMessage({ message: msg('m1'), outbox: [item('a1', A, { messageId: 'm1' })], now: 0 });
      await claimIds(0);
      const effects = {
        message: { id: 'm1', patch: { status: 'sent' as const, amojoMsgId: 'am-1' } },
        enqueue: [item('f1', B, { kind: 'follow_up' })],
      };
      await s().outbox.complete('a1', 10, effects);
      expect(await s().messages.get('m1')).toMatchObject({ status: 'sent', amojoMsgId: 'am-1', updatedAt: 10 });
      expect(await s().outbox.get('f1')).toMatchObject({ state: 'pending', kind: 'follow_up', createdAt: 10 });
      // A second completion (a worker whose lease was taken over) changes nothing.
      await s().outbox.complete('a1', 20, { message: { id: 'm1', patch: { status: 'failed' } }, enqueue: [item('f2', B)] });
      expect((await s().messages.get('m1'))?.status).toBe('sent');
      expect(await s().outbox.get('f2')).toBeNull();
    });

    it('a failing effect rolls the whole completion back', async () => {
      await s().acceptInboundMessage({ message: msg('m1'), outbox: [item('a1', A), item('taken', B)], now: 0 });
      await claimIds(0);
      await expect(
        s().outbox.complete('a1', 10, { message: { id: 'm1', patch: { status: 'sent' } }, enqueue: [item('new', B), item('taken', B)] }),
      ).rejects.toMatchObject({ code: 'conflict' });
      expect((await s().outbox.get('a1'))?.state).toBe('leased');
      expect((await s().messages.get('m1'))?.status).toBe('queued');
      expect(await s().outbox.get('new')).toBeNull();
    });

    it('kill applies its effects (e.g. a delivery_status -1) with the state change', async () => {
      await s().acceptInboundMessage({ message: msg('m1'), outbox: [item('a1', A)], now: 0 });
      await s().outbox.kill('a1', 'attempts exhausted', 10, {
        message: { id: 'm1', patch: { status: 'dead', lastError: 'attempts exhausted' } },
        enqueue: [item('status', B, { kind: 'delivery_status' })],
      });
      expect(await s().outbox.get('a1')).toMatchObject({ state: 'dead', lastError: 'attempts exhausted' });
      expect(await s().messages.get('m1')).toMatchObject({ status: 'dead', lastError: 'attempts exhausted' });
      expect((await s().outbox.get('status'))?.state).toBe('pending');
    });

    it('unknown ids: complete/kill/reschedule reject with not_found, retry says false', async () => {
      await expect(s().outbox.complete('nope', 1)).rejects.toMatchObject({ code: 'not_found' });
      await expect(s().outbox.kill('nope', 'x', 1)).rejects.toMatchObject({ code: 'not_found' });
      await expect(s().outbox.reschedule('nope', 2, 'x', 1)).rejects.toMatchObject({ code: 'not_found' });
      expect(await s().outbox.retry('nope', 1)).toBe(false);
      expect(await s().outbox.get('nope')).toBeNull();
    });

    it('retry and retryAllDead bring dead entries back with attempts reset', async () => {
      await s().outbox.enqueue([item('a1', A), item('b1', B), item('c1', 'conv:shop:C')], 0);
      await claimIds(0);
      await s().outbox.kill('a1', 'boom', 1);
      await s().outbox.kill('b1', 'boom', 1);
      expect(await s().outbox.retry('c1', 2)).toBe(false); // leased, not dead
      expect(await s().outbox.retry('a1', 2)).toBe(true);
      expect(await s().outbox.get('a1')).toMatchObject({ state: 'pending', attempts: 0, nextAttemptAt: 2, leaseUntil: null });
      expect(await s().outbox.retry('a1', 2)).toBe(false);
      expect(await s().outbox.retryAllDead(3)).toBe(1);
      expect(await s().outbox.retryAllDead(3)).toBe(0);
      expect(await claimIds(3)).toEqual(['a1', 'b1']);
    });

    it('a retried dead entry holds back later unfinished entries of its key again', async () => {
      await s().outbox.enqueue([item('a1', A)], 0);
      await s().outbox.kill('a1', 'boom', 1);
      await s().outbox.enqueue([item('a2', A)], 2);
      await s().outbox.retry('a1', 3);
      expect(await claimIds(3)).toEqual(['a1']);
    });

    it('lists, counts by state and counts undelivered', async () => {
      await s().outbox.enqueue([item('a1', A), item('a2', A), item('b1', B, { destination: 'provider' }), item('c1', 'conv:shop:C')], 0);
      await claimIds(0, 10, 1000, ['amojo']);
      await s().outbox.complete('a1', 1);
      await s().outbox.kill('c1', 'boom', 1);
      expect(await s().outbox.countUndelivered()).toBe(2);
      expect(await s().outbox.countByState()).toEqual([
        { destination: 'amojo', state: 'dead', count: 1 },
        { destination: 'amojo', state: 'done', count: 1 },
        { destination: 'amojo', state: 'pending', count: 1 },
        { destination: 'provider', state: 'pending', count: 1 },
      ]);
      expect((await s().outbox.list({})).map((e) => e.id)).toEqual(['a1', 'a2', 'b1', 'c1']);
      expect((await s().outbox.list({ limit: 2 })).map((e) => e.id)).toEqual(['a1', 'a2']);
      expect((await s().outbox.list({ state: 'dead' })).map((e) => e.id)).toEqual(['c1']);
      expect(await s().outbox.list({ state: 'leased' })).toEqual([]);
    });

    it('purgeDone deletes old done entries only, and seq never goes backwards', async () => {
      await s().outbox.enqueue([item('a1', A), item('b1', B), item('c1', 'conv:shop:C'), item('d1', 'conv:shop:D')], 0);
      const lastSeq = (await s().outbox.get('d1'))!.seq;
      await s().outbox.complete('a1', 10);
      await s().outbox.complete('b1', 100);
      await s().outbox.kill('c1', 'boom', 10);
      await s().outbox.complete('d1', 10);
      expect(await s().outbox.purgeDone(50)).toBe(2);
      expect(await s().outbox.get('a1')).toBeNull();
      expect(await s().outbox.get('d1')).toBeNull();
      expect(await s().outbox.get('b1')).not.toBeNull();
      expect(await s().outbox.get('c1')).not.toBeNull();
      expect(await s().outbox.countByState()).toEqual([
        { destination: 'amojo', state: 'dead', count: 1 },
        { destination: 'amojo', state: 'done', count: 1 },
      ]);
      expect(await s().outbox.purgeDone(50)).toBe(0);
      await s().outbox.enqueue([item('e1', 'conv:shop:E')], 200);
      expect((await s().outbox.get('e1'))!.seq).toBeGreaterThan(lastSeq);
    });
  });
}

const msg = (id: string) => ({
  id,
  direction: 'inbound' as const,
  login: 'shop',
  scopeId: 'scope-1',
  conversationId: 'A',
  amojoChatId: null,
  msgid: id,
  amojoMsgId: null,
  senderRefId: null,
  status: 'queued' as const,
  lastError: null,
  payload: {},
  createdAt: 0,
  updatedAt: 0,
});
