import { rmSync } from 'node:fs';
import { signWebhookBody } from '@amochan/amojo';
import { startEmulator, type RunningEmulator } from '@amochan/amojo-emulator';
import { sampleMessages } from '../support/message-samples';
import { startProviderServer, WEBHOOK_SECRET, type ProviderServer } from '../support/provider-server';
import { call } from '../support/http-client';
import { assertBuilt, makeTempDir, runCliProcess, serverEnv, startConnectedServer, type ServerProcess } from '../support/server-process';
import { waitFor } from '../support/wait';
import { amojoMsgidFor } from '../../src/services/amojo-msgid';

/**
 * Relay end to end: the built server process (SQLite), the emulator playing amojo on loopback and a
 * provider HTTP server on loopback. Small backoff settings keep retries and dead letters quick.
 */
jest.setTimeout(90_000);

const TOKEN = 'e2e-relay-token';
const bearer = { Authorization: `Bearer ${TOKEN}` };
const URL_MEDIA = 'https://cdn.example.com/files/1.jpg';

let dir: string;
let emulator: RunningEmulator;
let provider: ProviderServer;
let server: ServerProcess;
let env: Record<string, string>;
let scopeId: string;

const api = (p: string, body?: unknown, method: 'GET' | 'POST' = body === undefined ? 'GET' : 'POST') => call(`${server.url}/api/v1${p}`, method, body, bearer);
const amojoMessages = () => emulator.control.listMessages({ scopeId });
const byMsgid = (msgid: string) => amojoMessages().filter((m) => m.clientMsgId === amojoMsgidFor('alice', msgid));
const eventsFor = (amojoMsgId: string) => provider.accepted.filter((e) => e.body.type === 'message.created' && e.body.data.id === amojoMsgId);
const send = async (conversation_id: string, message: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
  const res = await api('/messages', { account: 'alice', conversation_id, sender: { id: `${conversation_id}-customer`, name: 'Customer' }, message, ...extra });
  expect(res.status).toBe(202);
  return res.body as { id: string; msgid: string; status: string };
};

beforeAll(async () => {
  assertBuilt();
  dir = makeTempDir('e2e-relay');
  emulator = await startEmulator();
  provider = await startProviderServer(WEBHOOK_SECRET);
  env = serverEnv(
    { dir, emulator, apiToken: TOKEN, providerUrl: provider.url, providerSecret: WEBHOOK_SECRET },
    { PROVIDER_WEBHOOK_TIMEOUT_MS: '2000', OUTBOX_POLL_MS: '25', OUTBOX_BASE_DELAY_MS: '40', OUTBOX_MAX_DELAY_MS: '300', OUTBOX_MAX_ATTEMPTS: '6' },
  );
  ({ server, scopeId } = await startConnectedServer(env, emulator));
});

afterAll(async () => {
  if (server) {
    expect(await server.stop()).toBe(0);
    for (const secret of [emulator.secret, TOKEN, WEBHOOK_SECRET, 'alice-pass']) expect(server.stdout()).not.toContain(secret);
  }
  await emulator?.close();
  await provider?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  provider.respond(null);
  emulator.control.clearFaults();
});

