import { messageSchema, newMessageRequestSchema, messageEventRequestSchema, MESSAGE_TYPES } from '@amochan/amojo/schemas';

const media = 'https://cdn.example.com/f.jpg';

/** For each type: one valid message, and invalid variants that each miss a required field. */
const cases: Record<(typeof MESSAGE_TYPES)[number], { valid: object; invalid: object[] }> = {
  text: { valid: { type: 'text', text: 'hello' }, invalid: [{ type: 'text' }, { type: 'text', text: '' }] },
  picture: {
    valid: { type: 'picture', media, file_name: 'f.jpg', file_size: 1024, text: 'caption' },
    invalid: [
      { type: 'picture', file_name: 'f.jpg', file_size: 1 },
      { type: 'picture', media, file_size: 1 },
      { type: 'picture', media, file_name: 'f.jpg' },
    ],
  },
  video: {
    valid: { type: 'video', media, file_name: 'v.mp4', file_size: 9, media_duration: 12 },
    invalid: [
      { type: 'video', media },
      { type: 'video', media: 'ftp://x/v.mp4', file_name: 'v.mp4', file_size: 9 },
    ],
  },
  file: {
    valid: { type: 'file', media, file_name: 'a.pdf', file_size: 0 },
    invalid: [
      { type: 'file', media, file_name: 'a.pdf', file_size: -1 },
      { type: 'file', media, file_name: 'a.pdf', file_size: 1.5 },
    ],
  },
  voice: { valid: { type: 'voice', media, media_duration: 3 }, invalid: [{ type: 'voice' }, { type: 'voice', media: '' }] },
  audio: { valid: { type: 'audio', media }, invalid: [{ type: 'audio', text: 'no media' }] },
  sticker: { valid: { type: 'sticker', media, sticker_id: 'st1' }, invalid: [{ type: 'sticker' }, { type: 'sticker', sticker_id: '' }] },
  location: {
    valid: { type: 'location', location: { lon: 37.6173, lat: 55.7558 } },
    invalid: [{ type: 'location' }, { type: 'location', location: { lon: '37.6', lat: 55.7 } }, { type: 'location', location: { lon: 200, lat: 0 } }],
  },
  contact: {
    valid: { type: 'contact', contact: { name: 'Ivan', phone: '+79161234567' } },
    invalid: [{ type: 'contact', contact: { name: 'Ivan' } }, { type: 'contact' }],
  },
};

describe('message schema: the nine types', () => {
  it('covers every type', () => {
    expect(Object.keys(cases).sort()).toEqual([...MESSAGE_TYPES].sort());
  });

  for (const [type, { valid, invalid }] of Object.entries(cases)) {
    it(`${type}: accepts a complete message, rejects missing required fields`, () => {
      expect(messageSchema.safeParse(valid).success).toBe(true);
      for (const bad of invalid) expect({ bad, ok: messageSchema.safeParse(bad).success }).toEqual({ bad, ok: false });
    });
  }

  it('rejects an unknown type', () => {
    expect(messageSchema.safeParse({ type: 'poll', text: 'x' }).success).toBe(false);
  });
});

describe('new_message / edit_message envelopes', () => {
  const payload = {
    timestamp: 1639660529,
    msec_timestamp: 1639660529379,
    msgid: 'm1',
    conversation_id: 'c1',
    sender: { id: 's1', name: 'Вася', profile: { phone: '+7916' } },
    message: { type: 'text', text: 'hi' },
  };

  it('accepts the minimal and a full payload', () => {
    expect(newMessageRequestSchema.safeParse({ event_type: 'new_message', payload }).success).toBe(true);
    const full = {
      ...payload,
      conversation_ref_id: 'amojo-chat',
      silent: true,
      source: { external_id: 'line-1' },
      receiver: { id: 'r1', ref_id: 'amojo-user' },
      reply_to: { message: { id: 'amojo-msg' } },
      forwards: { messages: [{ msgid: 'old' }], conversation_ref_id: 'amojo-chat' },
    };
    expect(newMessageRequestSchema.safeParse({ event_type: 'new_message', payload: full }).success).toBe(true);
  });

  it('rejects fractional timestamps, a missing sender, a long or non-ASCII source, an empty reply_to', () => {
    const bad = (p: object) => newMessageRequestSchema.safeParse({ event_type: 'new_message', payload: { ...payload, ...p } }).success;
    expect(bad({ msec_timestamp: 1639660529379.5 })).toBe(false);
    expect(bad({ sender: undefined })).toBe(false);
    expect(bad({ source: { external_id: 'x'.repeat(41) } })).toBe(false);
    expect(bad({ source: { external_id: 'линия' } })).toBe(false);
    expect(bad({ reply_to: { message: {} } })).toBe(false);
  });

  it('follows the docs where they are lenient: a sticker by id alone, a quoted message given by its content', () => {
    const good = (p: object) => newMessageRequestSchema.safeParse({ event_type: 'new_message', payload: { ...payload, ...p } }).success;
    expect(good({ message: { type: 'sticker', sticker_id: 'st-42' } })).toBe(true);
    expect(good({ reply_to: { message: { type: 'text', text: 'quoted', timestamp: 1639660000, sender: { id: 'x', name: 'Ann' } } } })).toBe(true);
    expect(good({ reply_to: { message: { msgid: 'ours-1' } } })).toBe(true);
  });

  it('forwards exactly one message, as the docs describe', () => {
    const fwd = (messages: object[]) =>
      newMessageRequestSchema.safeParse({ event_type: 'new_message', payload: { ...payload, forwards: { messages } } }).success;
    expect(fwd([{ msgid: 'a' }])).toBe(true);
    expect(fwd([{ msgid: 'a' }, { msgid: 'b' }])).toBe(false);
    expect(fwd([])).toBe(false);
  });

  it('an edit may leave out the media fields; a text edit still needs its text', () => {
    const edit = (message: object) =>
      messageEventRequestSchema.safeParse({
        event_type: 'edit_message',
        payload: { timestamp: 1, msec_timestamp: 1000, msgid: 'm1', conversation_id: 'c1', message },
      }).success;
    expect(edit({ type: 'picture', text: 'new caption' })).toBe(true);
    expect(edit({ type: 'file', media: 'https://cdn.example.com/a.pdf' })).toBe(true);
    expect(edit({ type: 'text', text: 'fixed typo' })).toBe(true);
    expect(edit({ type: 'text' })).toBe(false);
    expect(edit({ type: 'poll' })).toBe(false);
  });

  it('the shared endpoint schema tells new_message from edit_message', () => {
    const edit = {
      event_type: 'edit_message',
      payload: { timestamp: 1, msec_timestamp: 1000, id: 'amojo-msg', conversation_id: 'c1', message: { type: 'text', text: 'x' } },
    };
    expect(messageEventRequestSchema.parse(edit).event_type).toBe('edit_message');
    const noId = { ...edit, payload: { ...edit.payload, id: undefined } };
    expect(messageEventRequestSchema.safeParse(noId).success).toBe(false);
    expect(messageEventRequestSchema.safeParse({ event_type: 'delete_message', payload }).success).toBe(false);
  });
});
