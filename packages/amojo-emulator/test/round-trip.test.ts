import { AmojoApiError, type SendMessageInput } from '@amochan/amojo';
import { ACCOUNT_ID, connectAccount, startHarness, textMessage, uniq, type Harness } from './helpers';

/** The SDK client and the emulator agree on every endpoint. */

let h: Harness;
let scopeId: string;

beforeAll(async () => {
  h = await startHarness();
  scopeId = await connectAccount(h);
});
afterAll(() => h.close());

const client = () => h.client;
const control = () => h.emu.control;

describe('connect / disconnect', () => {
  test('connect answers the scope and is idempotent; disconnect makes the scope unknown; reconnect restores it', async () => {
    const again = await client().connect({ account_id: ACCOUNT_ID, title: 'again', is_time_window_disabled: true });
    expect(again).toEqual({
      account_id: ACCOUNT_ID,
      scope_id: `${h.emu.channelId}_${ACCOUNT_ID}`,
      title: 'again',
      hook_api_version: 'v2',
      is_time_window_disabled: true,
    });
    const other = await client().connect({ account_id: 'acc-disc' });
    await client().sendMessage(other.scope_id, textMessage('conv-disc'));
    await client().disconnect({ account_id: 'acc-disc' });
    expect(
      control()
        .listConnections()
        .find((c) => c.scopeId === other.scope_id),
    ).toMatchObject({ connected: false, connectCount: 1 });
    await expect(client().sendMessage(other.scope_id, textMessage('conv-disc'))).rejects.toMatchObject({ code: 'not_found', status: 404 });
    await client().connect({ account_id: 'acc-disc' });
    expect(
      control()
        .listConnections()
        .find((c) => c.scopeId === other.scope_id),
    ).toMatchObject({ connected: true, connectCount: 2 });
    // Chats survive a reconnect, as in amoCRM.
    expect(control().listChats(other.scope_id)).toHaveLength(1);
  });

  test('disconnecting a never-connected account is refused with 400; a repeated disconnect stays 200', async () => {
    await expect(client().disconnect({ account_id: 'never' })).rejects.toMatchObject({ status: 400 });
    await client().connect({ account_id: 'acc-twice' });
    await client().disconnect({ account_id: 'acc-twice' });
    await expect(client().disconnect({ account_id: 'acc-twice' })).resolves.toBeUndefined();
  });
});

