import {
  AmojoApiError,
  AmojoError,
  AmojoHttpError,
  AmojoInvalidRequestError,
  AmojoInvalidResponseError,
  AmojoNetworkError,
  AmojoRateLimitedError,
  createAmojoClient,
  isDuplicateMessageError,
  isRetryable,
  noDelayRetry,
} from '@amochan/amojo';
import type { RetryPolicy } from '@amochan/amojo';
import { freePort, startMockAmojo } from './helpers/mock-amojo';
import type { MockAmojo } from './helpers/mock-amojo';

const SCOPE = 'chan_acc';
const NOW = new Date(Date.UTC(2024, 0, 1, 12, 0, 0));
const typingBody = { conversation_id: 'c', sender: { id: 's' } };
const message = { msgid: 'm1', conversation_id: 'c', sender: { id: 's' }, message: { type: 'text' as const, text: 'hi' } };

let amojo: MockAmojo;
const sleeps: number[] = [];
const recordingRetry = (maxAttempts: number, maxDelayMs = 60_000): RetryPolicy => ({
  ...noDelayRetry(maxAttempts),
  maxDelayMs,
  sleep: async (ms) => void sleeps.push(ms),
});
const clientWith = (over: Partial<Parameters<typeof createAmojoClient>[0]> = {}) =>
  createAmojoClient({ channelId: 'chan', secret: 's3cret', baseUrl: amojo.baseUrl, clock: () => NOW, retry: noDelayRetry(1), ...over });

beforeEach(async () => {
  sleeps.length = 0;
  amojo = await startMockAmojo();
});
afterEach(() => amojo.close());

async function failure(p: Promise<unknown>): Promise<AmojoError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AmojoError);
  return err as AmojoError;
}

