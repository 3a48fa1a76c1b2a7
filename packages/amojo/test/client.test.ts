import { createAmojoClient, formatAmojoDate, md5Hex, noDelayRetry, verifySignedRequest, chatUserContacts } from '@amochan/amojo';
import type { AmojoClient } from '@amochan/amojo';
import { startMockAmojo } from './helpers/mock-amojo';
import type { MockAmojo, RecordedRequest } from './helpers/mock-amojo';

const SECRET = 'f2d7f8704eff95087ed45b23ba99c0b5aac8278e';
const CHANNEL = '344a5002-f8ca-454d-af3d-396180102ac7';
const SCOPE = `${CHANNEL}_52e591f7-c98f-4255-8495-827210138c81`;
const NOW = new Date(Date.UTC(2021, 11, 16, 13, 15, 29, 379));

let amojo: MockAmojo;
let client: AmojoClient;

beforeEach(async () => {
  amojo = await startMockAmojo();
  client = createAmojoClient({ channelId: CHANNEL, secret: SECRET, baseUrl: amojo.baseUrl, clock: () => NOW, retry: noDelayRetry() });
});
afterEach(() => amojo.close());

/** Recomputes the signature the way amojo does, from the bytes that actually arrived. */
function expectSigned(req: RecordedRequest): void {
  const h = req.headers;
  const verdict = verifySignedRequest({
    method: req.method,
    path: req.path,
    body: req.body,
    secret: SECRET,
    headers: {
      date: h.date as string,
      contentType: h['content-type'] as string,
      contentMd5: h['content-md5'] as string,
      signature: h['x-signature'] as string,
    },
  });
  expect(verdict).toEqual({ ok: true });
  expect(h.date).toBe(formatAmojoDate(NOW));
  expect(h['content-md5']).toBe(md5Hex(req.body));
}

