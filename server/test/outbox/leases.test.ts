import { createTestClock } from '@amochan/amojo/testing';
import request from 'supertest';
import { loadConfig } from '../../src/config';
import { ConfigError } from '../../src/lib/config-error';
import { createMetrics } from '../../src/lib/metrics';
import { observeDeliveries } from '../../src/outbox/delivery-metrics';
import { createRelayWorker } from '../../src/outbox/relay-worker';
import { auth } from '../support/app-factory';
import { waitFor } from '../support/wait';
import { createStackHarness, type StackHarness } from '../support/stack-harness';
import { metricValue } from '../support/prometheus';
import { amojoMsgidFor } from '../../src/services/amojo-msgid';

/**
 * Leases: long enough for the slowest delivery (enforced by config), taken from the config by the
 * worker, and a crashed worker's lease is honoured until it expires, then reclaimed — with a send
 * that had already reached amojo counted as delivered, not repeated.
 */

const base = { AMOJO_CHANNEL_ID: 'c', AMOJO_CHANNEL_SECRET: 's', PROVIDER_API_TOKEN: 't', ALLOW_UNVERIFIED_BINDINGS: 'true' };

describe('lease configuration', () => {
  it('refuses a lease shorter than twice the slowest delivery', () => {
    expect(() => loadConfig({ ...base, OUTBOX_LEASE_MS: '30000', AMOJO_TIMEOUT_MS: '10000' })).toThrow(ConfigError);
    try {
      loadConfig({ ...base, OUTBOX_LEASE_MS: '15000', PROVIDER_WEBHOOK_TIMEOUT_MS: '10000', AMOJO_TIMEOUT_MS: '1000' });
      throw new Error('accepted');
    } catch (err) {
      expect((err as ConfigError).problems.join('\n')).toMatch(/OUTBOX_LEASE_MS: must be at least 20000/);
    }
    const ok = loadConfig(base);
    expect(ok.OUTBOX_LEASE_MS).toBeGreaterThanOrEqual(2 * Math.max(2 * ok.AMOJO_TIMEOUT_MS, ok.PROVIDER_WEBHOOK_TIMEOUT_MS));
    expect(ok.RECONCILE_INTERVAL_MS).toBe(60_000);
  });
});

describe('leases in the worker', () => {
  let h: StackHarness;
  beforeAll(async () => {
    h = await createStackHarness('sqlite', { OUTBOX_LEASE_MS: '7000', AMOJO_TIMEOUT_MS: '1000', PROVIDER_WEBHOOK_TIMEOUT_MS: '1000' });
  });
  afterAll(() => h.close());

  const send = async (conversation_id: string) => {
    const res = await request(h.server)
      .post('/api/v1/messages')
      .set(auth)
      .send({ account: 'alice', conversation_id, sender: { id: 'c', name: 'C' }, message: { type: 'text', text: 'hi' } });
    expect(res.status).toBe(202);
    return res.body as { id: string; msgid: string };
  };

  it('claims with OUTBOX_LEASE_MS', async () => {
    const { id } = await send('lease-1');
    h.emulator.control.latency(300);
    h.worker.start();
    try {
      const leased = await waitFor(async () => {
        const e = await h.store.outbox.get(`obx_${id}`);
        return e?.state === 'leased' && e;
      }, 'entry leased');
      expect(leased.leaseUntil! - leased.updatedAt).toBe(7000);
      await waitFor(async () => (await h.store.outbox.get(`obx_${id}`))?.state === 'done', 'delivered');
    } finally {
      h.emulator.control.latency(0);
      await h.worker.stop();
    }
  });

  it("a crashed worker's entry waits for its lease, then is reclaimed; a send amojo already has counts as delivered", async () => {
    const { id, msgid } = await send('lease-2');
    const clock = createTestClock(Date.now());
    // The "crashed" worker: claimed, created the chat, sent the message, died before recording it.
    const [claimed] = await h.store.outbox.claim({ now: clock.now(), limit: 10, leaseMs: 7000 });
    expect(claimed!.id).toBe(`obx_${id}`);
    const p = claimed!.payload as { scopeId: string; createChat: never; message: never };
    await h.deps.amojo.createChat(p.scopeId, p.createChat);
    await h.deps.amojo.sendMessage(p.scopeId, p.message);

    // The restarted worker.
    const metrics = createMetrics();
    const worker = createRelayWorker({ ...h.deps, clock });
    observeDeliveries(worker, metrics);
    clock.advance(6_999);
    expect(await worker.processDue()).toBe(0); // lease still held: nobody else may touch it
    clock.advance(2);
    expect(await worker.processDue()).toBe(1);
    expect(await h.store.outbox.get(`obx_${id}`)).toMatchObject({ state: 'done', attempts: 2 });
    const inAmojo = h.emulator.control.listMessages().filter((m) => m.clientMsgId === amojoMsgidFor('alice', msgid));
    expect(inAmojo).toHaveLength(1);
    // The duplicate answer carries no id; it was found in history so statuses and reactions still map.
    expect(await h.store.messages.get(id)).toMatchObject({ status: 'sent', amojoMsgId: inAmojo[0]!.id });
    expect(metricValue(await metrics.registry.metrics(), 'amochan_outbox_deliveries_total', { destination: 'amojo', outcome: 'duplicate' })).toBe(1);
  });
});
