import { parseWebhook, verifyWebhookSignature, writeFirstMessageHookSchema } from '@amochan/amojo';
import { buildMessageHook, buildWriteFirstHook } from '@amochan/amojo/testing';
import { EmulatorError } from '../src';
import { ACCOUNT_ID, connectAccount, startHarness, startReceiver, textMessage, uniq, type Harness, type Receiver } from './helpers';

/** The control API acting as amoCRM: hooks are signed, shaped, sent once, and never retried. */

let h: Harness;
let rx: Receiver;
let scopeId: string;

beforeAll(async () => {
  rx = await startReceiver();
  h = await startHarness({ webhookUrl: rx.url, webhookTimeoutMs: 300 });
  scopeId = await connectAccount(h);
});
afterAll(async () => {
  await h.close();
  await rx.close();
});
beforeEach(() => {
  rx.hooks.length = 0;
  rx.status = 200;
  rx.delayMs = 0;
  h.emu.control.clearFaults();
});

const control = () => h.emu.control;

async function customerChat(): Promise<{ conv: string; chatId: string; msgid: string }> {
  const conv = uniq('conv-hook');
  const res = await h.client.sendMessage(scopeId, { ...textMessage(conv, 'hi', 'client-hook'), source: { external_id: 'src-1' } });
  return { conv, chatId: res.new_message.conversation_id!, msgid: res.new_message.msgid };
}

function onlyHook() {
  expect(rx.hooks).toHaveLength(1);
  const hook = rx.hooks[0]!;
  expect(verifyWebhookSignature(hook.body, hook.headers['x-signature'] as string, h.emu.secret)).toBe(true);
  const parsed = parseWebhook(hook.body);
  if (!parsed.ok) throw new Error(`hook does not parse: ${JSON.stringify(parsed.issues)}`);
  return { hook, parsed: parsed.hook, json: JSON.parse(hook.body.toString('utf8')) as Record<string, any> };
}

test('managerReply sends one v2 message hook to the scope URL, signed with the channel secret', async () => {
  const { conv, chatId } = await customerChat();
  const result = await control().managerReply({ scopeId, conversationId: conv, text: 'Здравствуйте!', markup: { buttons: [[{ text: 'Yes' }]] } });
  const { hook, parsed, json } = onlyHook();
  expect(hook.path).toBe(`/amojo/v1/webhook/${scopeId}`);
  expect(hook.headers['content-type']).toBe('application/json');
  expect(hook.headers['user-agent']).toBe('amoCRM amoJo/1.0');
  expect(hook.headers['x-signature']).toMatch(/^[0-9a-f]{40}$/);
  expect(parsed.kind).toBe('message');
  expect(json).toMatchObject({
    account_id: '52e591f7-c98f-4255-8495-827210138c81',
    time: Math.floor(h.clock.now() / 1000),
    message: {
      receiver: { id: expect.any(String), client_id: 'client-hook', phone: '79151112233', email: 'vasya@example.com' },
      sender: { id: expect.any(String) },
      conversation: { id: chatId, client_id: conv },
      source: { external_id: 'src-1' },
      timestamp: Math.floor(h.clock.now() / 1000),
      msec_timestamp: h.clock.now(),
      message: {
        id: result.messageId,
        type: 'text',
        text: 'Здравствуйте!',
        markup: { buttons: [[{ text: 'Yes' }]] },
        tag: '',
        media: '',
        thumbnail: '',
        file_name: '',
        file_size: 0,
      },
    },
  });
  // Exactly the documented fields: amoCRM sends no names in sender or receiver.
  expect(Object.keys(json.message.sender)).toEqual(['id']);
  expect(Object.keys(json.message.receiver).sort()).toEqual(['client_id', 'email', 'id', 'phone']);
  expect(result.webhook).toMatchObject({ ok: true, status: 200, url: `${rx.url.replace(':scope_id', scopeId)}`, kind: 'message', dropped: false });
  expect(control().webhookLog().at(-1)).toEqual(result.webhook);
  // The manager's message is in history for the integration too.
  const history = await h.client.getHistory(scopeId, chatId, { limit: 1 });
  expect(history.messages[0]!.message!.id).toBe(result.messageId);
  expect(history.messages[0]!.receiver).toMatchObject({ client_id: 'client-hook' });
});

