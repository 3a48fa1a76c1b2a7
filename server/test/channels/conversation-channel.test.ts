import { sourceExternalId } from '../../src/amocrm/external-id';
import { createReconciler } from '../../src/services/reconciler';
import { auth } from '../support/app-factory';
import { startAmocrmStack, PASSWORD, type AmocrmStack } from '../support/amocrm-stack';
import { call } from '../support/http-client';
import { waitFor } from '../support/wait';

// Several amoCRM and amojo round trips per test, on a machine shared with other suites.
jest.setTimeout(30_000);

/**
 * End to end over loopback, on a login with two channels — "wa" (the default) and "bot": a
 * conversation remembers the channel it runs on, so everything about a chat on "bot" that carries
 * no source of its own (typing, reactions, replies recovered from history, the provider's messages
 * without `channel`) stays on "bot" instead of falling back to "wa".
 */
let s: AmocrmStack;
let scopeId: string;
beforeEach(async () => {
  s = await startAmocrmStack();
  const put = await api('PUT', '/api/v1/accounts/shop/channels', {
    channels: [
      { id: 'wa', name: 'WhatsApp +1 555 0100' },
      { id: 'bot', name: 'Support bot' },
    ],
  });
  expect(put.status).toBe(200);
  const connected = await call(
    `${s.served.url}/widget/v1/connect`,
    'POST',
    { login: 'shop', password: PASSWORD, amojo_id: s.amojoId },
    { 'X-Auth-Token': s.widgetToken() },
  );
  expect(connected.status).toBe(200);
  scopeId = connected.body!.scope_id as string;
  await waitFor(
    async () => (await s.store.amocrmSources.listByAccount(s.accountId)).filter((r) => r.state === 'created').length === 2,
    'both sources created',
    15_000,
  );
});
afterEach(() => s.close());

const api = (method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown) => call(`${s.served.url}${path}`, method, body, auth);
const ext = (channel: string) => sourceExternalId(s.accountId, 'shop', channel);
const PHONE = '+15550002222';

const customerWrites = (conversation: string, text: string, channel?: string, phone = PHONE) =>
  api('POST', '/api/v1/messages', {
    account: 'shop',
    conversation_id: conversation,
    msgid: `${conversation}-${text}`,
    sender: { id: `cust-${conversation}`, name: 'Customer', phone },
    message: { type: 'text', text },
    ...(channel !== undefined ? { channel } : {}),
  });

/** The amojo record of a message the customer sent, once the outbox delivered it. */
const atAmojo = (text: string) =>
  waitFor(() => s.emulator.control.listMessages({ scopeId }).find((m) => (m.message as { text?: string }).text === text), `"${text}" at amojo`, 15_000);

const eventOf = (type: string, match: (data: Record<string, unknown>) => boolean = () => true) =>
  waitFor(() => s.provider.accepted.find((e) => e.body.type === type && match(e.body.data)), `${type} event`, 15_000);

async function chatOnBot(conversation: string): Promise<string> {
  expect((await customerWrites(conversation, 'hi bot', 'bot')).status).toBe(202);
  expect((await atAmojo('hi bot')).sourceExternalId).toBe(ext('bot'));
  const chat = s.emulator.control.listChats(scopeId).find((c) => c.conversationId === conversation)!;
  expect(chat.sourceExternalId).toBe(ext('bot'));
  return chat.id;
}

