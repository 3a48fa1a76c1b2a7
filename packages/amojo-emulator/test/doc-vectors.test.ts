import { randomUUID } from 'node:crypto';
import { startEmulator, type RunningEmulator } from '../src';

/*
 * The official docs' captured requests, byte for byte with their headers, are accepted: proof that
 * the emulator checks signatures the way amojo computed them (PHP-escaped body, unsigned query).
 */

const SECRET_A = 'f2d7f8704eff95087ed45b23ba99c0b5aac8278e';
const CHANNEL_A = '344a5002-f8ca-454d-af3d-396180102ac7';
const ACCOUNT_A = '52e591f7-c98f-4255-8495-827210138c81';
const SECRET_B = '5a44c5dff55f3c15a4cce8d7c4cc27e207c7e189';
const CHANNEL_B = 'f90ba33d-c9d9-44da-b76c-c349b0ecbe41';
const ACCOUNT_B = 'af9945ff-1490-4cad-807d-945c15d88bec';
const CHAT_B = '6cbab3d5-c4c1-46ff-b710-ad59ad10805f';

const NEW_MESSAGE_BODY =
  '{"event_type":"new_message","payload":{"timestamp":1639660529,"msec_timestamp":1639660529379,"msgid":"my_int-5f2836a8ca481","conversation_id":"my_int-d5a421f7f218","sender":{"id":"my_int-1376265f-86df-4c49-a0c3-a4816df41af8","avatar":"https:\\/\\/images.pexels.com\\/photos\\/10050979\\/pexels-photo-10050979.jpeg?auto=compress&cs=tinysrgb&dpr=2&w=500","profile":{"phone":"+79151112233","email":"example.client@example.com"},"profile_link":"https:\\/\\/example.com\\/profile\\/example.client","name":"\\u0412\\u0430\\u0441\\u044f \\u043a\\u043b\\u0438\\u0435\\u043d\\u0442"},"message":{"type":"text","text":"\\u0421\\u043e\\u043e\\u0431\\u0449\\u0435\\u043d\\u0438\\u0435 \\u043e\\u0442 \\u043a\\u043b\\u0438\\u0435\\u043d\\u0442\\u0430"},"silent":false}}';

let now = 0;
const queuedIds: string[] = [];
let emu: RunningEmulator;

beforeAll(async () => {
  emu = await startEmulator({
    channelId: CHANNEL_A,
    secret: SECRET_A,
    clock: () => now,
    idGenerator: () => queuedIds.shift() ?? randomUUID(),
  });
  emu.control.addChannel({ id: CHANNEL_B, secret: SECRET_B });
});
afterAll(() => emu.close());

async function send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Response> {
  now = Date.parse(headers.Date!);
  return fetch(`${emu.url}${path}`, { method, headers: { 'Content-Type': 'application/json', ...headers }, ...(body === undefined ? {} : { body }) });
}

test("the docs' connect request", async () => {
  const res = await send(
    'POST',
    `/v2/origin/custom/${CHANNEL_A}/connect`,
    { Date: 'Wed, 15 Dec 2021 23:12:55 +0000', 'Content-MD5': '2fbcb3c652b61e24e004daddfc73d0ce', 'X-Signature': '81211856ce0c5095f3e1a90c0a38dc9d736cfd55' },
    `{"account_id":"${ACCOUNT_A}","title":"ChatsIntegration","hook_api_version":"v2"}`,
  );
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ account_id: ACCOUNT_A, scope_id: `${CHANNEL_A}_${ACCOUNT_A}`, title: 'ChatsIntegration', hook_api_version: 'v2' });
});

test("the docs' new_message request (PHP-escaped bytes)", async () => {
  const res = await send(
    'POST',
    `/v2/origin/custom/${CHANNEL_A}_${ACCOUNT_A}`,
    { Date: 'Thu, 16 Dec 2021 13:15:29 +0000', 'Content-MD5': '223ef85def871bc7cb58aa6f02f0a26e', 'X-Signature': '29b49e9eaf03f13a66ecaff315f2855b31b25eee' },
    NEW_MESSAGE_BODY,
  );
  expect(res.status).toBe(200);
  const body = (await res.json()) as { new_message: { msgid: string; ref_id: string } };
  expect(body.new_message.ref_id).toBe('my_int-5f2836a8ca481');
  const stored = emu.control.getMessage(body.new_message.msgid)!;
  expect(stored.message.text).toBe('Сообщение от клиента');
  const [user] = emu.control.listUsers(`${CHANNEL_A}_${ACCOUNT_A}`).filter((u) => u.role === 'client');
  expect(user).toMatchObject({ name: 'Вася клиент', phone: '79151112233', clientId: 'my_int-1376265f-86df-4c49-a0c3-a4816df41af8' });
});

test("the docs' history GET (query sent, not signed) on a second channel with its own secret", async () => {
  now = Date.parse('Mon, 03 Aug 2020 16:20:00 +0000');
  const connect = JSON.stringify({ account_id: ACCOUNT_B, hook_api_version: 'v2' });
  const { signRequest } = await import('@amochan/amojo');
  const path = `/v2/origin/custom/${CHANNEL_B}/connect`;
  const signed = signRequest({ method: 'POST', path, body: connect, secret: SECRET_B, date: new Date(now) });
  expect((await fetch(`${emu.url}${path}`, { method: 'POST', headers: { ...signed }, body: connect })).status).toBe(200);

  queuedIds.push(randomUUID(), CHAT_B); // the customer's id, then the chat's: the docs' chat id
  const chatBody = JSON.stringify({ conversation_id: 'conv-doc', user: { id: 'u-doc', name: 'Doc' } });
  const chatPath = `/v2/origin/custom/${CHANNEL_B}_${ACCOUNT_B}/chats`;
  const chatSigned = signRequest({ method: 'POST', path: chatPath, body: chatBody, secret: SECRET_B, date: new Date(now) });
  const chat = await fetch(`${emu.url}${chatPath}`, { method: 'POST', headers: { ...chatSigned }, body: chatBody });
  expect(((await chat.json()) as { id: string }).id).toBe(CHAT_B);

  const res = await send('GET', `/v2/origin/custom/${CHANNEL_B}_${ACCOUNT_B}/chats/${CHAT_B}/history?limit=50&offset=0`, {
    Date: 'Mon, 03 Aug 2020 16:23:14 +0000',
    'Content-MD5': 'd41d8cd98f00b204e9800998ecf8427e',
    'X-Signature': '5693447e362dcb3bc77abeb27888ff4a0ca53a1c',
  });
  expect(res.status).toBe(204); // no messages yet
});

test("the docs' connect signature does not verify against the other channel's secret", async () => {
  const res = await send(
    'POST',
    `/v2/origin/custom/${CHANNEL_B}/connect`,
    { Date: 'Wed, 15 Dec 2021 23:12:55 +0000', 'Content-MD5': '2fbcb3c652b61e24e004daddfc73d0ce', 'X-Signature': '81211856ce0c5095f3e1a90c0a38dc9d736cfd55' },
    `{"account_id":"${ACCOUNT_A}","title":"ChatsIntegration","hook_api_version":"v2"}`,
  );
  expect(res.status).toBe(403);
});