test("manager reply and write-first hooks equal the documented shapes built independently by the SDK's testing builders", async () => {
  const { conv, chatId } = await customerChat();
  const reply = await control().managerReply({ scopeId, conversationId: conv, text: 'same shape?' });
  const got = onlyHook().json;
  expect(got).toEqual(
    buildMessageHook({
      accountId: ACCOUNT_ID,
      time: h.clock.seconds(),
      chatId,
      conversationId: conv,
      receiver: { id: got.message.receiver.id, clientId: 'client-hook', phone: '79151112233', email: 'vasya@example.com' },
      senderId: got.message.sender.id,
      messageId: reply.messageId,
      msecTimestamp: h.clock.now(),
      sourceExternalId: 'src-1',
      message: { text: 'same shape?' },
    }),
  );
  rx.hooks.length = 0;
  const wf = await control().writeFirst({ scopeId, phone: '79990005566', text: 'first!' });
  const wfHook = onlyHook().json;
  expect(wfHook).toEqual(
    buildWriteFirstHook({
      accountId: ACCOUNT_ID,
      time: h.clock.seconds(),
      chatId: wf.chatId,
      receiverId: wf.userId,
      phone: '79990005566',
      senderId: wfHook.message.sender.id,
      messageId: wf.messageId,
      msecTimestamp: h.clock.now(),
      message: { text: 'first!' },
    }),
  );
});

test('a media reply carries media, file name and size; chatId addresses the chat too', async () => {
  const { chatId } = await customerChat();
  await control().managerReply({ scopeId, chatId, type: 'file', media: 'https://amo.test/f.pdf', file_name: 'f.pdf', file_size: 12, media_group_id: 'g1' });
  const { json } = onlyHook();
  expect(json.message.message).toMatchObject({
    type: 'file',
    media: 'https://amo.test/f.pdf',
    file_name: 'f.pdf',
    file_size: 12,
    media_group_id: 'g1',
    text: '',
  });
});

test("writeFirst: no client ids, receiver.phone set, fresh receiver id; the customer's answer binds both ids", async () => {
  const result = await control().writeFirst({ scopeId, phone: '+7 999 000-11-22', text: 'Добрый день', name: 'Лид' });
  const { json } = onlyHook();
  expect(writeFirstMessageHookSchema.safeParse(json).success).toBe(true);
  expect(json.message.conversation).toEqual({ id: result.chatId });
  // No client_id (amojo does not know ours yet), the chosen phone, "" for the unknown email, no name.
  expect(json.message.receiver).toEqual({ id: result.userId, phone: '79990001122', email: '' });
  expect(json.message.message).toMatchObject({ id: result.messageId, text: 'Добрый день' });
  expect(
    control()
      .listUsers(scopeId)
      .map((u) => u.id),
  ).toContain(result.userId);

  // The customer answers; the integration sends ref ids from the hook (the write-first binding).
  const answer = await h.client.sendMessage(scopeId, {
    msgid: uniq('m'),
    conversation_id: 'conv-wf',
    conversation_ref_id: result.chatId,
    sender: { id: 'client-wf', ref_id: result.userId, name: 'Customer' },
    message: { type: 'text', text: 'answer' },
  });
  expect(answer.new_message).toMatchObject({ conversation_id: result.chatId, sender_id: result.userId });
  const chat = control()
    .listChats(scopeId)
    .find((c) => c.id === result.chatId)!;
  expect(chat).toMatchObject({ conversationId: 'conv-wf', origin: 'write_first', boundAt: h.clock.now(), clientUserId: result.userId });
  expect(
    control()
      .listUsers(scopeId)
      .find((u) => u.id === result.userId),
  ).toMatchObject({ clientId: 'client-wf' });
  // Written first from a lead: no extra unsorted lead.
  expect(
    control()
      .listLeads(scopeId)
      .filter((l) => l.chatId === result.chatId),
  ).toEqual([expect.objectContaining({ status: 'in_work', origin: 'write_first' })]);
  // Now the chat is known by conversation_id, and hooks carry our ids.
  rx.hooks.length = 0;
  await control().managerReply({ scopeId, conversationId: 'conv-wf', text: 'thanks' });
  expect(onlyHook().json.message).toMatchObject({
    conversation: { id: result.chatId, client_id: 'conv-wf' },
    receiver: { id: result.userId, client_id: 'client-wf' },
  });
});

