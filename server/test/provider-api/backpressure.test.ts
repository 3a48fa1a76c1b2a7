import request from 'supertest';
import { signWebhookBody } from '@amochan/amojo';
import { auth } from '../support/app-factory';
import { sleep, waitFor } from '../support/wait';
import { createStackHarness, type StackHarness } from '../support/stack-harness';
import { metricValue } from '../support/prometheus';

/**
 * Backpressure: past OUTBOX_MAX_PENDING undelivered entries, new provider messages get 503
 * overloaded + Retry-After instead of growing the queue; idempotent retries and amojo hooks are
 * never refused (a refused hook is lost: amojo never resends it).
 */

const MAX = 5;
let h: StackHarness;
const send = (conversation_id: string, msgid?: string) =>
  request(h.server)
    .post('/api/v1/messages')
    .set(auth)
    .send({ account: 'alice', conversation_id, ...(msgid ? { msgid } : {}), sender: { id: 'c', name: 'C' }, message: { type: 'text', text: 'hi' } });

beforeAll(async () => {
  // The worker stays stopped until the test lets it drain the queue.
  h = await createStackHarness('sqlite', { OUTBOX_MAX_PENDING: String(MAX) });
});
afterAll(() => h.close());

describe('backpressure', () => {
  it('refuses new messages with 503 overloaded + Retry-After once the outbox is full, and recovers when it drains', async () => {
    for (let i = 0; i < MAX; i++) expect((await send(`bp-${i}`, `bp-msg-${i}`)).status).toBe(202);
    expect(await h.store.outbox.countUndelivered()).toBe(MAX);
    await sleep(150); // past the ~100 ms count cache
    const refused = await send('bp-new');
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(refused.body.error.code).toBe('overloaded');
    expect(await h.store.outbox.countUndelivered()).toBe(MAX);

    // A provider retrying a message we already took gets its answer, not a 503.
    const again = await send('bp-0', 'bp-msg-0');
    expect(again.status).toBe(202);

    // amojo hooks are never refused for backpressure: they are stored (and queued) even now.
    const chatId = 'a2f1f7c1-0b7a-4f7e-9a53-0d7b2f2a9c11';
    const body = JSON.stringify({
      account_id: h.connection.amojoAccountId,
      time: 1,
      message: {
        receiver: { id: 'r' },
        sender: { id: 'm' },
        conversation: { id: chatId, client_id: 'bp-hook' },
        timestamp: 1,
        message: { id: 'amo-bp-1', type: 'text', text: 'manager' },
      },
    });
    const hook = await request(h.server)
      .post(`/amojo/v1/webhook/${h.connection.scopeId}`)
      .set('X-Signature', signWebhookBody(body, h.emulator.secret))
      .set('Content-Type', 'application/json')
      .send(body);
    expect(hook.status).toBe(200);
    expect(await h.store.outbox.countUndelivered()).toBe(MAX + 1);

    const text = await h.metrics.registry.metrics();
    expect(metricValue(text, 'amochan_http_errors_total', { code: 'overloaded' })).toBe(1);

    h.worker.start();
    await waitFor(async () => (await h.store.outbox.countUndelivered()) === 0, 'queue drained', 10_000);
    await sleep(150);
    expect((await send('bp-after')).status).toBe(202);
  });
});
