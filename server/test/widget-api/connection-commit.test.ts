import { createId, type IdGenerator } from '../../src/lib/ids';
import { createConnectionService } from '../../src/services/connection-service';
import { createHarness, newAmojoId, providerEvents, type WidgetHarness } from '../support/widget-harness';
import { makeStore, type StoreKind } from '../support/app-factory';

/**
 * A binding and the account event that announces it are one unit of work: when the event cannot be
 * stored (here: its outbox id is taken, standing in for a crash between two writes), the binding is
 * not stored either, so the provider can never miss an account.connected/disconnected.
 */
describe.each<StoreKind>(['memory', 'sqlite'])('connect/disconnect commit atomically (%s store)', (kind) => {
  let h: WidgetHarness;
  beforeEach(async () => {
    h = await createHarness({ store: makeStore(kind) });
    await h.store.outbox.enqueue(
      [{ id: 'obx_taken', destination: 'provider', kind: 'event', orderingKey: 'acct:x', payload: {}, messageId: null }],
      Date.now(),
    );
  });
  afterEach(() => h.close());

  /** The service as the app wires it, but with outbox ids that collide from now on. */
  const service = (ids: IdGenerator) => createConnectionService({ ...h.deps, ids });
  const colliding: IdGenerator = (prefix) => (prefix === 'obx' ? 'obx_taken' : createId(prefix));

  it('connect: no binding without its account.connected', async () => {
    const amojoAccountId = newAmojoId();
    await expect(service(colliding).connect({ login: 'alice', password: 'alice-pass', amojoAccountId, amocrmAccountId: null })).rejects.toMatchObject({
      code: 'conflict',
    });
    expect(await h.store.connections.getByAmojoAccount(amojoAccountId)).toBeNull();
    expect(await providerEvents(h.store)).toEqual([expect.objectContaining({ orderingKey: 'acct:x' })]);
  });

  it('disconnect: still connected here when account.disconnected cannot be stored', async () => {
    const amojoAccountId = newAmojoId();
    await service(createId).connect({ login: 'alice', password: 'alice-pass', amojoAccountId, amocrmAccountId: null });
    await expect(service(colliding).disconnect({ login: 'alice', password: 'alice-pass', amojoAccountId, amocrmAccountId: null })).rejects.toMatchObject({
      code: 'conflict',
    });
    expect(await h.store.connections.getByAmojoAccount(amojoAccountId)).toMatchObject({ status: 'connected' });
    // A retry completes it, binding and event together.
    await expect(service(createId).disconnect({ login: 'alice', password: 'alice-pass', amojoAccountId, amocrmAccountId: null })).resolves.toEqual({
      status: 'disconnected',
    });
    expect((await providerEvents(h.store)).map((e) => e.type)).toEqual([undefined, 'account.connected', 'account.disconnected']);
  });
});