describe('client errors', () => {
  it('connection refused → AmojoNetworkError network, retryable, cause kept', async () => {
    const client = clientWith({ baseUrl: `http://127.0.0.1:${await freePort()}` });
    const err = await failure(client.typing(SCOPE, typingBody));
    expect(err).toBeInstanceOf(AmojoNetworkError);
    expect(err.code).toBe('network');
    expect(err.cause).toBeDefined();
    expect(isRetryable(err)).toBe(true);
  });

  it('slow server → AmojoNetworkError timeout', async () => {
    amojo.reply({ status: 204, delayMs: 2_000 });
    const err = await failure(clientWith({ timeoutMs: 50 }).typing(SCOPE, typingBody));
    expect(err).toBeInstanceOf(AmojoNetworkError);
    expect(err.code).toBe('timeout');
    expect(err.message).toMatch(/within 50 ms/);
  });

  it('403 ORIGIN_INVALID_SIGNATURE → AmojoApiError signature_rejected, not retried', async () => {
    amojo.reply({ status: 403, body: { status: 0, error_code: 403, error_type: 'ORIGIN_INVALID_SIGNATURE', error_description: 'invalid signature' } });
    const err = await failure(clientWith({ retry: noDelayRetry(3) }).sendMessage(SCOPE, message));
    expect(err).toBeInstanceOf(AmojoApiError);
    expect(err).toBeInstanceOf(AmojoHttpError);
    expect(err).toMatchObject({
      code: 'signature_rejected',
      status: 403,
      errorType: 'ORIGIN_INVALID_SIGNATURE',
      errorCode: 403,
      errorDescription: 'invalid signature',
    });
    expect(err.message).toMatch(/secret/);
    expect(amojo.requests).toHaveLength(1);
  });

  it('404 with an amojo body → not_found; 400 with an amojo body → amojo_error', async () => {
    amojo.reply(
      { status: 404, body: { status: 0, error_code: 404, error_type: 'ORIGIN_MESSAGE_NOT_FOUND', error_description: 'not found' } },
      { status: 400, body: { status: 0, error_code: 400, error_type: 'ORIGIN_INVALID_DATA', error_description: 'bad data' } },
    );
    const client = clientWith({ retry: noDelayRetry(3) });
    expect(await failure(client.setDeliveryStatus(SCOPE, 'x', { delivery_status: 1 }))).toMatchObject({ code: 'not_found', status: 404 });
    expect(await failure(client.setDeliveryStatus(SCOPE, 'x', { delivery_status: 1 }))).toMatchObject({ code: 'amojo_error', status: 400 });
    expect(amojo.requests).toHaveLength(2);
  });

  it("duplicate msgid (the emulator's body) → duplicate_message, detectable, not retried", async () => {
    amojo.reply({
      status: 400,
      body: { status: 0, error_code: 400, error_type: 'ORIGIN_DUPLICATE_MSGID', error_description: 'message with this msgid already exists' },
    });
    const err = await failure(clientWith({ retry: noDelayRetry(3) }).sendMessage(SCOPE, message));
    expect(err.code).toBe('duplicate_message');
    expect(isDuplicateMessageError(err)).toBe(true);
    expect(isRetryable(err)).toBe(false);
    expect(amojo.requests).toHaveLength(1);
  });

  it('500 → AmojoHttpError, retried, then succeeds', async () => {
    amojo.reply({ status: 500, body: 'oops' }, { status: 502, body: '' }, { body: { new_message: { msgid: 'ok' } } });
    const res = await clientWith({ retry: recordingRetry(3) }).sendMessage(SCOPE, message);
    expect(res.new_message.msgid).toBe('ok');
    expect(amojo.requests).toHaveLength(3);
    // Same bytes every attempt: serialised once.
    expect(new Set(amojo.requests.map((r) => r.body)).size).toBe(1);
    expect(sleeps).toEqual([0, 0]);
  });

  it('500 on every attempt → AmojoHttpError http_error after maxAttempts', async () => {
    amojo.reply({ status: 500, body: 'a' }, { status: 500, body: 'b' });
    const err = await failure(clientWith({ retry: noDelayRetry(2) }).typing(SCOPE, typingBody));
    expect(err).toBeInstanceOf(AmojoHttpError);
    expect(err).not.toBeInstanceOf(AmojoApiError);
    expect(err).toMatchObject({ code: 'http_error', status: 500, body: 'b' });
    expect(amojo.requests).toHaveLength(2);
  });

  it('400 without an amojo body is not retried', async () => {
    amojo.reply({ status: 400, body: '<html>bad</html>' });
    const err = await failure(clientWith({ retry: noDelayRetry(5) }).typing(SCOPE, typingBody));
    expect(err).toMatchObject({ code: 'http_error', status: 400 });
    expect(amojo.requests).toHaveLength(1);
  });

  it('429 with Retry-After → AmojoRateLimitedError, the delay is honoured on retry', async () => {
    amojo.reply({ status: 429, headers: { 'Retry-After': '2' }, body: '' }, { status: 204 });
    await clientWith({ retry: recordingRetry(3) }).typing(SCOPE, typingBody);
    expect(sleeps).toEqual([2000]);

    amojo.reply({ status: 429, headers: { 'Retry-After': new Date(NOW.getTime() + 3000).toUTCString() }, body: '' });
    const err = await failure(clientWith().typing(SCOPE, typingBody));
    expect(err).toBeInstanceOf(AmojoRateLimitedError);
    expect(err).toMatchObject({ code: 'rate_limited', status: 429, retryAfterMs: 3000 });
  });

  it('a Retry-After longer than maxDelayMs is not waited out inline', async () => {
    amojo.reply({ status: 503, headers: { 'Retry-After': '120' }, body: '' });
    const err = await failure(clientWith({ retry: recordingRetry(3, 10_000) }).typing(SCOPE, typingBody));
    expect(err).toMatchObject({ code: 'http_error', status: 503, retryAfterMs: 120_000 });
    expect(sleeps).toEqual([]);
  });

  it('garbage JSON or a wrong shape on 2xx → AmojoInvalidResponseError, not retried', async () => {
    amojo.reply({ status: 200, body: '{not json' }, { status: 200, body: { new_message: {} } });
    const client = clientWith({ retry: noDelayRetry(3) });
    const garbage = await failure(client.sendMessage(SCOPE, message));
    expect(garbage).toBeInstanceOf(AmojoInvalidResponseError);
    expect(garbage).toMatchObject({ code: 'invalid_response', status: 200, body: '{not json' });
    const shape = (await failure(client.sendMessage(SCOPE, message))) as AmojoInvalidResponseError;
    expect(shape.issues[0]!.path).toEqual(['new_message', 'msgid']);
    expect(amojo.requests).toHaveLength(2);
  });

  it('905 without error text → AmojoInvalidRequestError before anything is sent', async () => {
    const err = await failure(clientWith().setDeliveryStatus(SCOPE, 'x', { delivery_status: -1, error_code: 905 }));
    expect(err).toBeInstanceOf(AmojoInvalidRequestError);
    expect(err.code).toBe('invalid_request');
    expect((err as AmojoInvalidRequestError).issues[0]!.path).toEqual(['error']);
    expect(amojo.requests).toHaveLength(0);
  });

  it('other local validation: history limit > 50, a text message without text, an empty scope id', async () => {
    const client = clientWith();
    await expect(client.getHistory(SCOPE, 'chat', { limit: 51 })).rejects.toMatchObject({ code: 'invalid_request' });
    const noText = { ...message, message: { type: 'text', text: '' } } as typeof message;
    await expect(client.sendMessage(SCOPE, noText)).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(client.typing('', typingBody)).rejects.toMatchObject({ code: 'invalid_request' });
    expect(amojo.requests).toHaveLength(0);
  });
});
