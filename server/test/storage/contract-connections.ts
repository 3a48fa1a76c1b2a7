import type { Connection, Store } from '../../src/storage/types';
import { connection, entry } from '../support/fixtures';

/** Connections part of the Store contract (see storage-contract.ts), with the saveConnection unit of work. */
export function describeConnectionsContract(s: () => Store): void {
  describe('connections', () => {
    const conn = (over: Partial<Connection> = {}): Connection =>
      connection({ scopeId: 'chan_amojo-1', title: 'Shop', amocrmAccountId: 42, connectedAt: 10, updatedAt: 10, ...over });

    it('saves (insert or replace) and finds by amojo account and by scope', async () => {
      await s().connections.save(conn());
      await s().connections.save(conn({ pipelineId: 7, updatedAt: 11 }));
      expect(await s().connections.getByAmojoAccount('amojo-1')).toEqual(conn({ pipelineId: 7, updatedAt: 11 }));
      expect((await s().connections.getByScope('chan_amojo-1'))?.amojoAccountId).toBe('amojo-1');
      expect(await s().connections.getByScope('nope')).toBeNull();
      expect(await s().connections.list()).toHaveLength(1);
    });

    it('getConnectedByLogin ignores disconnected bindings', async () => {
      await s().connections.save(conn({ status: 'disconnected', disconnectedAt: 20 }));
      expect(await s().connections.getConnectedByLogin('shop')).toBeNull();
      await s().connections.save(conn({ amojoAccountId: 'amojo-2', scopeId: 'chan_amojo-2', connectedAt: 30 }));
      expect((await s().connections.getConnectedByLogin('shop'))?.amojoAccountId).toBe('amojo-2');
      expect(await s().connections.getConnectedByLogin('other')).toBeNull();
    });

    describe('saveConnection (unit of work)', () => {
      const event = (id: string) => entry(id, { destination: 'provider', kind: 'event', orderingKey: 'acct:shop' });

      it('commits every binding and every outbox entry together', async () => {
        await s().connections.save(conn({ amojoAccountId: 'amojo-0', scopeId: 'chan_amojo-0' }));
        const released = conn({ amojoAccountId: 'amojo-0', scopeId: 'chan_amojo-0', status: 'disconnected', disconnectedAt: 20, updatedAt: 20 });
        const bound = conn({ connectedAt: 20, updatedAt: 20 });
        await s().saveConnection({ connections: [released, bound], outbox: [event('e1'), event('e2')], now: 20 });
        expect(await s().connections.getByAmojoAccount('amojo-0')).toEqual(released);
        expect(await s().connections.getByAmojoAccount('amojo-1')).toEqual(bound);
        expect(await s().outbox.get('e1')).toMatchObject({ state: 'pending', orderingKey: 'acct:shop', createdAt: 20, nextAttemptAt: 20 });
        expect((await s().outbox.get('e2'))!.seq).toBeGreaterThan((await s().outbox.get('e1'))!.seq);
      });

      it('writes nothing when an outbox entry conflicts (atomic)', async () => {
        await s().outbox.enqueue([event('taken')], 1);
        await expect(s().saveConnection({ connections: [conn()], outbox: [event('e1'), event('taken')], now: 5 })).rejects.toMatchObject({ code: 'conflict' });
        expect(await s().connections.getByAmojoAccount('amojo-1')).toBeNull();
        expect(await s().outbox.get('e1')).toBeNull();
        expect(await s().outbox.countUndelivered()).toBe(1);
      });

      it('accepts a binding with no event (an unchanged re-connect)', async () => {
        await s().saveConnection({ connections: [conn({ title: 'New' })], outbox: [], now: 5 });
        expect(await s().connections.getByAmojoAccount('amojo-1')).toMatchObject({ title: 'New' });
        expect(await s().outbox.countUndelivered()).toBe(0);
      });
    });
  });
}