describe('create chat', () => {
  test('creates a chat with a uuid and the user in the flat shape; the same conversation_id returns the same chat', async () => {
    const body = {
      conversation_id: 'conv-create',
      source: { external_id: 'line-1' },
      user: { id: 'client-create', name: 'Петя', avatar: 'https://x.test/a.png', profile: { phone: '+7 (916) 123-45-67', email: 'p@x.test' } },
    };
    const first = await client().createChat(scopeId, body);
    expect(first.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(first.user).toEqual({
      id: expect.any(String),
      client_id: 'client-create',
      name: 'Петя',
      avatar: 'https://x.test/a.png',
      phone: '79161234567',
      email: 'p@x.test',
    });
    const second = await client().createChat(scopeId, { ...body, user: { id: 'client-create', name: 'Петя' } });
    expect(second).toEqual(first);
    const chat = control()
      .listChats(scopeId)
      .find((c) => c.id === first.id)!;
    expect(chat).toMatchObject({ conversationId: 'conv-create', sourceExternalId: 'line-1', origin: 'create_chat', leadId: null });
    // The first customer message in it opens the unsorted lead and lands in the same chat.
    const sent = await client().sendMessage(scopeId, textMessage('conv-create', 'hi', 'client-create'));
    expect(sent.new_message.conversation_id).toBe(first.id);
    expect(sent.new_message.sender_id).toBe(first.user.id);
    expect(
      control()
        .listLeads(scopeId)
        .filter((l) => l.chatId === first.id),
    ).toEqual([expect.objectContaining({ status: 'unsorted' })]);
  });
});

describe('new_message', () => {
  const media = 'https://cdn.example.com/f/1';
  const nine: Array<[string, SendMessageInput['message']]> = [
    ['text', { type: 'text', text: 'hello' }],
    ['picture', { type: 'picture', media, file_name: 'a.jpg', file_size: 1024, text: 'caption' }],
    ['video', { type: 'video', media, file_name: 'a.mp4', file_size: 2048, media_duration: 12 }],
    ['file', { type: 'file', media, file_name: 'a.pdf', file_size: 4096 }],
    ['voice', { type: 'voice', media, media_duration: 3 }],
    ['audio', { type: 'audio', media, file_name: 'a.mp3', file_size: 100 }],
    ['sticker', { type: 'sticker', media, sticker_id: 'st-1' }],
    ['location', { type: 'location', location: { lon: 37.6176, lat: 55.7558 } }],
    ['contact', { type: 'contact', contact: { name: 'Ivan', phone: '+79990001122' } }],
  ];

  test.each(nine)('type %s is stored as sent and shows up in history', async (type, message) => {
    const conv = uniq(`conv-${type}`);
    const msgid = uniq('m');
    const res = await client().sendMessage(scopeId, { ...textMessage(conv), msgid, message, timestamp: 1714557600, msec_timestamp: 1714557600123 });
    expect(res.new_message).toEqual({ msgid: expect.any(String), ref_id: msgid, conversation_id: expect.any(String), sender_id: expect.any(String) });
    const stored = control().getMessage(res.new_message.msgid)!;
    expect(stored).toMatchObject({ clientMsgId: msgid, direction: 'in', origin: 'integration', message, timestamp: 1714557600, msecTimestamp: 1714557600123 });
    const history = await client().getHistory(scopeId, res.new_message.conversation_id!);
    expect(history.messages).toHaveLength(1);
    expect(history.messages[0]!.message).toMatchObject({ ...message, id: res.new_message.msgid, client_id: msgid });
    expect(history.messages[0]!.sender).toMatchObject({ client_id: 'client-1', phone: '79151112233' });
  });

  test('a new conversation creates chat, contact and an unsorted lead; silent creates no lead', async () => {
    const loud = await client().sendMessage(scopeId, textMessage(uniq('conv-loud')));
    const quiet = await client().sendMessage(scopeId, { ...textMessage(uniq('conv-quiet')), silent: true });
    const leads = control().listLeads(scopeId);
    expect(leads.filter((l) => l.chatId === loud.new_message.conversation_id)).toHaveLength(1);
    expect(leads.filter((l) => l.chatId === quiet.new_message.conversation_id)).toHaveLength(0);
    expect(control().getMessage(quiet.new_message.msgid)!.silent).toBe(true);
  });

  test('source.external_id is kept on the chat and the message', async () => {
    const res = await client().sendMessage(scopeId, { ...textMessage(uniq('conv-src')), source: { external_id: 'shop-42' } });
    expect(
      control()
        .listChats(scopeId)
        .find((c) => c.id === res.new_message.conversation_id)!.sourceExternalId,
    ).toBe('shop-42');
    expect(control().getMessage(res.new_message.msgid)!.sourceExternalId).toBe('shop-42');
  });

  test('reply_to by our msgid or amojo id resolves the quoted message', async () => {
    const conv = uniq('conv-reply');
    const first = await client().sendMessage(scopeId, textMessage(conv, 'first'));
    const firstMsgid = control().getMessage(first.new_message.msgid)!.clientMsgId!;
    const byMsgid = await client().sendMessage(scopeId, { ...textMessage(conv, 're 1'), reply_to: { message: { msgid: firstMsgid } } });
    const byId = await client().sendMessage(scopeId, { ...textMessage(conv, 're 2'), reply_to: { message: { id: first.new_message.msgid } } });
    expect(control().getMessage(byMsgid.new_message.msgid)!.replyTo).toEqual({ id: first.new_message.msgid, msgid: firstMsgid });
    expect(control().getMessage(byId.new_message.msgid)!.replyTo).toEqual({ id: first.new_message.msgid, msgid: firstMsgid });
  });

  test('a manager message imported with receiver: sender.ref_id must be an amoCRM user or the bot', async () => {
    const conv = uniq('conv-import');
    await client().sendMessage(scopeId, textMessage(conv, 'hi', 'client-imp'));
    const managerId = control()
      .listConnections()
      .find((c) => c.scopeId === scopeId)!.managerId;
    const res = await client().sendMessage(scopeId, {
      msgid: uniq('m'),
      conversation_id: conv,
      sender: { id: 'our-manager', ref_id: managerId, name: 'Manager' },
      receiver: { id: 'client-imp', name: 'Client' },
      message: { type: 'text', text: 'answered elsewhere' },
    });
    expect(res.new_message.sender_id).toBe(managerId);
    expect(res.new_message.receiver_id).toEqual(expect.any(String));
    expect(control().getMessage(res.new_message.msgid)).toMatchObject({ direction: 'out', senderId: managerId });
    const bad = client().sendMessage(scopeId, {
      msgid: uniq('m'),
      conversation_id: conv,
      sender: { id: 'our-manager', ref_id: 'not-a-user' },
      receiver: { id: 'client-imp' },
      message: { type: 'text', text: 'x' },
    });
    await expect(bad).rejects.toMatchObject({ status: 400 });
  });

  test('duplicate msgid through the SDK is the duplicate_message error', async () => {
    const msg = textMessage(uniq('conv-dup'));
    await client().sendMessage(scopeId, msg);
    const err = await client()
      .sendMessage(scopeId, msg)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmojoApiError);
    expect(err).toMatchObject({ code: 'duplicate_message', status: 400, errorType: 'ORIGIN_DUPLICATE_MSGID' });
  });
});

