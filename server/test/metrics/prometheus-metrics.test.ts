import request from 'supertest';
import { signWebhookBody } from '@amochan/amojo';
import { createApp } from '../../src/http/app';
import { createMetrics } from '../../src/lib/metrics';
import { auth } from '../support/app-factory';
import { waitFor } from '../support/wait';
import { createStackHarness, type StackHarness } from '../support/stack-harness';
import { assertPrometheusText, metricValue } from '../support/prometheus';
import { amojoMsgidFor } from '../../src/services/amojo-msgid';

/** GET /metrics: the text format, and that every family moves when the thing it counts happens. */

let h: StackHarness;
const scrape = async (): Promise<string> => {
  const res = await request(h.server).get('/metrics');
  expect(res.status).toBe(200);
  return res.text;
};
const hook = (path: string, body: string, signature = signWebhookBody(body, h.emulator.secret)) =>
  request(h.server).post(path).set('X-Signature', signature).set('Content-Type', 'application/json').send(body);

beforeAll(async () => {
  h = await createStackHarness('sqlite', {}, { startWorker: true });
});
afterAll(() => h.close());

describe('GET /metrics', () => {
  it('serves the Prometheus text format with every family', async () => {
    const res = await request(h.server).get('/metrics');
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    assertPrometheusText(res.text);
    for (const [name, type] of [
      ['amochan_outbox_entries', 'gauge'],
      ['amochan_outbox_deliveries_total', 'counter'],
      ['amochan_outbox_delivery_duration_seconds', 'histogram'],
      ['amochan_webhook_receipts_total', 'counter'],
      ['amochan_http_request_duration_seconds', 'histogram'],
      ['amochan_http_errors_total', 'counter'],
      ['amochan_reconciler_recovered_total', 'counter'],
      ['amochan_reconciler_runs_total', 'counter'],
    ]) {
      expect(res.text).toContain(`# TYPE ${name} ${type}`);
    }
    // Series exist at zero before anything happened, so alerts never see a missing series.
    expect(metricValue(res.text, 'amochan_outbox_entries', { destination: 'provider', state: 'dead' })).toBe(0);
    expect(metricValue(res.text, 'amochan_outbox_deliveries_total', { destination: 'amojo', outcome: 'dead' })).toBe(0);
  });

  it('counts deliveries, their latency, outbox depth and request latency by route pattern', async () => {
    const res = await request(h.server)
      .post('/api/v1/messages')
      .set(auth)
      .send({ account: 'alice', conversation_id: 'm-1', sender: { id: 'c', name: 'C' }, message: { type: 'text', text: 'hi' } });
    expect(res.status).toBe(202);
    let text = '';
    await waitFor(async () => {
      text = await scrape();
      return (metricValue(text, 'amochan_outbox_deliveries_total', { destination: 'amojo', outcome: 'delivered' }) ?? 0) >= 1;
    }, 'a delivery counted');
    expect(metricValue(text, 'amochan_outbox_delivery_duration_seconds_count', { destination: 'amojo' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'amochan_outbox_entries', { destination: 'amojo', state: 'done' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'amochan_http_request_duration_seconds_count', { route: '/api/v1/messages', method: 'POST', status_class: '2xx' })).toBe(1);

    await request(h.server).get('/api/v1/messages/msg_nope').set(auth).expect(404);
    await request(h.server).get('/no/such/path/12345').expect(404);
    text = await scrape();
    expect(metricValue(text, 'amochan_http_request_duration_seconds_count', { route: '/api/v1/messages/:id', method: 'GET', status_class: '4xx' })).toBe(1);
    expect(metricValue(text, 'amochan_http_request_duration_seconds_count', { route: 'unmatched', method: 'GET', status_class: '4xx' })).toBeGreaterThanOrEqual(
      1,
    );
    expect(text).not.toContain('12345');
    expect(metricValue(text, 'amochan_http_errors_total', { code: 'not_found' })).toBeGreaterThanOrEqual(2);
  });

  it('counts webhook receipts by kind and result', async () => {
    const scope = h.connection.scopeId;
    await waitFor(() => h.emulator.control.listChats(scope).find((c) => c.conversationId === 'm-1'), 'chat');
    const reply = await h.emulator.control.managerReply({ scopeId: scope, conversationId: 'm-1', text: 'answer' });
    expect(reply.webhook.status).toBe(200);
    await h.emulator.control.typing({ scopeId: scope, conversationId: 'm-1' });
    await hook(`/amojo/v1/webhook/${scope}`, reply.webhook.body).expect(200);
    await hook(`/amojo/v1/webhook/${scope}`, reply.webhook.body, 'bad').expect(401);
    await hook('/amojo/v1/webhook/nope', reply.webhook.body).expect(404);
    await hook(`/amojo/v1/webhook/${scope}`, '{"message":{"receiver":1}}').expect(400);
    await hook(`/amojo/v1/webhook/${scope}`, '{"something":"new"}').expect(200);
    const text = await scrape();
    const receipts = (kind: string, result: string) => metricValue(text, 'amochan_webhook_receipts_total', { kind, result });
    expect(receipts('message', 'stored')).toBe(1);
    expect(receipts('message', 'duplicate')).toBe(1);
    expect(receipts('typing', 'stored')).toBe(1);
    expect(receipts('unknown', 'bad_signature')).toBe(1);
    expect(receipts('unknown', 'unknown_scope')).toBe(1);
    expect(receipts('message', 'malformed')).toBe(1);
    expect(receipts('unknown', 'stored')).toBe(1);
  });

  it('counts a send amojo already had as duplicate (the crash-between-send-and-commit case)', async () => {
    const cold = await createStackHarness('memory');
    try {
      const res = await request(cold.server)
        .post('/api/v1/messages')
        .set(auth)
        .send({ account: 'alice', conversation_id: 'd-1', sender: { id: 'c', name: 'C' }, message: { type: 'text', text: 'once' } });
      const entry = (await cold.store.outbox.get(`obx_${res.body.id}`))!;
      const payload = entry.payload as { scopeId: string; createChat: never; message: never };
      // What a worker did just before being killed: sent, never recorded.
      await cold.deps.amojo.createChat(payload.scopeId, payload.createChat);
      await cold.deps.amojo.sendMessage(payload.scopeId, payload.message);
      expect(await cold.worker.processDue()).toBe(1);
      const text = await cold.metrics.registry.metrics();
      expect(metricValue(text, 'amochan_outbox_deliveries_total', { destination: 'amojo', outcome: 'duplicate' })).toBe(1);
      expect(metricValue(text, 'amochan_outbox_deliveries_total', { destination: 'amojo', outcome: 'delivered' })).toBe(0);
      expect((await cold.store.messages.get(res.body.id))?.status).toBe('sent');
      expect(cold.emulator.control.listMessages().filter((m) => m.clientMsgId === amojoMsgidFor('alice', res.body.msgid))).toHaveLength(1);
    } finally {
      await cold.close();
    }
  });

  it('process metrics on request; many apps (and registries) in one process never collide', async () => {
    const withProcess = createMetrics({ defaultMetrics: true });
    const text = await withProcess.registry.metrics();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_heap_size_used_bytes');
    assertPrometheusText(text);
    // Hand-built deps without metrics: each app makes its own registry.
    const { metrics: _m, ...bare } = h.deps;
    for (let i = 0; i < 3; i++) expect((await request(createApp(bare)).get('/metrics')).status).toBe(200);
  });
});
