import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createId } from '../../src/lib/ids';
import { createHttpFetch } from '../../src/lib/http-fetch';
import { createProviderDelivery } from '../../src/outbox/provider-delivery';
import { createMemoryStore } from '../../src/storage/memory/store';
import type { OutboxEntry } from '../../src/storage/types';

/** The provider's answers to our event POSTs: retry timing and failure texts, against a real loopback server. */
describe('provider delivery', () => {
  let server: Server;
  let url: string;
  let answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
  const fetchFn = createHttpFetch();
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => answer(req, res));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
  });
  afterAll(async () => {
    fetchFn.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const entry: OutboxEntry = {
    id: 'obx_1',
    destination: 'provider',
    kind: 'event',
    orderingKey: 'k',
    payload: { id: 'evt_1', type: 'typing' },
    messageId: null,
    nextAttemptAt: 0,
    seq: 1,
    state: 'leased',
    attempts: 1,
    leaseUntil: null,
    lastError: null,
    createdAt: 0,
    updatedAt: 0,
  };
  const delivery = (target = url, timeoutMs = 2000) =>
    createProviderDelivery({
      url: target,
      secret: 's',
      timeoutMs,
      clock: { now: () => Date.now() },
      ids: createId,
      store: createMemoryStore(),
      fetch: fetchFn,
    });

  it('waits a fractional Retry-After to the millisecond instead of retrying at once', async () => {
    answer = (_req, res) => {
      res.writeHead(503, { 'Retry-After': '1.5' });
      res.end('{"error":{"message":"restarting"}}');
    };
    expect(await delivery().deliver(entry)).toEqual({
      ok: false,
      permanent: false,
      error: 'the provider answered 503: restarting',
      remoteText: 'restarting',
      retryAfterMs: 1500,
    });
  });

  it('ignores a Retry-After it cannot read (the outbox backoff decides)', async () => {
    answer = (_req, res) => {
      res.writeHead(429, { 'Retry-After': 'soon' });
      res.end();
    };
    const result = await delivery().deliver(entry);
    expect(result).toMatchObject({ ok: false, permanent: false, error: 'the provider answered 429' });
    expect(result).not.toHaveProperty('retryAfterMs');
  });

  it('a provider that never answers is a retryable timeout', async () => {
    answer = () => undefined;
    expect(await delivery(url, 100).deliver(entry)).toMatchObject({ ok: false, permanent: false, error: 'the provider did not answer within 100 ms' });
  });

  it('an unreachable provider is retryable and names the socket error', async () => {
    const result = await delivery('http://127.0.0.1:1/events').deliver(entry);
    expect(result).toMatchObject({ ok: false, permanent: false });
    expect(!result.ok && result.error).toMatch(/could not reach the provider at PROVIDER_WEBHOOK_URL \(ECONNREFUSED\)/);
  });
});
