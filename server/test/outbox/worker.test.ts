import { retryDelayMs, RETRY_AFTER_CAP_MS } from '../../src/outbox/backoff';
import { createDestinationRouter, delivered, permanent, retryable, type DeliveryHandler, type DeliveryResult } from '../../src/outbox/types';
import { createOutboxWorker, type OutboxWorker } from '../../src/outbox/worker';
import { createSilentLogger } from '../../src/lib/logger';
import { createWakeSignal } from '../../src/lib/wake-signal';
import { createMemoryStore } from '../../src/storage/memory/store';
import type { NewOutboxEntry, OutboxEntry, Store } from '../../src/storage/types';
import { sleep, waitFor } from '../support/wait';

const clock = { now: () => Date.now() };

function entry(id: string, orderingKey: string, extra: Partial<NewOutboxEntry> = {}): NewOutboxEntry {
  return { id, destination: 'provider', kind: 'event', orderingKey, payload: { n: id }, messageId: null, ...extra };
}

interface Harness {
  store: Store;
  worker: OutboxWorker;
  calls: string[];
}

function makeWorker(
  store: Store,
  handler: DeliveryHandler,
  opts: { concurrency?: number; maxAttempts?: number; pollMs?: number; signal?: ReturnType<typeof createWakeSignal> } = {},
): OutboxWorker {
  return createOutboxWorker({
    outbox: store.outbox,
    handler,
    clock,
    logger: createSilentLogger(),
    concurrency: opts.concurrency ?? 4,
    pollMs: opts.pollMs ?? 10,
    maxAttempts: opts.maxAttempts ?? 5,
    backoff: { baseDelayMs: 2, maxDelayMs: 10, jitter: 0 },
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
}

function scripted(script: (e: OutboxEntry) => DeliveryResult | Promise<DeliveryResult>): Harness & { handler: DeliveryHandler } {
  const store = createMemoryStore();
  const calls: string[] = [];
  const handler: DeliveryHandler = {
    async deliver(e) {
      calls.push(e.id);
      return script(e);
    },
  };
  return { store, calls, handler, worker: makeWorker(store, handler) };
}

describe('retryDelayMs', () => {
  const policy = { baseDelayMs: 100, maxDelayMs: 1000, jitter: 0 };
  it('doubles per attempt up to the cap', () => {
    expect([1, 2, 3, 4, 5, 10].map((a) => retryDelayMs(policy, a))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
  it('applies jitter downwards only', () => {
    expect(retryDelayMs({ ...policy, jitter: 0.5, random: () => 1 }, 1)).toBe(50);
    expect(retryDelayMs({ ...policy, jitter: 0.5, random: () => 0 }, 1)).toBe(100);
  });
  it('honours Retry-After, capped', () => {
    expect(retryDelayMs(policy, 1, 7000)).toBe(7000);
    expect(retryDelayMs(policy, 1, 10 * RETRY_AFTER_CAP_MS)).toBe(RETRY_AFTER_CAP_MS);
  });
});

describe('outbox worker', () => {
  let running: OutboxWorker | null = null;
  afterEach(async () => {
    await running?.stop();
    running = null;
  });

  it('delivers everything and records done with the effects', async () => {
    const h = scripted(() => delivered());
    await h.store.outbox.enqueue([entry('a', 'k1'), entry('b', 'k2'), entry('c', 'k1')], Date.now());
    expect(await h.worker.processDue()).toBe(3);
    expect(h.calls.sort()).toEqual(['a', 'b', 'c']);
    const states = await Promise.all(['a', 'b', 'c'].map(async (id) => (await h.store.outbox.get(id))?.state));
    expect(states).toEqual(['done', 'done', 'done']);
  });

  it('keeps the order of one key under retries, and does not block other keys', async () => {
    let failuresLeft = 3;
    const h = scripted((e) => {
      if (e.id === 'k1-1' && failuresLeft-- > 0) return retryable('503 from provider');
      return delivered();
    });
    running = h.worker;
    await h.store.outbox.enqueue([entry('k1-1', 'k1'), entry('k1-2', 'k1'), entry('k2-1', 'k2'), entry('k1-3', 'k1'), entry('k2-2', 'k2')], Date.now());
    h.worker.start();
    await waitFor(async () => (await h.store.outbox.countUndelivered()) === 0, 'queue drained');
    const k1 = h.calls.filter((id) => id.startsWith('k1'));
    expect(k1).toEqual(['k1-1', 'k1-1', 'k1-1', 'k1-1', 'k1-2', 'k1-3']);
    // k2 was not held back by k1's failures.
    expect(h.calls.indexOf('k2-2')).toBeLessThan(h.calls.lastIndexOf('k1-1'));
    expect((await h.store.outbox.get('k1-1'))?.attempts).toBe(4);
  });

  it('kills after maxAttempts and commits the dead-letter effects', async () => {
    const store = createMemoryStore();
    const handler: DeliveryHandler = {
      deliver: async () => retryable('connection refused'),
      onDead: async (e, failure) => ({
        enqueue: [entry(`report-${e.id}`, `r:${e.id}`, { destination: 'amojo', kind: 'delivery_status', payload: { why: failure.error } })],
      }),
    };
    const router = createDestinationRouter({ provider: handler, amojo: { deliver: async () => delivered() } });
    const worker = makeWorker(store, router, { maxAttempts: 3 });
    running = worker;
    await store.outbox.enqueue([entry('x', 'kx')], Date.now());
    worker.start();
    await waitFor(async () => (await store.outbox.get('report-x'))?.state === 'done', 'report delivered');
    const dead = await store.outbox.get('x');
    expect(dead).toMatchObject({ state: 'dead', attempts: 3, lastError: 'connection refused' });
    expect(worker.stats()).toMatchObject({ dead: 1, retried: 2 });
  });

  it('kills a permanent failure at once', async () => {
    const h = scripted(() => permanent('400 bad request'));
    await h.store.outbox.enqueue([entry('p', 'kp'), entry('q', 'kp')], Date.now());
    await h.worker.processDue();
    expect(await h.store.outbox.get('p')).toMatchObject({ state: 'dead', attempts: 1 });
    // A dead entry no longer holds its key.
    expect(await h.store.outbox.get('q')).toMatchObject({ state: 'dead' });
    expect(h.calls).toEqual(['p', 'q']);
  });

  it('treats a throwing delivery as retryable', async () => {
    let first = true;
    const h = scripted(() => {
      if (first) {
        first = false;
        throw new Error('boom');
      }
      return delivered();
    });
    running = h.worker;
    await h.store.outbox.enqueue([entry('t', 'kt')], Date.now());
    h.worker.start();
    await waitFor(async () => (await h.store.outbox.get('t'))?.state === 'done', 'delivered after throw');
    expect(h.calls).toEqual(['t', 't']);
  });

  it('honours Retry-After from the remote', async () => {
    const times: number[] = [];
    const h = scripted(() => {
      times.push(Date.now());
      return times.length === 1 ? retryable('429', { retryAfterMs: 150 }) : delivered();
    });
    running = h.worker;
    await h.store.outbox.enqueue([entry('r', 'kr')], Date.now());
    h.worker.start();
    await waitFor(async () => (await h.store.outbox.get('r'))?.state === 'done', 'delivered', 3000);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(140);
  });

  it('never runs more than `concurrency` deliveries at once', async () => {
    const store = createMemoryStore();
    let inFlight = 0;
    let peak = 0;
    const handler: DeliveryHandler = {
      async deliver() {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await sleep(5);
        inFlight--;
        return delivered();
      },
    };
    const worker = makeWorker(store, handler, { concurrency: 3 });
    running = worker;
    await store.outbox.enqueue(
      Array.from({ length: 30 }, (_, i) => entry(`c${i}`, `key${i}`)),
      Date.now(),
    );
    worker.start();
    await waitFor(async () => (await store.outbox.countUndelivered()) === 0, 'drained');
    expect(peak).toBe(3);
  });

  it('wakes on the signal instead of waiting for the poll', async () => {
    const store = createMemoryStore();
    const signal = createWakeSignal();
    const seen: number[] = [];
    const worker = makeWorker(store, { deliver: async () => (seen.push(Date.now()), delivered()) }, { pollMs: 60_000, signal });
    running = worker;
    worker.start();
    await sleep(20);
    const enqueuedAt = Date.now();
    await store.outbox.enqueue([entry('w', 'kw')], enqueuedAt);
    signal.wake();
    await waitFor(() => seen.length === 1, 'woken delivery', 1000);
    expect(seen[0]! - enqueuedAt).toBeLessThan(500);
  });

  it('claims ahead in batches, and stop() hands back what it never started', async () => {
    const store = createMemoryStore();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const claims: number[] = [];
    const outbox = {
      ...store.outbox,
      claim: async (o: Parameters<Store['outbox']['claim']>[0]) => {
        const b = await store.outbox.claim(o);
        claims.push(b.length);
        return b;
      },
    };
    const worker = createOutboxWorker({
      outbox,
      clock,
      logger: createSilentLogger(),
      concurrency: 1,
      pollMs: 10,
      maxAttempts: 3,
      handler: { deliver: async () => (await gate, delivered()) },
    });
    await store.outbox.enqueue([entry('b1', 'kb1'), entry('b2', 'kb2'), entry('b3', 'kb3')], Date.now());
    worker.start();
    await waitFor(() => worker.stats().inFlight === 1 && worker.stats().queued === 1, 'one running, one claimed ahead');
    expect(claims[0]).toBe(2);
    const stopping = worker.stop();
    release();
    await stopping;
    const states = await Promise.all(['b1', 'b2', 'b3'].map(async (id) => (await store.outbox.get(id))!.state));
    expect(states).toEqual(['done', 'pending', 'pending']);
  });

  it('stop() waits for in-flight deliveries and claims nothing afterwards', async () => {
    const store = createMemoryStore();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const calls: string[] = [];
    const worker = makeWorker(store, {
      async deliver(e) {
        calls.push(e.id);
        await gate;
        return delivered();
      },
    });
    await store.outbox.enqueue([entry('s1', 'ks1')], Date.now());
    worker.start();
    await waitFor(() => calls.length === 1, 'in flight');
    let stopped = false;
    const stopping = worker.stop().then(() => (stopped = true));
    await sleep(20);
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect((await store.outbox.get('s1'))?.state).toBe('done');
    await store.outbox.enqueue([entry('s2', 'ks2')], Date.now());
    await sleep(40);
    expect(calls).toEqual(['s1']);
  });
});
