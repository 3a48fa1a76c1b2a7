import { AMOJO_CONTENT_TYPE, EMPTY_BODY_MD5, formatAmojoDate, hmacSha1Hex, md5Hex } from '@amochan/amojo';
import { connectAccount, rawCall, startHarness, textMessage, type Harness } from './helpers';

/** The emulator refuses what amojo refuses, with amojo's status codes and error bodies. */

const INVALID_SIGNATURE = {
  status: 0,
  error_code: 403,
  error_type: 'ORIGIN_INVALID_SIGNATURE',
  error_description: 'invalid signature',
};

let h: Harness;
let scopeId: string;
let connectPath: string;
let messagePath: string;
const reasons: Array<string | null> = [];

beforeAll(async () => {
  h = await startHarness();
  scopeId = await connectAccount(h);
  connectPath = `/v2/origin/custom/${h.emu.channelId}/connect`;
  messagePath = `/v2/origin/custom/${scopeId}`;
  h.emu.control.on('request', (e) => reasons.push(e.reason));
});
afterAll(() => h.close());

const connectBody = JSON.stringify({ account_id: 'acc-x', hook_api_version: 'v2' });
const lastReason = (): string | null => reasons[reasons.length - 1] ?? null;

test('a correctly signed request passes (control for the cases below)', async () => {
  const res = await rawCall(h.emu, h.clock, { method: 'POST', path: connectPath, body: connectBody });
  expect(res.status).toBe(200);
});

test('a wrong method is answered like an unknown path (404: amojo documents no 405)', async () => {
  const body = JSON.stringify({ account_id: 'acc-x' });
  const post = await rawCall(h.emu, h.clock, { method: 'POST', path: `/v2/origin/custom/${h.emu.channelId}/disconnect`, body });
  expect(post.status).toBe(404);
  expect(post.headers.get('allow')).toBeNull();
  expect(post.json).toMatchObject({ status: 0, error_code: 404 });
  const get = await rawCall(h.emu, h.clock, { method: 'GET', path: connectPath });
  expect(get.status).toBe(404);
});

test('unknown endpoint is 404', async () => {
  const res = await rawCall(h.emu, h.clock, { method: 'POST', path: `${messagePath}/nope`, body: '{}' });
  expect(res.status).toBe(404);
});

test('a client that signed the query string is refused', async () => {
  const chat = await h.client.sendMessage(scopeId, textMessage('conv-verify'));
  const path = `${messagePath}/chats/${chat.new_message.conversation_id}/history?limit=10&offset=0`;
  // signRequest strips the query (correctly), so build the faulty signature by hand from the SDK's pieces.
  const date = formatAmojoDate(h.clock.date());
  const faulty = hmacSha1Hex(h.emu.secret, ['GET', EMPTY_BODY_MD5, AMOJO_CONTENT_TYPE, date, path].join('\n'));
  const res = await rawCall(h.emu, h.clock, { method: 'GET', path, date, headers: { 'X-Signature': faulty } });
  expect(res.status).toBe(403);
  expect(res.json).toEqual(INVALID_SIGNATURE);
  expect(lastReason()).toBe('signature');
  const good = await rawCall(h.emu, h.clock, { method: 'GET', path });
  expect(good.status).toBe(200);
});

test('a Date more than 15 minutes off the emulator clock is refused, either way; inside the window passes', async () => {
  for (const offset of [-15 * 60_000 - 2000, 15 * 60_000 + 2000]) {
    const res = await rawCall(h.emu, h.clock, { method: 'POST', path: connectPath, body: connectBody, date: new Date(h.clock.now() + offset) });
    expect(res.status).toBe(403);
    expect(res.json).toEqual(INVALID_SIGNATURE);
    expect(lastReason()).toBe('date_out_of_window');
  }
  const ok = await rawCall(h.emu, h.clock, { method: 'POST', path: connectPath, body: connectBody, date: new Date(h.clock.now() - 14 * 60_000) });
  expect(ok.status).toBe(200);
  const garbage = await rawCall(h.emu, h.clock, { method: 'POST', path: connectPath, body: connectBody, date: 'yesterday' });
  expect(garbage.status).toBe(403);
});

test('a tampered body (bytes differ from what Content-MD5 and the signature cover) is refused', async () => {
  const res = await rawCall(h.emu, h.clock, { method: 'POST', path: connectPath, body: connectBody, sendBody: connectBody.replace('acc-x', 'acc-y') });
  expect(res.status).toBe(403);
  expect(lastReason()).toBe('content_md5');
});

test('the same JSON re-serialised differently no longer matches', async () => {
  const res = await rawCall(h.emu, h.clock, {
    method: 'POST',
    path: connectPath,
    body: connectBody,
    sendBody: JSON.stringify(JSON.parse(connectBody), null, 1),
  });
  expect(res.status).toBe(403);
});

test('an MD5 that matches tampered bytes does not save the signature', async () => {
  const tampered = connectBody.replace('acc-x', 'acc-y');
  const res = await rawCall(h.emu, h.clock, {
    method: 'POST',
    path: connectPath,
    body: connectBody,
    sendBody: tampered,
    headers: { 'Content-MD5': md5Hex(tampered) },
  });
  expect(res.status).toBe(403);
  expect(lastReason()).toBe('signature');
});