describe('relay against the real server process', () => {
  it('delivers account.connected to the provider, signed', async () => {
    const event = await waitFor(() => provider.accepted.find((e) => e.body.type === 'account.connected'), 'account.connected');
    expect(event.verified).toBe(true);
    expect(event.body).toMatchObject({ account: 'alice', id: expect.stringMatching(/^evt_/) });
  });

  it('each message type reaches amoCRM', async () => {
    const messages = sampleMessages(URL_MEDIA);
    const accepted: Array<{ type: string; id: string; msgid: string }> = [];
    for (const [type, message] of Object.entries(messages)) accepted.push({ type, ...(await send('conv-types', message)) });
    for (const a of accepted) {
      const [m] = await waitFor(() => byMsgid(a.msgid).length === 1 && byMsgid(a.msgid), `${a.type} in amojo`);
      expect(m!.message.type).toBe(a.type);
    }
    expect(byMsgid(accepted[7]!.msgid)[0]!.message).toMatchObject({ location: { lon: 37.62, lat: 55.75 } });
    expect(byMsgid(accepted[8]!.msgid)[0]!.message).toMatchObject({ contact: { name: 'Ann', phone: '+79990001122' } });
    const view = await waitFor(async () => {
      const v = (await api(`/messages/${accepted[0]!.id}`)).body!;
      return v.status === 'sent' && v;
    }, 'sent state');
    expect(view).toMatchObject({ direction: 'inbound', attempts: 1, amojo_msgid: byMsgid(accepted[0]!.msgid)[0]!.id });
    // Same msgid again: same answer, nothing sent twice.
    const again = await api('/messages', {
      account: 'alice',
      conversation_id: 'conv-types',
      msgid: accepted[0]!.msgid,
      sender: { id: 'x', name: 'x' },
      message: messages.text,
    });
    expect(again.body).toEqual({ id: accepted[0]!.id, msgid: accepted[0]!.msgid, status: 'queued' });
    expect(byMsgid(accepted[0]!.msgid)).toHaveLength(1);
  });

  it('a manager reply reaches the provider as a signed message.created; statuses reach amoCRM', async () => {
    await send('conv-reply', { type: 'text', text: 'question' });
    await waitFor(() => emulator.control.listChats(scopeId).find((c) => c.conversationId === 'conv-reply'), 'chat');
    const reply = await emulator.control.managerReply({ scopeId, conversationId: 'conv-reply', text: 'answer' });
    expect(reply.webhook.status).toBe(200);
    const [event] = await waitFor(() => eventsFor(reply.messageId).length > 0 && eventsFor(reply.messageId), 'event');
    expect(event!.verified).toBe(true);
    expect(event!.headers['x-amochan-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(event!.body.data).toMatchObject({
      conversation: { id: 'conv-reply', ref_id: reply.chatId },
      receiver: { id: 'conv-reply-customer' },
      message: { type: 'text', text: 'answer' },
    });

    for (const [status, code] of [
      ['delivered', 1],
      ['read', 2],
      ['failed', -1],
    ] as const) {
      const body = status === 'failed' ? { status, error: 'phone unreachable' } : { status };
      expect((await api(`/messages/${reply.messageId}/status`, body)).status).toBe(202);
      await waitFor(() => emulator.control.getMessage(reply.messageId)?.deliveryStatus?.status === code, `${status} in amojo`);
    }
    expect(emulator.control.getMessage(reply.messageId)!.deliveryStatus).toMatchObject({ errorCode: 905, error: 'phone unreachable' });
  });

  it('write first: round trip binds the chat', async () => {
    const wf = await emulator.control.writeFirst({ scopeId, phone: '+7 916 555-44-33', text: 'Your order is ready' });
    const [event] = await waitFor(() => eventsFor(wf.messageId).length > 0 && eventsFor(wf.messageId), 'write-first event');
    expect(event!.body.data).toMatchObject({ conversation: { id: null, ref_id: wf.chatId }, receiver: { id: null, ref_id: wf.userId, phone: '79165554433' } });
    const answer = await api('/messages', {
      account: 'alice',
      conversation_id: 'conv-wf',
      conversation_ref_id: event!.body.data.conversation.ref_id,
      sender: { id: 'wf-customer', name: 'Buyer', ref_id: event!.body.data.receiver.ref_id, phone: '+79165554433' },
      message: { type: 'text', text: 'Thanks, coming' },
    });
    const [m] = await waitFor(() => byMsgid(answer.body!.msgid).length === 1 && byMsgid(answer.body!.msgid), 'answer in amojo');
    expect(m!.chatId).toBe(wf.chatId);
    expect(emulator.control.listChats(scopeId).find((c) => c.id === wf.chatId)).toMatchObject({ conversationId: 'conv-wf' });
    const reply = await emulator.control.managerReply({ scopeId, chatId: wf.chatId, text: 'See you' });
    const [bound] = await waitFor(() => eventsFor(reply.messageId).length > 0 && eventsFor(reply.messageId), 'bound reply');
    expect(bound!.body.data.conversation).toEqual({ id: 'conv-wf', ref_id: wf.chatId });
  });

  it('a re-POSTed hook is a duplicate (200, one event); a bad signature is 401', async () => {
    const reply = await emulator.control.managerReply({ scopeId, conversationId: 'conv-reply', text: 'once' });
    await waitFor(() => eventsFor(reply.messageId).length > 0, 'event');
    const attempt = emulator.control.webhookLog().find((w) => w.messageId === reply.messageId)!;
    const hookUrl = `${server.url}/amojo/v1/webhook/${scopeId}`;
    const again = await fetch(hookUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Signature': attempt.signature },
      body: attempt.body,
    });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ status: 'duplicate' });
    const bad = await fetch(hookUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Signature': signWebhookBody(attempt.body, 'not-the-secret') },
      body: attempt.body,
    });
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_signature');
    await new Promise((r) => setTimeout(r, 200));
    expect(eventsFor(reply.messageId)).toHaveLength(1);
  });

  it('provider down then up: the event arrives exactly once', async () => {
    const port = provider.port;
    await provider.close();
    const reply = await emulator.control.managerReply({ scopeId, conversationId: 'conv-reply', text: 'while you were away' });
    await waitFor(async () => ((await api(`/messages/${reply.messageId}`)).body!.attempts as number) >= 2, 'failed attempts');
    expect((await api(`/messages/${reply.messageId}`)).body).toMatchObject({
      status: 'queued',
      last_error: expect.stringContaining('could not reach the provider'),
    });
    const previous = provider;
    provider = await startProviderServer(WEBHOOK_SECRET, port);
    await waitFor(() => eventsFor(reply.messageId).length > 0, 'event after restart');
    await new Promise((r) => setTimeout(r, 300));
    expect(eventsFor(reply.messageId)).toHaveLength(1);
    expect(previous.received.filter((e) => e.body.data?.id === reply.messageId)).toHaveLength(0);
    expect((await api(`/messages/${reply.messageId}`)).body!.status).toBe('sent');
  });

  it('amojo down then up: the message arrives exactly once', async () => {
    emulator.control.failNext(3, 503);
    const sent = await send('conv-amojo-down', { type: 'text', text: 'retry me' });
    await waitFor(() => byMsgid(sent.msgid).length > 0, 'message in amojo');
    await new Promise((r) => setTimeout(r, 300));
    expect(byMsgid(sent.msgid)).toHaveLength(1);
    expect((await api(`/messages/${sent.id}`)).body).toMatchObject({ status: 'sent', attempts: 4 });
  });

  it('order is kept within a conversation under retries', async () => {
    await send('conv-order', { type: 'text', text: 'warm-up' });
    await waitFor(() => emulator.control.listChats(scopeId).find((c) => c.conversationId === 'conv-order'), 'chat');
    emulator.control.failNext(4, 502);
    const sent: Array<{ id: string; msgid: string }> = [];
    for (let i = 0; i < 6; i++) sent.push(await send('conv-order', { type: 'text', text: `n${i}` }));
    await waitFor(() => sent.every((s) => byMsgid(s.msgid).length === 1), 'all in amojo');
    const order = amojoMessages()
      .filter((m) => sent.some((s) => amojoMsgidFor('alice', s.msgid) === m.clientMsgId))
      .map((m) => (m.message as { text: string }).text);
    expect(order).toEqual(['n0', 'n1', 'n2', 'n3', 'n4', 'n5']);

    // And toward the provider: it refuses the first two deliveries, the replies still arrive in order.
    let refusals = 2;
    provider.respond(() => (refusals-- > 0 ? { status: 500, body: 'busy' } : undefined));
    const replies: Array<{ messageId: string }> = [];
    for (let i = 0; i < 4; i++) replies.push(await emulator.control.managerReply({ scopeId, conversationId: 'conv-order', text: `r${i}` }));
    await waitFor(() => replies.every((r) => eventsFor(r.messageId).length === 1), 'all replies at the provider');
    const got = provider.accepted.filter((e) => replies.some((r) => r.messageId === e.body.data?.id)).map((e) => e.body.data.message.text);
    expect(got).toEqual(['r0', 'r1', 'r2', 'r3']);
  });

  it('a dead event is reported to amoCRM (903) and delivered once after `outbox retry --dead`', async () => {
    provider.respond(() => ({ status: 503 }));
    const reply = await emulator.control.managerReply({ scopeId, conversationId: 'conv-reply', text: 'doomed for now' });
    await waitFor(() => emulator.control.getMessage(reply.messageId)?.deliveryStatus?.status === -1, 'dead reported', 15_000);
    expect(emulator.control.getMessage(reply.messageId)!.deliveryStatus).toMatchObject({ errorCode: 903 });
    expect((await api(`/messages/${reply.messageId}`)).body).toMatchObject({ status: 'dead', attempts: 6 });

    const listed = await runCliProcess(['outbox', 'list', '--dead', '--json'], env);
    expect(listed.code).toBe(0);
    const dead = listed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; state: string; attempts: number });
    expect(dead.some((d) => d.state === 'dead' && d.attempts === 6)).toBe(true);

    provider.respond(null);
    const retried = await runCliProcess(['outbox', 'retry', '--dead'], env);
    expect(retried).toMatchObject({ code: 0, stdout: expect.stringMatching(/queued for retry/) });
    await waitFor(() => eventsFor(reply.messageId).length === 1, 'delivered after retry', 10_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(eventsFor(reply.messageId)).toHaveLength(1);
    expect((await api(`/messages/${reply.messageId}`)).body).toMatchObject({ status: 'sent' });
    expect((await runCliProcess(['outbox', 'list', '--dead'], env)).stdout).toBe('no dead entries\n');
  });
});
