import { createTestClock } from '@amochan/amojo/testing';
import { DAY_MS } from '../../src/config';
import { createMetrics } from '../../src/lib/metrics';
import { createRetentionJob, type RetentionDeps } from '../../src/services/retention';
import type { Store } from '../../src/storage/types';
import { captureLogger } from '../support/widget-harness';
import { metricValue } from '../support/prometheus';
import { makeStore, type StoreKind } from '../support/app-factory';
import { sleep, waitFor } from '../support/wait';
import { entry, message, receipt } from '../support/fixtures';

const NOW = 100 * DAY_MS;

describe.each<StoreKind>(['memory', 'sqlite'])('retention job (%s store)', (kind) => {
  let store: Store;
  beforeEach(() => {
    store = makeStore(kind);
  });
  afterEach(() => store.close());

  /** Entries finished `ageDays` ago, in each final state; receipts and messages of that age. */
  async function seed(ageDays: number, tag: string): Promise<void> {
    const at = NOW - ageDays * DAY_MS;
    await store.outbox.enqueue([entry(`done-${tag}`, { orderingKey: `d-${tag}` }), entry(`dead-${tag}`, { orderingKey: `x-${tag}` })], at);
    await store.outbox.claim({ now: at, limit: 2, leaseMs: 1000 });
    await store.outbox.complete(`done-${tag}`, at);
    await store.outbox.kill(`dead-${tag}`, 'gone', at);
    // Not due before the test ends, so later seeds never claim it.
    await store.outbox.enqueue([entry(`pending-${tag}`, { orderingKey: `p-${tag}`, nextAttemptAt: NOW + DAY_MS })], at);
    await store.acceptWebhook({
      receipt: { ...receipt(`msg:${tag}`), receivedAt: at },
      message: message({ id: `m-${tag}`, msgid: `k-${tag}`, createdAt: at }),
      outbox: [],
      now: at,
    });
  }

  const job = (over: Partial<RetentionDeps> = {}) => {
    const { logger, logs } = captureLogger();
    const metrics = createMetrics();
    const clock = createTestClock(NOW);
    return { logs, metrics, clock, job: createRetentionJob({ store, clock, logger, metrics, doneOutboxDays: 7, receiptsDays: 30, ...over }) };
  };

  it('deletes done entries past their days and receipts past theirs; keeps dead, unfinished and messages', async () => {
    await seed(40, 'old');
    await seed(10, 'mid');
    await seed(1, 'new');
    const { job: retention, logs, metrics } = job();
    expect(await retention.runOnce()).toEqual({ outboxDone: 2, receipts: 1 });
    expect(await store.outbox.get('done-old')).toBeNull();
    expect(await store.outbox.get('done-mid')).toBeNull();
    expect(await store.outbox.get('done-new')).toMatchObject({ state: 'done' });
    for (const tag of ['old', 'mid', 'new']) {
      expect(await store.outbox.get(`dead-${tag}`)).toMatchObject({ state: 'dead' });
      expect(await store.outbox.get(`pending-${tag}`)).toMatchObject({ state: 'pending' });
      // Messages are the (account, msgid) idempotency record: never purged.
      expect(await store.messages.getByMsgid('shop', `k-${tag}`)).not.toBeNull();
    }
    expect([await store.receipts.has('msg:old'), await store.receipts.has('msg:mid'), await store.receipts.has('msg:new')]).toEqual([false, true, true]);
    const line = logs.lines.find((l) => l.msg === 'retention pass done');
    expect(line).toMatchObject({ component: 'retention', purged: { outboxDone: 2, receipts: 1 }, doneOutboxDays: 7, receiptsDays: 30 });
    const text = await metrics.registry.metrics();
    expect(metricValue(text, 'amochan_retention_purged_total', { table: 'outbox_done' })).toBe(2);
    expect(metricValue(text, 'amochan_retention_purged_total', { table: 'webhook_receipts' })).toBe(1);
    expect(metricValue(text, 'amochan_retention_runs_total', { result: 'ok' })).toBe(1);
    expect(await retention.runOnce()).toEqual({ outboxDone: 0, receipts: 0 });
  });

  it('0 days keeps everything', async () => {
    await seed(400, 'ancient');
    const { job: retention } = job({ doneOutboxDays: 0, receiptsDays: 0 });
    expect(await retention.runOnce()).toEqual({ outboxDone: 0, receipts: 0 });
    expect(await store.outbox.get('done-ancient')).not.toBeNull();
    expect(await store.receipts.has('msg:ancient')).toBe(true);
  });

  it('runs shortly after start, then every interval, and not after stop()', async () => {
    const { job: retention, logs } = job({ firstRunDelayMs: 5, intervalMs: 20 });
    const passes = () => logs.lines.filter((l) => l.msg === 'retention pass done').length;
    retention.start();
    expect(passes()).toBe(0);
    await waitFor(() => passes() >= 2, 'two passes');
    await retention.stop();
    const after = passes();
    await sleep(60);
    expect(passes()).toBe(after);
  });
});

describe('retention job failures', () => {
  it('a failing purge is logged and counted, never thrown, and the next pass runs', async () => {
    const store = makeStore('memory');
    let fail = true;
    const failing: Pick<Store, 'outbox' | 'receipts'> = {
      receipts: store.receipts,
      outbox: { ...store.outbox, purgeDone: async (t) => (fail ? Promise.reject(new Error('disk I/O error')) : store.outbox.purgeDone(t)) },
    };
    const { logger, logs } = captureLogger();
    const metrics = createMetrics();
    const retention = createRetentionJob({ store: failing, clock: createTestClock(NOW), logger, metrics, doneOutboxDays: 7, receiptsDays: 30 });
    expect(await retention.runOnce()).toEqual({ outboxDone: 0, receipts: 0 });
    expect(logs.lines.find((l) => l.msg === 'retention pass failed; will try again next pass')).toMatchObject({ level: 'error' });
    fail = false;
    await retention.runOnce();
    const text = await metrics.registry.metrics();
    expect([
      metricValue(text, 'amochan_retention_runs_total', { result: 'error' }),
      metricValue(text, 'amochan_retention_runs_total', { result: 'ok' }),
    ]).toEqual([1, 1]);
    await store.close();
  });
});