describe('a conversation keeps its channel', () => {
  it('typing and reactions in a chat on the non-default channel name that channel, and so does a reply recovered from history', async () => {
    const chatId = await chatOnBot('c-b');

    await s.emulator.control.typing({ scopeId, chatId });
    expect((await eventOf('typing')).body).toMatchObject({ account: 'shop', channel: 'bot' });

    const customerMessage = (await atAmojo('hi bot')).id;
    await s.emulator.control.react({ scopeId, chatId, messageId: customerMessage, emoji: '👍' });
    expect((await eventOf('reaction')).body).toMatchObject({ account: 'shop', channel: 'bot' });

    // amojo drops the reply's hook; the reconciler rebuilds it from history, which names no source.
    s.emulator.control.dropWebhooks(1);
    const lost = await s.emulator.control.managerReply({ scopeId, chatId, text: 'reply whose hook was lost' });
    expect(lost.webhook.dropped).toBe(true);
    const reconciler = createReconciler({
      store: s.store,
      amojo: s.deps.amojo,
      hooks: s.deps.services.hooks,
      clock: s.deps.clock,
      logger: s.deps.logger,
      lookbackMs: 3_600_000,
      intervalMs: 0,
      graceMs: 0,
    });
    expect(await reconciler.runOnce()).toMatchObject({ recovered: 1 });
    const recovered = await eventOf('message.created', (d) => d.id === lost.messageId);
    expect(recovered.body).toMatchObject({ channel: 'bot', data: { conversation: { id: 'c-b' } } });
  });

  it("the provider's next message without channel goes through the conversation's source, not the default one", async () => {
    await chatOnBot('c-b');
    expect((await customerWrites('c-b', 'no channel named')).status).toBe(202);
    expect((await atAmojo('no channel named')).sourceExternalId).toBe(ext('bot'));
    // A new conversation without channel still starts on the default channel.
    expect((await customerWrites('c-new', 'new chat')).status).toBe(202);
    expect((await atAmojo('new chat')).sourceExternalId).toBe(ext('wa'));
    expect((await s.store.conversations.getByConversationId('shop', 'c-new'))?.channelId).toBe('wa');
  });

  it('a message amojo rejects in a chat on the non-default channel fails with that channel named', async () => {
    await chatOnBot('c-b');
    s.emulator.control.failNext(1, 400);
    expect((await customerWrites('c-b', 'rejected one')).status).toBe(202);
    const failed = await eventOf('message.failed', (d) => d.msgid === 'c-b-rejected one');
    expect(failed.body).toMatchObject({ channel: 'bot', data: { conversation_id: 'c-b', error: { code: 'rejected' } } });
  });

  it('a message naming another channel than its conversation is refused with the channel to use, and nothing is sent', async () => {
    await chatOnBot('c-b');
    const refused = await customerWrites('c-b', 'from the other number', 'wa');
    expect(refused.status).toBe(409);
    expect(refused.body!.error).toMatchObject({ code: 'channel_mismatch', channel: 'bot' });
    expect(refused.body!.error.message).toContain('conversation_id of its own');
    expect(await s.store.messages.getByMsgid('shop', 'c-b-from the other number')).toBeNull();
    expect((await s.store.conversations.getByConversationId('shop', 'c-b'))?.channelId).toBe('bot');
    // Naming the conversation's own channel is fine.
    expect((await customerWrites('c-b', 'same number', 'bot')).status).toBe(202);
    expect((await atAmojo('same number')).sourceExternalId).toBe(ext('bot'));
  });

  it('a conversation whose channel is not known learns it from the first manager reply or provider message that names one', async () => {
    let typed = 0;
    const typingNames = async (chatId: string) => {
      const before = s.provider.accepted.length;
      // Another expiry each time: identical typing hooks within a second are one hook, deduplicated.
      await s.emulator.control.typing({ scopeId, chatId, expiresInMs: 5000 + 1000 * ++typed });
      const event = await waitFor(() => s.provider.accepted.slice(before).find((e) => e.body.type === 'typing'), 'typing event', 15_000);
      return (event.body as { channel?: unknown }).channel;
    };

    // The deprecated raw source names no channel we can trust; the manager's reply carries the chat's source.
    const legacy = await api('POST', '/api/v1/messages', {
      account: 'shop',
      conversation_id: 'c-raw',
      source_external_id: ext('bot'),
      sender: { id: 'cust-raw', name: 'Customer' },
      message: { type: 'text', text: 'raw source' },
    });
    expect(legacy.status).toBe(202);
    const rawChat = (await atAmojo('raw source')).chatId;
    expect((await s.store.conversations.getByConversationId('shop', 'c-raw'))?.channelId).toBeNull();
    await s.emulator.control.managerReply({ scopeId, chatId: rawChat, text: 'reply with a source' });
    expect((await eventOf('message.created', (d) => (d.message as { text?: string }).text === 'reply with a source')).body).toMatchObject({ channel: 'bot' });
    expect((await s.store.conversations.getByConversationId('shop', 'c-raw'))?.channelId).toBe('bot');
    expect(await typingNames(rawChat)).toBe('bot');

    // A write first without a source, answered without a channel: still unknown, events say the default.
    const first = await s.emulator.control.writeFirst({ scopeId, phone: '+15550003333', text: 'no source' });
    expect((await customerWrites('c-unknown', 'answer', undefined, '+15550003333')).status).toBe(202);
    expect((await atAmojo('answer')).chatId).toBe(first.chatId);
    expect((await s.store.conversations.getByConversationId('shop', 'c-unknown'))?.channelId).toBeNull();
    expect(await typingNames(first.chatId)).toBe('wa');
    // The provider then says where the customer is.
    expect((await customerWrites('c-unknown', 'on the bot', 'bot', '+15550003333')).status).toBe(202);
    expect((await s.store.conversations.getByConversationId('shop', 'c-unknown'))?.channelId).toBe('bot');
    expect(await typingNames(first.chatId)).toBe('bot');
  });

  it('a write first from the non-default source makes the chat that channel’s: its typing and the customer’s answer stay there', async () => {
    const first = await s.emulator.control.writeFirst({ scopeId, phone: PHONE, text: 'We can help', sourceExternalId: ext('bot') });
    expect((await eventOf('message.created', (d) => (d.message as { text?: string }).text === 'We can help')).body).toMatchObject({ channel: 'bot' });

    await s.emulator.control.typing({ scopeId, chatId: first.chatId });
    expect((await eventOf('typing')).body).toMatchObject({ channel: 'bot' });

    // The same customer writing to the other number is not taken for an answer to the bot's chat.
    expect((await customerWrites('c-wa', 'on whatsapp', 'wa')).status).toBe(202);
    const onWa = await atAmojo('on whatsapp');
    expect([onWa.chatId === first.chatId, onWa.sourceExternalId]).toEqual([false, ext('wa')]);

    // Their answer without channel binds to the write-first chat by phone and goes through the bot's source.
    expect((await customerWrites('c-answer', 'answer')).status).toBe(202);
    const answer = await atAmojo('answer');
    expect([answer.chatId, answer.sourceExternalId]).toEqual([first.chatId, ext('bot')]);
    expect(await s.store.conversations.getByConversationId('shop', 'c-answer')).toMatchObject({ state: 'active', channelId: 'bot' });
  });
});