describe('createAmojoClient — wire format', () => {
  it('connect: signed POST of the exact bytes, always hook_api_version v2, response parsed', async () => {
    amojo.reply({ body: { account_id: 'acc', scope_id: SCOPE, title: 'T', hook_api_version: 'v2', extra: 1 } });
    const res = await client.connect({ account_id: 'acc', title: 'T' });
    expect(res.scope_id).toBe(SCOPE);
    expect(res).toHaveProperty('extra', 1);
    const [req] = amojo.requests;
    expect(req).toMatchObject({ method: 'POST', url: `/v2/origin/custom/${CHANNEL}/connect` });
    expect(JSON.parse(req!.body)).toEqual({ account_id: 'acc', title: 'T', hook_api_version: 'v2' });
    expect(req!.headers['content-type']).toBe('application/json');
    expectSigned(req!);
  });

  it('connect: accepts a response with is_time_window_disabled', async () => {
    amojo.reply({ body: { account_id: 'acc', scope_id: SCOPE, title: 'T', hook_api_version: 'v2', is_time_window_disabled: true } });
    await expect(client.connect({ account_id: 'acc', is_time_window_disabled: true })).resolves.toMatchObject({ is_time_window_disabled: true });
  });

  it('disconnect: DELETE with a signed JSON body, empty answer', async () => {
    amojo.reply({ status: 200, body: '' });
    await expect(client.disconnect({ account_id: 'acc' })).resolves.toBeUndefined();
    const [req] = amojo.requests;
    expect(req).toMatchObject({ method: 'DELETE', url: `/v2/origin/custom/${CHANNEL}/disconnect`, body: '{"account_id":"acc"}' });
    expectSigned(req!);
  });

  it('createChat: accepts both user shapes amojo answers with', async () => {
    amojo.reply(
      { body: { id: 'chat-1', user: { id: 'u1', client_id: 'c1', name: 'N', phone: '+7916', email: 'a@b.c' } } },
      { body: { id: 'chat-1', user: { id: 'u1', client_id: 'c1', name: 'N', profile: { phone: '+7916', email: 'a@b.c' } } } },
    );
    const body = { conversation_id: 'conv-1', user: { id: 'c1', name: 'N', profile: { phone: '+7916' } } };
    const flat = await client.createChat(SCOPE, body);
    const nested = await client.createChat(SCOPE, body);
    expect(chatUserContacts(flat.user)).toEqual({ phone: '+7916', email: 'a@b.c' });
    expect(chatUserContacts(nested.user)).toEqual({ phone: '+7916', email: 'a@b.c' });
    expect(amojo.requests[0]).toMatchObject({ method: 'POST', url: `/v2/origin/custom/${SCOPE}/chats` });
    expectSigned(amojo.requests[1]!);
  });

  it('sendMessage: fills integer timestamps from the clock; a response with only msgid is enough', async () => {
    amojo.reply({ body: { new_message: { msgid: 'amojo-msg-1' } } });
    const res = await client.sendMessage(SCOPE, {
      msgid: 'm1',
      conversation_id: 'conv-1',
      sender: { id: 'c1', name: 'Вася' },
      message: { type: 'text', text: 'Привет / hi' },
    });
    expect(res.new_message.msgid).toBe('amojo-msg-1');
    const [req] = amojo.requests;
    expect(req!.url).toBe(`/v2/origin/custom/${SCOPE}`);
    const sent = JSON.parse(req!.body);
    expect(sent.event_type).toBe('new_message');
    expect(sent.payload).toMatchObject({ timestamp: 1639660529, msec_timestamp: 1639660529379, msgid: 'm1' });
    expectSigned(req!);
  });

  it('sendMessage: keeps caller timestamps', async () => {
    amojo.reply({ body: { new_message: { msgid: 'x' } } });
    await client.sendMessage(SCOPE, { timestamp: 100, msgid: 'm', conversation_id: 'c', sender: { id: 's' }, message: { type: 'text', text: 't' } });
    expect(JSON.parse(amojo.requests[0]!.body).payload).toMatchObject({ timestamp: 100, msec_timestamp: 100000 });
  });

  it('editMessage: event_type edit_message, empty answer tolerated', async () => {
    amojo.reply({ body: '' });
    await expect(client.editMessage(SCOPE, { msgid: 'm1', conversation_id: 'c', message: { type: 'text', text: 'new' } })).resolves.toEqual({});
    expect(JSON.parse(amojo.requests[0]!.body)).toMatchObject({ event_type: 'edit_message', payload: { msgid: 'm1', timestamp: 1639660529 } });
  });

  it('setDeliveryStatus: path and body carry the amojo msgid', async () => {
    amojo.reply({ body: '' });
    await client.setDeliveryStatus(SCOPE, 'amojo-msg-1', { delivery_status: -1, error_code: 905, error: 'blocked by user' });
    const [req] = amojo.requests;
    expect(req!.url).toBe(`/v2/origin/custom/${SCOPE}/amojo-msg-1/delivery_status`);
    expect(JSON.parse(req!.body)).toEqual({ msgid: 'amojo-msg-1', delivery_status: -1, error_code: 905, error: 'blocked by user' });
    expectSigned(req!);
  });

  it('getHistory: signed GET with md5(""), query sent but not signed; 200 parsed leniently', async () => {
    amojo.reply({ body: { messages: [{ timestamp: 1, message: { id: 'm', type: 'text', text: 'hi', file_name: '', extra: true } }] } });
    const res = await client.getHistory(SCOPE, 'chat-1', { offset: 0, limit: 50 });
    expect(res.messages[0]!.message).toMatchObject({ id: 'm', extra: true });
    const [req] = amojo.requests;
    expect(req).toMatchObject({ method: 'GET', url: `/v2/origin/custom/${SCOPE}/chats/chat-1/history?offset=0&limit=50`, body: '' });
    expect(req!.headers['content-md5']).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expectSigned(req!); // verified against the path without the query
  });

  it('getHistory: 204 means no messages', async () => {
    amojo.reply({ status: 204 });
    await expect(client.getHistory(SCOPE, 'chat-1')).resolves.toEqual({ messages: [] });
    expect(amojo.requests[0]!.url).toBe(`/v2/origin/custom/${SCOPE}/chats/chat-1/history`);
  });

  it('typing: 204 is success', async () => {
    amojo.reply({ status: 204 });
    await expect(client.typing(SCOPE, { conversation_id: 'c', sender: { id: 's' } })).resolves.toBeUndefined();
    expect(amojo.requests[0]).toMatchObject({ method: 'POST', url: `/v2/origin/custom/${SCOPE}/typing` });
  });

  it('react: posts to /react', async () => {
    amojo.reply({ body: '' });
    await client.react(SCOPE, { conversation_ref_id: 'chat', id: 'amojo-msg', user: { ref_id: 'u' }, type: 'react', emoji: '👍' });
    expect(amojo.requests[0]).toMatchObject({ url: `/v2/origin/custom/${SCOPE}/react` });
    expect(JSON.parse(amojo.requests[0]!.body).emoji).toBe('👍');
    expectSigned(amojo.requests[0]!);
  });

  it('sends a User-Agent, default or configured', async () => {
    const custom = createAmojoClient({ channelId: CHANNEL, secret: SECRET, baseUrl: `${amojo.baseUrl}/`, userAgent: 'my-bridge/2' });
    amojo.reply({ status: 204 }, { status: 204 });
    await client.typing(SCOPE, { conversation_id: 'c', sender: { id: 's' } });
    await custom.typing(SCOPE, { conversation_id: 'c', sender: { id: 's' } });
    expect(amojo.requests[0]!.headers['user-agent']).toMatch(/^amochan-amojo\//);
    expect(amojo.requests[1]!.headers['user-agent']).toBe('my-bridge/2');
    expect(amojo.requests[1]!.url).toBe(`/v2/origin/custom/${SCOPE}/typing`);
  });
});
