import { connectAccount, rawCall, startHarness, textMessage, uniq, type Harness } from './helpers';

/*
 * Where the docs are precise, the emulator is exactly as precise: request bodies, the Date format,
 * the order of checks. Requests are signed by hand so the SDK's own validation cannot hide a gap.
 */

let h: Harness;
let scopeId: string;
let messagePath: string;
const reasons: Array<string | null> = [];

beforeAll(async () => {
  h = await startHarness();
  scopeId = await connectAccount(h);
  messagePath = `/v2/origin/custom/${scopeId}`;
  h.emu.control.on('request', (e) => reasons.push(e.reason));
});
afterAll(() => h.close());

const lastReason = (): string | null => reasons[reasons.length - 1] ?? null;
const post = (path: string, body: unknown) => rawCall(h.emu, h.clock, { method: 'POST', path, body: JSON.stringify(body) });
const newMessage = (payload: object) =>
  post(messagePath, { event_type: 'new_message', payload: { timestamp: 1714557600, msec_timestamp: 1714557600000, ...payload } });

describe('request bodies as the reference describes them', () => {
  test('create chat needs user.name', async () => {
    const without = await post(`${messagePath}/chats`, { conversation_id: uniq('c'), user: { id: 'u1' } });
    expect(without.status).toBe(400);
    expect(without.json).toMatchObject({ error_code: 400, error_type: 'ORIGIN_INVALID_REQUEST' });
    expect((await post(`${messagePath}/chats`, { conversation_id: uniq('c'), user: { id: 'u1', name: 'Ann' } })).status).toBe(200);
  });

  test('one forwarded message per new_message; two are refused', async () => {
    const conv = uniq('conv-fwd');
    const first = await newMessage(textMessage(conv));
    expect(first.status).toBe(200);
    const one = await newMessage({ ...textMessage(conv), forwards: { messages: [{ msgid: 'x1' }] } });
    expect(one.status).toBe(200);
    const two = await newMessage({ ...textMessage(conv), forwards: { messages: [{ msgid: 'x1' }, { msgid: 'x2' }] } });
    expect(two.status).toBe(400);
  });

  test('a quote may carry the quoted content instead of an id', async () => {
    const res = await newMessage({ ...textMessage(uniq('conv-q')), reply_to: { message: { type: 'text', text: 'earlier', timestamp: 1714550000 } } });
    expect(res.status).toBe(200);
    const id = (res.json as { new_message: { msgid: string } }).new_message.msgid;
    expect(h.emu.control.getMessage(id)!.replyTo).toEqual({ id: null, msgid: null });
    expect((await newMessage({ ...textMessage(uniq('conv-q')), reply_to: { message: {} } })).status).toBe(400);
  });

  test('a sticker named by sticker_id alone is accepted; one with neither media nor id is not', async () => {
    expect((await newMessage({ ...textMessage(uniq('conv-st')), message: { type: 'sticker', sticker_id: 'st-9' } })).status).toBe(200);
    expect((await newMessage({ ...textMessage(uniq('conv-st')), message: { type: 'sticker' } })).status).toBe(400);
  });

  test('picture, video and file need file_name and file_size; voice does not', async () => {
    const media = 'https://cdn.example.com/x';
    for (const type of ['picture', 'video', 'file']) {
      expect((await newMessage({ ...textMessage(uniq('conv-m')), message: { type, media } })).status).toBe(400);
    }
    expect((await newMessage({ ...textMessage(uniq('conv-m')), message: { type: 'voice', media } })).status).toBe(200);
    expect((await newMessage({ ...textMessage(uniq('conv-m')), message: { type: 'poll', text: 'x' } })).status).toBe(400);
  });

  test('an edit may leave out the media fields', async () => {
    const conv = uniq('conv-edit');
    const msg = { ...textMessage(conv), message: { type: 'picture', media: 'https://cdn.example.com/p.jpg', file_name: 'p.jpg', file_size: 10, text: 'old' } };
    expect((await newMessage(msg)).status).toBe(200);
    const edit = {
      timestamp: 1714557601,
      msec_timestamp: 1714557601000,
      msgid: msg.msgid,
      conversation_id: conv,
      message: { type: 'picture', text: 'new caption' },
    };
    expect((await post(messagePath, { event_type: 'edit_message', payload: edit })).status).toBe(200);
    const textEdit = { ...edit, message: { type: 'text' } };
    expect((await post(messagePath, { event_type: 'edit_message', payload: textEdit })).status).toBe(400);
  });
});

describe('the Date header', () => {
  const connectPath = () => `/v2/origin/custom/${h.emu.channelId}/connect`;
  const body = JSON.stringify({ account_id: 'acc-date', hook_api_version: 'v2' });
  const at = (date: string) => rawCall(h.emu, h.clock, { method: 'POST', path: connectPath(), body, date });

  test('only RFC 2822 with +0000, as documented, even for the same instant', async () => {
    const d = new Date(h.clock.now());
    const documented = d.toUTCString().replace('GMT', '+0000');
    expect((await at(documented)).status).toBe(200);
    for (const other of [d.toUTCString(), d.toISOString(), documented.replace('+0000', '+0000 (UTC)'), documented.replace('+0000', '-0000')]) {
      const res = await at(other);
      expect(res.status).toBe(403);
      expect(lastReason()).toBe('date_format');
    }
    const shifted = new Date(h.clock.now() + 3 * 3600_000).toUTCString().replace('GMT', '+0300');
    expect((await at(shifted)).status).toBe(403);
    expect(lastReason()).toBe('date_format');
  });

  test('a weekday that does not match the date, or an impossible date, is refused', async () => {
    expect((await at('Thu, 15 Dec 2021 23:12:55 +0000')).status).toBe(403);
    expect((await at('Wed, 31 Feb 2024 10:00:00 +0000')).status).toBe(403);
    expect(lastReason()).toBe('date_format');
  });
});

describe('the order of checks', () => {
  const unknownChannel = '00000000-0000-4000-8000-000000000000';
  test('an unknown channel is a 403 like any bad signature: nothing confirms which channels exist', async () => {
    const path = `/v2/origin/custom/${unknownChannel}/connect`;
    const body = JSON.stringify({ account_id: 'a', hook_api_version: 'v2' });
    const unsigned = await rawCall(h.emu, h.clock, { method: 'POST', path, body, headers: { 'X-Signature': undefined } });
    expect(unsigned.status).toBe(403);
    expect(lastReason()).toBe('missing_header');
    const signed = await rawCall(h.emu, h.clock, { method: 'POST', path, body });
    expect(signed.status).toBe(403);
    expect(signed.json).toEqual({ status: 0, error_code: 403, error_type: 'ORIGIN_INVALID_SIGNATURE', error_description: 'invalid signature' });
    expect(lastReason()).toBe(`unknown_channel ${unknownChannel}`);
  });

  test('a known channel with a wrong signature is 403 before its scope is looked up', async () => {
    const res = await rawCall(h.emu, h.clock, { method: 'POST', path: `/v2/origin/custom/${h.emu.channelId}_never`, body: '{}', secret: 'f'.repeat(40) });
    expect(res.status).toBe(403);
    expect(lastReason()).toBe('signature');
  });
});
