import { createAmojoClient, noDelayRetry, AmojoRateLimitedError } from '@amochan/amojo';
import type { RequestEvent } from '../src';
import { connectAccount, startHarness, textMessage, uniq, type Harness } from './helpers';

/** Fault injection: failNext and latency on the API, seen through the SDK. */

let h: Harness;
let scopeId: string;
const events: RequestEvent[] = [];

beforeAll(async () => {
  h = await startHarness();
  scopeId = await connectAccount(h);
  h.emu.control.on('request', (e) => events.push(e));
});
afterAll(() => h.close());
beforeEach(() => h.emu.control.clearFaults());

test('failNext(n, 503) fails exactly the next n API requests, before anything is processed', async () => {
  h.emu.control.failNext(2, 503);
  const msg = textMessage(uniq('conv-fault'));
  await expect(h.client.sendMessage(scopeId, msg)).rejects.toMatchObject({ status: 503 });
  await expect(h.client.sendMessage(scopeId, msg)).rejects.toMatchObject({ status: 503 });
  expect(h.emu.control.listMessages().some((m) => m.clientMsgId === msg.msgid)).toBe(false);
  await expect(h.client.sendMessage(scopeId, msg)).resolves.toBeDefined();
  expect(h.emu.control.faults().failNext).toBeNull();
});

test('a retrying client rides over injected 500s with the same msgid, and the message exists once', async () => {
  const retrying = createAmojoClient({ channelId: h.emu.channelId, secret: h.emu.secret, baseUrl: h.emu.url, clock: h.clock.date, retry: noDelayRetry(3) });
  h.emu.control.failNext(2, 500);
  const msg = textMessage(uniq('conv-retry'));
  await retrying.sendMessage(scopeId, msg);
  expect(h.emu.control.listMessages().filter((m) => m.clientMsgId === msg.msgid)).toHaveLength(1);
  expect(events.slice(-3).map((e) => [e.status, e.injected])).toEqual([
    [500, true],
    [500, true],
    [200, false],
  ]);
});

test('429 with Retry-After reaches the client as a rate-limit error carrying the delay', async () => {
  h.emu.control.failNext(1, 429, undefined, { retryAfter: 7 });
  const err = await h.client.sendMessage(scopeId, textMessage(uniq('conv-429'))).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(AmojoRateLimitedError);
  expect(err).toMatchObject({ status: 429, retryAfterMs: 7000 });
});

test("a custom failure body is sent verbatim (a proxy's HTML page, say)", async () => {
  h.emu.control.failNext(1, 502, '<html>Bad Gateway</html>');
  const res = await fetch(`${h.emu.url}/v2/origin/custom/${scopeId}`, { method: 'POST', body: '{}' });
  expect(res.status).toBe(502);
  expect(await res.text()).toBe('<html>Bad Gateway</html>');
});

test('latency(ms) delays every API answer; clearFaults removes it', async () => {
  h.emu.control.latency(150);
  let started = Date.now();
  await h.client.sendMessage(scopeId, textMessage(uniq('conv-slow')));
  expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  h.emu.control.clearFaults();
  started = Date.now();
  await h.client.sendMessage(scopeId, textMessage(uniq('conv-fast')));
  expect(Date.now() - started).toBeLessThan(140);
});

test('the request event reports method, path, endpoint, signature headers, status and duration', async () => {
  events.length = 0;
  const res = await h.client.sendMessage(scopeId, textMessage(uniq('conv-ev')));
  await h.client.getHistory(scopeId, res.new_message.conversation_id!, { limit: 5 });
  const [send, history] = events;
  expect(send).toMatchObject({
    method: 'POST',
    path: `/v2/origin/custom/${scopeId}`,
    endpoint: 'message',
    scopeId,
    status: 200,
    headers: {
      contentType: 'application/json',
      date: expect.stringMatching(/\+0000$/),
      contentMd5: expect.stringMatching(/^[0-9a-f]{32}$/),
      signature: expect.stringMatching(/^[0-9a-f]{40}$/),
    },
    errorType: null,
    injected: false,
  });
  expect(send!.durationMs).toBeGreaterThanOrEqual(0);
  expect(JSON.parse(send!.responseBody)).toHaveProperty('new_message.msgid', res.new_message.msgid);
  expect(history).toMatchObject({ method: 'GET', endpoint: 'history', path: expect.stringContaining('/history?limit=5') });
});

test('bad fault arguments are refused with invalid_argument', () => {
  expect(() => h.emu.control.failNext(-1, 500)).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
  expect(() => h.emu.control.failNext(1, 42)).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
  expect(() => h.emu.control.latency(-5)).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
  expect(() => h.emu.control.dropWebhooks(1.5)).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
});