describe('edit, delivery status, history, typing, react', () => {
  let chatId: string;
  let amojoIds: string[];
  const conv = 'conv-life';
  const msgids: string[] = [];

  beforeAll(async () => {
    amojoIds = [];
    for (let i = 0; i < 7; i++) {
      const m = { ...textMessage(conv, `m${i}`, 'client-life'), timestamp: 1714557600 + i, msec_timestamp: (1714557600 + i) * 1000 };
      msgids.push(m.msgid);
      const res = await client().sendMessage(scopeId, m);
      amojoIds.push(res.new_message.msgid);
      chatId = res.new_message.conversation_id!;
    }
  });

  test('editMessage by msgid and by id replaces the content and keeps the old one', async () => {
    await client().editMessage(scopeId, { msgid: msgids[0]!, conversation_id: conv, message: { type: 'text', text: 'edited' } });
    await client().editMessage(scopeId, { id: amojoIds[1]!, conversation_id: conv, message: { type: 'text', text: 'edited too' } });
    expect(control().getMessage(amojoIds[0]!)).toMatchObject({ message: { text: 'edited' }, edits: [{ message: { text: 'm0' } }] });
    expect(control().getMessage(amojoIds[1]!)!.message.text).toBe('edited too');
    await expect(client().editMessage(scopeId, { msgid: 'nope', conversation_id: conv, message: { type: 'text', text: 'x' } })).rejects.toMatchObject({
      status: 404,
    });
  });

  test('setDeliveryStatus stores 1, 2 and -1 with error code and text, in order; unknown message is 404', async () => {
    const id = amojoIds[2]!;
    await client().setDeliveryStatus(scopeId, id, { delivery_status: 1 });
    await client().setDeliveryStatus(scopeId, id, { delivery_status: 2 });
    await client().setDeliveryStatus(scopeId, id, { delivery_status: -1, error_code: 905, error: 'blocked by user' });
    const stored = control().getMessage(id)!;
    expect(stored.deliveryHistory.map((d) => [d.status, d.errorCode, d.error])).toEqual([
      [1, null, null],
      [2, null, null],
      [-1, 905, 'blocked by user'],
    ]);
    expect(stored.deliveryStatus).toMatchObject({ status: -1, errorCode: 905 });
    await expect(client().setDeliveryStatus(scopeId, '00000000-0000-4000-8000-000000000000', { delivery_status: 1 })).rejects.toMatchObject({
      code: 'not_found',
      status: 404,
    });
  });

  test('getHistory pages newest first with offset/limit, and an empty page is 204 (the SDK maps it to [])', async () => {
    const page1 = await client().getHistory(scopeId, chatId, { limit: 3 });
    const page2 = await client().getHistory(scopeId, chatId, { limit: 3, offset: 3 });
    const page3 = await client().getHistory(scopeId, chatId, { limit: 3, offset: 6 });
    const ids = [...page1.messages, ...page2.messages, ...page3.messages].map((m) => m.message!.id);
    expect(ids).toEqual([...amojoIds].reverse());
    expect(page1.messages[0]!.timestamp).toBeGreaterThan(page1.messages[1]!.timestamp!);
    const empty = await client().getHistory(scopeId, chatId, { offset: 7 });
    expect(empty.messages).toEqual([]);
    await expect(client().getHistory(scopeId, '00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ status: 404 });
  });

  test('typing answers 204 and is recorded; an unknown conversation is bad data (400)', async () => {
    await client().typing(scopeId, { conversation_id: conv, sender: { id: 'client-life' }, duration_ms: 3000 });
    expect(control().typingLog().at(-1)).toMatchObject({ chatId, durationMs: 3000, senderId: expect.any(String) });
    await expect(client().typing(scopeId, { conversation_id: 'nope', sender: { id: 'x' } })).rejects.toMatchObject({ status: 400 });
  });

  test('react by msgid or by id (with conversation_ref_id) is recorded', async () => {
    await client().react(scopeId, { conversation_id: conv, msgid: msgids[3]!, user: { id: 'client-life' }, type: 'react', emoji: '👍' });
    await client().react(scopeId, { conversation_ref_id: chatId, id: amojoIds[3]!, user: { id: 'client-life' }, type: 'unreact' });
    expect(
      control()
        .getMessage(amojoIds[3]!)!
        .reactions.map((r) => [r.type, r.emoji, r.by]),
    ).toEqual([
      ['react', '👍', 'integration'],
      ['unreact', null, 'integration'],
    ]);
    await expect(client().react(scopeId, { conversation_id: conv, msgid: 'nope', user: { id: 'x' }, type: 'react', emoji: '👍' })).rejects.toMatchObject({
      status: 404,
    });
  });
});
