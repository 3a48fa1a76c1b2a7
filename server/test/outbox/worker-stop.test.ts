import { createSilentLogger } from '../../src/lib/logger';
import { delivered } from '../../src/outbox/types';
import { createOutboxWorker } from '../../src/outbox/worker';
import { createMemoryStore } from '../../src/storage/memory/store';
import type { OutboxRepo } from '../../src/storage/types';
import { entry } from '../support/fixtures';
import { sleep, waitFor } from '../support/wait';

/**
 * stop() against a store whose claim is slow (any async store: SQLite's group commit, a future
 * PostgreSQL): what a claim returns after stop() was called must go back to the store, not start.
 */
describe('outbox worker stop() while a claim is on its way', () => {
  it('waits for the claim, hands its entries back and starts none of them', async () => {
    const store = createMemoryStore();
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    let claimed = 0;
    // The leases are taken at once; the answer is held until the gate opens.
    const outbox: OutboxRepo = {
      ...store.outbox,
      claim: async (options) => {
        const batch = await store.outbox.claim(options);
        claimed += batch.length;
        await gate;
        return batch;
      },
    };
    const deliveries: string[] = [];
    const worker = createOutboxWorker({
      outbox,
      clock: { now: () => Date.now() },
      logger: createSilentLogger(),
      concurrency: 2,
      pollMs: 10,
      maxAttempts: 3,
      handler: { deliver: async (e) => (deliveries.push(e.id), delivered()) },
    });
    await store.outbox.enqueue([entry('w1', { orderingKey: 'k1' }), entry('w2', { orderingKey: 'k2' })], Date.now());
    worker.start();
    await waitFor(() => claimed === 2, 'the claim holding both entries');

    // stop() must not return while the claim is out: its entries would be left leased.
    const stopping = worker.stop();
    expect(await Promise.race([stopping.then(() => 'stopped'), sleep(20).then(() => 'still waiting')])).toBe('still waiting');
    openGate();
    await stopping;

    expect(deliveries).toEqual([]);
    const rows = await Promise.all(['w1', 'w2'].map(async (id) => (await store.outbox.get(id))!));
    expect(rows.map((r) => [r.id, r.state, r.leaseUntil])).toEqual([
      ['w1', 'pending', null],
      ['w2', 'pending', null],
    ]);
    await sleep(30);
    expect(deliveries).toEqual([]);
    expect(worker.stats()).toMatchObject({ inFlight: 0, queued: 0 });
  });
});