test('binding refuses a conversation_ref_id already bound elsewhere and an unknown one', async () => {
  const wf = await control().writeFirst({ scopeId, phone: '79990003344', text: 'hi' });
  await h.client.sendMessage(scopeId, { ...textMessage('conv-bound-a', 'x', 'c-a'), conversation_ref_id: wf.chatId });
  await expect(h.client.sendMessage(scopeId, { ...textMessage('conv-bound-b', 'x', 'c-b'), conversation_ref_id: wf.chatId })).rejects.toMatchObject({
    status: 400,
  });
  await expect(
    h.client.sendMessage(scopeId, { ...textMessage('conv-bound-c'), conversation_ref_id: '00000000-0000-4000-8000-000000000000' }),
  ).rejects.toMatchObject({ status: 404 });
  // Nothing was half-created by the refused requests.
  expect(
    control()
      .listChats(scopeId)
      .some((c) => c.conversationId === 'conv-bound-b' || c.conversationId === 'conv-bound-c'),
  ).toBe(false);
});

test('writeFirst from a chosen source: the hook carries it as message.source.external_id, and the chat keeps it', async () => {
  const result = await control().writeFirst({ scopeId, phone: '79990003344', text: 'from the bot', sourceExternalId: 'amc_bot' });
  const { json } = onlyHook();
  expect(json.message.source).toEqual({ external_id: 'amc_bot' });
  expect(
    control()
      .listChats(scopeId)
      .find((c) => c.id === result.chatId)!.sourceExternalId,
  ).toBe('amc_bot');
});

test('typing and reaction hooks in the documented shapes', async () => {
  const { conv, chatId, msgid } = await customerChat();
  const managerId = control()
    .listConnections()
    .find((c) => c.scopeId === scopeId)!.managerId;
  await control().typing({ scopeId, chatId, expiresInMs: 10_000 });
  const typing = onlyHook();
  expect(typing.parsed.kind).toBe('typing');
  expect(typing.json.action.typing).toEqual({
    user: { id: managerId },
    conversation: { id: chatId, client_id: conv },
    expired_at: Math.floor((h.clock.now() + 10_000) / 1000),
  });

  rx.hooks.length = 0;
  await control().react({ scopeId, chatId, messageId: msgid, emoji: '❤️', type: 'react' });
  const reaction = onlyHook();
  expect(reaction.parsed.kind).toBe('reaction');
  expect(reaction.json.action.reaction).toMatchObject({ message: { id: msgid }, type: 'react', emoji: '❤️', conversation: { id: chatId, client_id: conv } });

  rx.hooks.length = 0;
  await control().react({ scopeId, conversationId: conv, messageId: msgid, type: 'unreact', shape: 'msgid' });
  const unreact = onlyHook();
  expect(unreact.json.action.reaction).toEqual({ msgid, user: { id: managerId }, conversation: { id: chatId, client_id: conv }, type: 'unreact' });
  expect(
    control()
      .getMessage(msgid)!
      .reactions.map((r) => r.by),
  ).toEqual(['manager', 'manager']);
});