test('a wrong secret is refused with the exact 403 body', async () => {
  const res = await rawCall(h.emu, h.clock, { method: 'POST', path: connectPath, body: connectBody, secret: 'f'.repeat(40) });
  expect(res.status).toBe(403);
  expect(res.text).toBe(JSON.stringify(INVALID_SIGNATURE));
  expect(lastReason()).toBe('signature');
});

test('Content-Type with a charset is refused', async () => {
  const res = await rawCall(h.emu, h.clock, {
    method: 'POST',
    path: connectPath,
    body: connectBody,
    headers: { 'Content-Type': 'application/json; charset=utf-8' },
  });
  expect(res.status).toBe(403);
  expect(lastReason()).toBe('content_type');
});

test.each(['Date', 'Content-MD5', 'X-Signature'])('a missing %s header is refused', async (name) => {
  const res = await rawCall(h.emu, h.clock, { method: 'POST', path: connectPath, body: connectBody, headers: { [name]: undefined } });
  expect(res.status).toBe(403);
  expect(lastReason()).toBe('missing_header');
});

test('a signature made for another method is refused', async () => {
  const res = await rawCall(h.emu, h.clock, {
    method: 'DELETE',
    signMethod: 'POST',
    path: `/v2/origin/custom/${h.emu.channelId}/disconnect`,
    body: '{"account_id":"acc-x"}',
  });
  expect(res.status).toBe(403);
});

test('a GET must still carry the md5 of the empty body', async () => {
  const chat = await h.client.sendMessage(scopeId, textMessage('conv-md5'));
  const path = `${messagePath}/chats/${chat.new_message.conversation_id}/history`;
  const res = await rawCall(h.emu, h.clock, { method: 'GET', path, headers: { 'Content-MD5': EMPTY_BODY_MD5.replace('d4', 'd5') } });
  expect(res.status).toBe(403);
});

test('a duplicate msgid within a scope is 400 ORIGIN_DUPLICATE_MSGID', async () => {
  const payload = { ...textMessage('conv-dup'), timestamp: 1714557600, msec_timestamp: 1714557600000 };
  const body = JSON.stringify({ event_type: 'new_message', payload });
  expect((await rawCall(h.emu, h.clock, { method: 'POST', path: messagePath, body })).status).toBe(200);
  const again = await rawCall(h.emu, h.clock, { method: 'POST', path: messagePath, body });
  expect(again.status).toBe(400);
  expect(again.text).toBe('{"status":0,"error_code":400,"error_type":"ORIGIN_DUPLICATE_MSGID","error_description":"message with this msgid already exists"}');
});

test('an unknown channel is 403 (no secret can have signed it); an unknown (or disconnected) scope is 404', async () => {
  const body = JSON.stringify({ event_type: 'new_message', payload: textMessage('c') });
  const noChannel = await rawCall(h.emu, h.clock, { method: 'POST', path: '/v2/origin/custom/00000000-0000-4000-8000-000000000000_acc', body });
  expect(noChannel.status).toBe(403);
  expect(noChannel.json).toEqual(INVALID_SIGNATURE);
  const noScope = await rawCall(h.emu, h.clock, { method: 'POST', path: `/v2/origin/custom/${h.emu.channelId}_never-connected`, body });
  expect(noScope.status).toBe(404);
  expect(noScope.json).toMatchObject({ error_code: 404, error_type: 'ORIGIN_SCOPE_NOT_FOUND' });
});

test('history limit above 50 is 400', async () => {
  const chat = await h.client.sendMessage(scopeId, textMessage('conv-limit'));
  const path = `${messagePath}/chats/${chat.new_message.conversation_id}/history?limit=51`;
  const res = await rawCall(h.emu, h.clock, { method: 'GET', path });
  expect(res.status).toBe(400);
  expect(res.json).toMatchObject({ status: 0, error_code: 400, error_type: 'ORIGIN_INVALID_REQUEST' });
  expect((await rawCall(h.emu, h.clock, { method: 'GET', path: path.replace('limit=51', 'limit=50') })).status).toBe(200);
});

test('malformed JSON and schema violations are 400 in amojo error shape', async () => {
  const broken = await rawCall(h.emu, h.clock, { method: 'POST', path: messagePath, body: '{"event_type":' });
  expect(broken.status).toBe(400);
  expect(broken.json).toMatchObject({ status: 0, error_code: 400, error_type: 'ORIGIN_INVALID_REQUEST' });
  const noText = await rawCall(h.emu, h.clock, {
    method: 'POST',
    path: messagePath,
    body: JSON.stringify({ event_type: 'new_message', payload: { ...textMessage('c'), timestamp: 1, msec_timestamp: 1000, message: { type: 'text' } } }),
  });
  expect(noText.status).toBe(400);
  const fileWithoutName = await rawCall(h.emu, h.clock, {
    method: 'POST',
    path: messagePath,
    body: JSON.stringify({
      event_type: 'new_message',
      payload: { ...textMessage('c'), timestamp: 1, msec_timestamp: 1000, message: { type: 'file', media: 'https://x.test/a.pdf' } },
    }),
  });
  expect(fileWithoutName.status).toBe(400);
  const v1 = await rawCall(h.emu, h.clock, { method: 'POST', path: connectPath, body: JSON.stringify({ account_id: 'acc-v1' }) });
  expect(v1.status).toBe(400);
});
