import {
  AmojoInvalidRequestError,
  AmojoNetworkError,
  DELIVERY_ERROR,
  DELIVERY_ERROR_CODES,
  DELIVERY_STATUS,
  computeBackoff,
  fetchWithTimeout,
  isDeliveryErrorCode,
  isDeliveryStatusCode,
  parseRetryAfter,
  reactionTarget,
  reactionTargetId,
} from '@amochan/amojo';
import { freePort, startMockAmojo, type MockAmojo } from './helpers/mock-amojo';

describe('parseRetryAfter', () => {
  const now = Date.UTC(2024, 0, 1, 0, 0, 0);
  it('reads whole and fractional delta-seconds', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('1.5', now)).toBe(1500);
    expect(parseRetryAfter('0', now)).toBe(0);
  });
  it('reads an HTTP-date relative to now; a past date means now', () => {
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Sun, 31 Dec 2023 23:00:00 GMT', now)).toBe(0);
  });
  it('ignores negative numbers and garbage that Date.parse would read as a year', () => {
    for (const junk of ['-1', '-0.5', '12abc', 'soon', '', '   ', '1e3', 'Infinity']) expect(parseRetryAfter(junk, now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('computeBackoff', () => {
  it('full jitter by default: uniform between 0 and the exponential ceiling', () => {
    expect(computeBackoff({ attempt: 3, baseMs: 100, maxMs: 10_000, random: () => 0 })).toBe(400);
    expect(computeBackoff({ attempt: 3, baseMs: 100, maxMs: 10_000, random: () => 0.5 })).toBe(200);
    expect(computeBackoff({ attempt: 3, baseMs: 100, maxMs: 10_000, random: () => 0.999999 })).toBe(0);
  });
  it('doubles per attempt and is capped at maxMs, even for huge attempt numbers', () => {
    const exact = (attempt: number) => computeBackoff({ attempt, baseMs: 100, maxMs: 1000, jitter: 0 });
    expect([1, 2, 3, 4, 5, 1000].map(exact)).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
  it('a partial jitter keeps a floor', () => {
    for (const r of [0, 0.3, 0.99]) {
      const d = computeBackoff({ attempt: 2, baseMs: 100, maxMs: 1000, jitter: 0.5, random: () => r });
      expect(d).toBeGreaterThanOrEqual(100);
      expect(d).toBeLessThanOrEqual(200);
    }
  });
});

describe('fetchWithTimeout', () => {
  let amojo: MockAmojo;
  beforeAll(async () => {
    amojo = await startMockAmojo();
  });
  afterAll(() => amojo.close());

  it('returns status, headers and the whole body', async () => {
    amojo.reply({ status: 429, headers: { 'Retry-After': '2' }, body: { error_code: 429 } });
    const res = await fetchWithTimeout(fetch, `${amojo.baseUrl}/x`, { method: 'POST', body: '{}' }, 1000);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(JSON.parse(res.text)).toEqual({ error_code: 429 });
  });

  it('a slow answer is a coded timeout', async () => {
    amojo.reply({ delayMs: 500 });
    const err = await fetchWithTimeout(fetch, `${amojo.baseUrl}/slow`, { method: 'GET' }, 50).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmojoNetworkError);
    expect(err).toMatchObject({ code: 'timeout' });
  });

  it('a refused connection is a coded network error, not a timeout', async () => {
    const port = await freePort();
    const err = await fetchWithTimeout(fetch, `http://127.0.0.1:${port}/x?token=secret`, { method: 'GET' }, 1000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmojoNetworkError);
    expect(err).toMatchObject({ code: 'network' });
    expect((err as Error).message).not.toContain('secret');
  });
});

describe('delivery status codes', () => {
  it("name amojo's documented values", () => {
    expect(DELIVERY_STATUS).toEqual({ delivered: 1, read: 2, error: -1 });
    expect(DELIVERY_ERROR).toEqual({ userDeletedConversation: 901, integrationDisabled: 902, internalError: 903, cannotCreateConversation: 904, other: 905 });
    expect(DELIVERY_ERROR_CODES).toEqual([901, 902, 903, 904, 905]);
    expect([1, 2, -1, 0, 3].map(isDeliveryStatusCode)).toEqual([true, true, true, false, false]);
    expect([901, 905, 900, 906, '901'].map(isDeliveryErrorCode)).toEqual([true, true, false, false, false]);
  });
});

describe('reactionTarget', () => {
  it("names a message by our msgid or by amojo's id, never both or neither", () => {
    expect(reactionTarget({ msgid: 'ours-1' })).toEqual({ msgid: 'ours-1' });
    expect(reactionTarget({ id: 'amojo-1', msgid: '' })).toEqual({ id: 'amojo-1' });
    expect(() => reactionTarget({ msgid: 'a', id: 'b' })).toThrow(AmojoInvalidRequestError);
    expect(() => reactionTarget({})).toThrow(/msgid \(ours\) or an id/);
  });
  it('reads the target back from either hook layout', () => {
    expect(reactionTargetId({ msgid: 'm1' })).toBe('m1');
    expect(reactionTargetId({ message: { id: 'm2', msgid: 'x' } })).toBe('m2');
    expect(reactionTargetId({ msgid: '', message: null })).toBeUndefined();
  });
});