test('a receiver answering 500 gets the hook once: no retry', async () => {
  const { chatId } = await customerChat();
  rx.status = 500;
  const result = await control().managerReply({ scopeId, chatId, text: 'lost?' });
  await new Promise((r) => setTimeout(r, 100));
  expect(rx.hooks).toHaveLength(1);
  expect(result.webhook).toMatchObject({ ok: false, status: 500, error: 'receiver answered 500' });
  expect(control().getMessage(result.messageId)).toBeDefined();
});

test('a slow receiver is given up on after the timeout, once', async () => {
  const { chatId } = await customerChat();
  rx.delayMs = 2000;
  const started = Date.now();
  const result = await control().managerReply({ scopeId, chatId, text: 'slow' });
  expect(Date.now() - started).toBeLessThan(1500);
  expect(result.webhook).toMatchObject({ ok: false, status: null, error: 'timeout after 300 ms' });
  expect(result.webhook.durationMs).toBeGreaterThanOrEqual(250);
  expect(rx.hooks).toHaveLength(1);
});

test('an unreachable receiver is recorded as a network error', async () => {
  const { chatId } = await customerChat();
  control().setWebhookUrl('http://127.0.0.1:1/hook/:scope_id');
  try {
    const result = await control().managerReply({ scopeId, chatId, text: 'nobody home' });
    expect(result.webhook).toMatchObject({ ok: false, status: null, url: `http://127.0.0.1:1/hook/${scopeId}` });
    expect(result.webhook.error).toMatch(/^network error/);
  } finally {
    control().setWebhookUrl(rx.url);
  }
});

test('dropWebhooks(n) swallows the next n hooks, the messages stay in history; "all" until cleared', async () => {
  const { chatId } = await customerChat();
  control().dropWebhooks(2);
  const a = await control().managerReply({ scopeId, chatId, text: 'a' });
  const b = await control().managerReply({ scopeId, chatId, text: 'b' });
  const c = await control().managerReply({ scopeId, chatId, text: 'c' });
  expect([a, b, c].map((r) => r.webhook.dropped)).toEqual([true, true, false]);
  expect(rx.hooks).toHaveLength(1);
  const history = await h.client.getHistory(scopeId, chatId, { limit: 3 });
  expect(history.messages.map((m) => m.message!.text)).toEqual(['c', 'b', 'a']);

  rx.hooks.length = 0;
  control().dropWebhooks('all');
  await control().managerReply({ scopeId, chatId, text: 'd' });
  await control().typing({ scopeId, chatId });
  expect(rx.hooks).toHaveLength(0);
  control().dropWebhooks(0);
  await control().managerReply({ scopeId, chatId, text: 'e' });
  expect(rx.hooks).toHaveLength(1);
});

test('hooks need a connected scope and a known chat; no URL is recorded, not thrown', async () => {
  await expect(control().managerReply({ scopeId: 'nope', chatId: 'x', text: 't' })).rejects.toMatchObject({ code: 'unknown_scope' });
  await expect(control().managerReply({ scopeId, chatId: 'x', text: 't' })).rejects.toBeInstanceOf(EmulatorError);
  await expect(control().managerReply({ scopeId, text: 't' })).rejects.toMatchObject({ code: 'invalid_argument' });
  const { chatId } = await customerChat();
  control().setWebhookUrl(null);
  try {
    const result = await control().managerReply({ scopeId, chatId, text: 'no url' });
    expect(result.webhook).toMatchObject({ url: null, ok: false, error: expect.stringContaining('no webhook URL') });
  } finally {
    control().setWebhookUrl(rx.url);
  }
});

test('the webhook event fires for every attempt', async () => {
  const { chatId } = await customerChat();
  const seen: string[] = [];
  const listener = (a: { kind: string }) => seen.push(a.kind);
  control().on('webhook', listener);
  await control().managerReply({ scopeId, chatId, text: 'x' });
  await control().typing({ scopeId, chatId });
  control().off('webhook', listener);
  await control().typing({ scopeId, chatId });
  expect(seen).toEqual(['message', 'typing']);
});
