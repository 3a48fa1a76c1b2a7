import {
  AmojoApiError,
  AmojoHttpError,
  AmojoInvalidRequestError,
  AmojoNetworkError,
  AmojoRateLimitedError,
  backoffDelay,
  defaultRetryPolicy,
  isDuplicateMessageError,
  isRetryable,
  looksLikeDuplicateMessage,
  nextRetryDelay,
  noDelayRetry,
  parseRetryAfter,
  withRetry,
} from '@amochan/amojo';

const http = (status: number, retryAfterMs?: number) =>
  new AmojoHttpError({ status, body: '', method: 'POST', path: '/x', ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });

describe('parseRetryAfter', () => {
  const now = Date.UTC(2024, 0, 1, 0, 0, 0);
  it('reads delta-seconds and HTTP dates; past dates mean now; junk is ignored', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 1.5 ', now)).toBe(1500);
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Sun, 31 Dec 2023 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('backoff', () => {
  const policy = { ...defaultRetryPolicy, baseDelayMs: 100, maxDelayMs: 1000 };
  it('doubles per attempt, capped, and jitter only shortens', () => {
    const exact = { ...policy, jitter: 0 };
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(exact, a))).toEqual([100, 200, 400, 800, 1000]);
    expect(backoffDelay({ ...policy, jitter: 1, random: () => 0.5 }, 3)).toBe(200);
    expect(backoffDelay({ ...policy, jitter: 0.5, random: () => 0.999 }, 1)).toBeGreaterThanOrEqual(50);
  });

  it('nextRetryDelay: only retryable errors, only while attempts remain, Retry-After wins on 429/503', () => {
    const p = { ...policy, jitter: 0, maxAttempts: 3 };
    expect(nextRetryDelay(p, 1, http(500))).toBe(100);
    expect(nextRetryDelay(p, 3, http(500))).toBeUndefined();
    expect(nextRetryDelay(p, 1, http(400))).toBeUndefined();
    expect(nextRetryDelay(p, 1, new Error('bug'))).toBeUndefined();
    expect(nextRetryDelay(p, 1, http(503, 700))).toBe(700);
    expect(nextRetryDelay(p, 1, http(503, 5000))).toBeUndefined();
    expect(nextRetryDelay(p, 1, http(500, 700))).toBe(100);
  });
});

describe('withRetry', () => {
  it('retries 5xx then succeeds; does not retry a 400', async () => {
    let calls = 0;
    await expect(
      withRetry(noDelayRetry(3), async () => {
        calls++;
        if (calls < 3) throw http(503);
        return 'ok';
      }),
    ).resolves.toBe('ok');
    expect(calls).toBe(3);

    calls = 0;
    await expect(
      withRetry(noDelayRetry(3), async () => {
        calls++;
        throw http(400);
      }),
    ).rejects.toMatchObject({ status: 400 });
    expect(calls).toBe(1);
  });
});

describe('isRetryable / duplicate detection', () => {
  const init = { status: 400, body: '', method: 'POST', path: '/x' };
  it('classifies', () => {
    expect(isRetryable(new AmojoNetworkError('network', 'x'))).toBe(true);
    expect(isRetryable(new AmojoNetworkError('timeout', 'x'))).toBe(true);
    expect([408, 429, 500, 503].map((s) => isRetryable(http(s)))).toEqual([true, true, true, true]);
    expect([400, 401, 403, 404].map((s) => isRetryable(http(s)))).toEqual([false, false, false, false]);
    expect(isRetryable(new AmojoRateLimitedError({ ...init, status: 429 }))).toBe(true);
    expect(isRetryable(new AmojoInvalidRequestError('x', []))).toBe(false);
    expect(isRetryable(new TypeError('x'))).toBe(false);
  });

  it('recognises duplicate msgid wordings, and nothing else', () => {
    expect(looksLikeDuplicateMessage({ error_type: 'ORIGIN_DUPLICATE_MSGID' })).toBe(true);
    expect(looksLikeDuplicateMessage({ error_code: 400, error_description: 'Message already exists' })).toBe(true);
    expect(looksLikeDuplicateMessage({ error_code: 400, error_description: 'duplicate msgid' })).toBe(true);
    expect(looksLikeDuplicateMessage({ error_type: 'ORIGIN_INVALID_DATA', error_description: 'bad data' })).toBe(false);
    const dup = new AmojoApiError(init, { error_type: 'ORIGIN_DUPLICATE_MSGID' });
    expect(isDuplicateMessageError(dup)).toBe(true);
    expect(isDuplicateMessageError(new AmojoApiError(init, { error_type: 'X' }))).toBe(false);
    expect(isDuplicateMessageError(new Error('duplicate'))).toBe(false);
    // A 5xx is never read as a duplicate, even if the text says so: it might not have been stored.
    expect(new AmojoApiError({ ...init, status: 500 }, { error_description: 'already exists' }).code).toBe('amojo_error');
  });

  it('errors are named, keep their code and say what to do', () => {
    const e = new AmojoApiError({ ...init, status: 403 }, { error_type: 'ORIGIN_INVALID_SIGNATURE', error_description: 'invalid signature' });
    expect(e.name).toBe('AmojoApiError');
    expect(e.code).toBe('signature_rejected');
    expect(e.message).toMatch(/clock/);
    expect(e).toBeInstanceOf(Error);
  });
});
