import { createAmojoClient, noRetry, verifyWebhookSignature } from '@amochan/amojo';
import type { ChannelRecord, ChatRecord, MessageRecord, ScopeRecord } from '../src';
import { connectAccount, startHarness, startReceiver, textMessage, uniq, type Harness, type Receiver } from './helpers';

/** The same control API over HTTP under /_emulator: JSON, no signing. */

let h: Harness;
let rx: Receiver;
let scopeId: string;

beforeAll(async () => {
  rx = await startReceiver();
  h = await startHarness();
  scopeId = await connectAccount(h);
});
afterAll(async () => {
  await h.close();
  await rx.close();
});

async function call<T = unknown>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(`${h.emu.url}/_emulator${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as T };
}

test('webhook-url, manager-reply, write-first, typing and react drive signed hooks', async () => {
  expect((await call('POST', '/webhook-url', { url: rx.url })).status).toBe(200);
  const conv = uniq('conv-http');
  const sent = await h.client.sendMessage(scopeId, textMessage(conv));
  const reply = await call<{ messageId: string; webhook: { ok: boolean } }>('POST', '/manager-reply', { scopeId, conversationId: conv, text: 'over http' });
  expect(reply.status).toBe(200);
  expect(reply.json.webhook.ok).toBe(true);
  const wf = await call<{ chatId: string; userId: string }>('POST', '/write-first', { scopeId, phone: '+79001112233', text: 'hello' });
  expect(wf.status).toBe(200);
  expect((await call('POST', '/typing', { scopeId, chatId: sent.new_message.conversation_id })).status).toBe(200);
  expect((await call('POST', '/react', { scopeId, chatId: sent.new_message.conversation_id, messageId: sent.new_message.msgid, emoji: '👍' })).status).toBe(
    200,
  );
  expect(rx.hooks).toHaveLength(4);
  for (const hook of rx.hooks) expect(verifyWebhookSignature(hook.body, hook.headers['x-signature'] as string, h.emu.secret)).toBe(true);
  const log = await call<Array<{ kind: string }>>('GET', '/webhooks');
  expect(log.json.map((a) => a.kind)).toEqual(['message', 'message', 'typing', 'reaction']);
});

test('listing routes mirror the in-process ones', async () => {
  const conns = await call<ScopeRecord[]>('GET', '/connections');
  expect(conns.json.map((c) => c.scopeId)).toContain(scopeId);
  const chats = await call<ChatRecord[]>('GET', `/chats?scope_id=${scopeId}`);
  expect(chats.json).toEqual(h.emu.control.listChats(scopeId));
  const chatId = chats.json[0]!.id;
  const messages = await call<MessageRecord[]>('GET', `/messages?scope_id=${scopeId}&chat_id=${chatId}`);
  expect(messages.json.length).toBeGreaterThan(0);
  expect(messages.json.every((m) => m.chatId === chatId)).toBe(true);
  const one = await call<MessageRecord>('GET', `/messages/${messages.json[0]!.id}`);
  expect(one.json).toEqual(h.emu.control.getMessage(messages.json[0]!.id));
  expect((await call('GET', '/messages/nope')).status).toBe(404);
  expect((await call<unknown[]>('GET', `/leads?scope_id=${scopeId}`)).json.length).toBeGreaterThan(0);
  expect((await call<unknown[]>('GET', `/users?scope_id=${scopeId}`)).json.length).toBeGreaterThan(0);
  expect((await call('GET', '/typing')).status).toBe(200);
});

test('fault routes set and clear faults', async () => {
  const set = await call('POST', '/faults/fail-next', { count: 1, status: 503, retryAfter: 2 });
  expect(set.json).toMatchObject({ failNext: { remaining: 1, status: 503 } });
  const res = await fetch(`${h.emu.url}/v2/origin/custom/${scopeId}`, { method: 'POST', body: '{}' });
  expect(res.status).toBe(503);
  expect(res.headers.get('retry-after')).toBe('2');
  expect((await call('POST', '/faults/latency', { ms: 5 })).json).toMatchObject({ latencyMs: 5 });
  expect((await call('POST', '/faults/drop-webhooks', { count: 'all' })).json).toMatchObject({ dropWebhooks: 'all' });
  expect((await call('POST', '/faults/clear')).json).toEqual({ failNext: null, latencyMs: 0, dropWebhooks: 0 });
  expect((await call('GET', '/faults')).json).toEqual({ failNext: null, latencyMs: 0, dropWebhooks: 0 });
});

test('errors come back as {error:{code,message}} with a fitting status', async () => {
  const bad = await call<{ error: { code: string; message: string } }>('POST', '/manager-reply', { scopeId });
  expect(bad.status).toBe(400);
  expect(bad.json.error.code).toBe('invalid_argument');
  const unknown = await call<{ error: { code: string } }>('POST', '/manager-reply', { scopeId: 'nope', chatId: 'x', text: 'x' });
  expect(unknown.status).toBe(404);
  expect(unknown.json.error.code).toBe('unknown_scope');
  const res = await fetch(`${h.emu.url}/_emulator/faults/latency`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{' });
  expect(res.status).toBe(400);
  expect((await call('GET', '/nothing-here')).status).toBe(404);
});

test('a second channel with its own secret: its scopes verify with its secret only', async () => {
  const added = await call<ChannelRecord>('POST', '/channels', { id: 'b1b2c3d4-0000-4000-8000-000000000001', secret: 'c'.repeat(40), webhookUrl: rx.url });
  expect(added.status).toBe(201);
  expect((await call('POST', '/channels', { id: added.json.id })).status).toBe(409);
  const second = createAmojoClient({ channelId: added.json.id, secret: 'c'.repeat(40), baseUrl: h.emu.url, clock: h.clock.date, retry: noRetry });
  const conn = await second.connect({ account_id: 'acc-second' });
  expect(conn.scope_id).toBe(`${added.json.id}_acc-second`);
  const wrong = createAmojoClient({ channelId: added.json.id, secret: h.emu.secret, baseUrl: h.emu.url, clock: h.clock.date, retry: noRetry });
  await expect(wrong.connect({ account_id: 'acc-second' })).rejects.toMatchObject({ code: 'signature_rejected' });
  const sent = await second.sendMessage(conn.scope_id, textMessage('conv-second'));
  rx.hooks.length = 0;
  await h.emu.control.managerReply({ scopeId: conn.scope_id, chatId: sent.new_message.conversation_id!, text: 'from channel 2' });
  expect(verifyWebhookSignature(rx.hooks[0]!.body, rx.hooks[0]!.headers['x-signature'] as string, 'c'.repeat(40))).toBe(true);
  expect(verifyWebhookSignature(rx.hooks[0]!.body, rx.hooks[0]!.headers['x-signature'] as string, h.emu.secret)).toBe(false);
});

test('the events stream relays request events as server-sent events', async () => {
  const controller = new AbortController();
  const res = await fetch(`${h.emu.url}/_emulator/events`, { signal: controller.signal });
  expect(res.headers.get('content-type')).toBe('text/event-stream');
  const reader = res.body!.getReader();
  await reader.read(); // the greeting comment
  await h.client.connect({ account_id: 'acc-sse' });
  let text = '';
  while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
  expect(text).toMatch(/^event: request\ndata: \{/);
  expect(JSON.parse(text.split('data: ')[1]!.trim())).toMatchObject({ endpoint: 'connect', status: 200 });
  controller.abort();
});

test('reset forgets conversations, connections, the log and faults, but keeps channels', async () => {
  h.emu.control.latency(1);
  expect((await call('POST', '/reset')).status).toBe(200);
  expect(h.emu.control.listConnections()).toEqual([]);
  expect(h.emu.control.listChats()).toEqual([]);
  expect(h.emu.control.listMessages()).toEqual([]);
  expect(h.emu.control.webhookLog()).toEqual([]);
  expect(h.emu.control.faults().latencyMs).toBe(0);
  expect(h.emu.control.listChannels().map((c) => c.id)).toContain(h.emu.channelId);
  expect((await call<ChannelRecord[]>('GET', '/channels')).json.length).toBe(2);
});
