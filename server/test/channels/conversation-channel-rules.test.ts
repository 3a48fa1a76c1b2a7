import { effectiveChannels } from '../../src/amocrm/channels';
import { eventChannel, placeHook, placeProviderMessage } from '../../src/services/conversation-channel';
import { conversation } from '../support/fixtures';

/** The rules of which channel a conversation runs on, beside the end-to-end cases in conversation-channel.test.ts. */
const TWO = effectiveChannels('shop', [
  { login: 'shop', channelId: 'wa', name: 'WhatsApp', position: 0, createdAt: 1, updatedAt: 1 },
  { login: 'shop', channelId: 'bot', name: 'Bot', position: 1, createdAt: 1, updatedAt: 1 },
]);
const NONE = effectiveChannels('shop', []);
const [wa, bot] = TWO as [(typeof TWO)[0], (typeof TWO)[0]];

describe("a provider message's channel", () => {
  it('a new chat is placed on the channel named, else on the default one', () => {
    const fresh = conversation({ amojoChatId: null, channelId: null });
    expect(placeProviderMessage(fresh, bot, TWO, 5)).toMatchObject({ channel: bot, learned: true, conversation: { channelId: 'bot', updatedAt: 5 } });
    expect(placeProviderMessage(fresh, undefined, TWO, 5)).toMatchObject({ channel: wa, learned: true, conversation: { channelId: 'wa' } });
  });

  it('a chat that exists with an unknown channel goes through the default one without remembering that guess', () => {
    const known = conversation({ amojoChatId: 'chat-1', channelId: null });
    expect(placeProviderMessage(known, undefined, TWO, 5)).toMatchObject({ channel: wa, learned: false, conversation: { channelId: null } });
    expect(placeProviderMessage(known, bot, TWO, 5)).toMatchObject({ channel: bot, learned: true, conversation: { channelId: 'bot' } });
  });

  it("keeps the conversation's channel, refuses another one, and forgets only a channel no longer declared", () => {
    const onBot = conversation({ amojoChatId: 'chat-1', channelId: 'bot' });
    expect(placeProviderMessage(onBot, undefined, TWO, 5)).toMatchObject({ channel: bot, learned: false });
    expect(placeProviderMessage(onBot, bot, TWO, 5)).toMatchObject({ channel: bot, learned: false });
    expect(() => placeProviderMessage(onBot, wa, TWO, 5)).toThrow(expect.objectContaining({ code: 'channel_mismatch', details: { channel: 'bot' } }));
    const onRemoved = conversation({ amojoChatId: 'chat-1', channelId: 'tg' });
    expect(placeProviderMessage(onRemoved, wa, TWO, 5)).toMatchObject({ channel: wa, learned: true, conversation: { channelId: 'wa' } });
  });

  it('a login without channels keeps conversations at null', () => {
    const fresh = conversation({ amojoChatId: null, channelId: null });
    expect(placeProviderMessage(fresh, undefined, NONE, 5)).toMatchObject({ channel: NONE[0], learned: false, conversation: { channelId: null } });
    expect(eventChannel(fresh, NONE)).toBeNull();
  });
});

describe("a manager hook's channel", () => {
  it("the conversation's channel wins over the hook's source, which is reported as ignored", () => {
    const onBot = conversation({ channelId: 'bot' });
    expect(placeHook(onBot, wa, TWO, 5)).toMatchObject({ channel: bot, learned: false, ignoredSource: wa });
    expect(placeHook(onBot, bot, TWO, 5)).not.toHaveProperty('ignoredSource');
  });

  it('an unknown channel is learned from the source, and only from a source', () => {
    const unknown = conversation({ channelId: null });
    expect(placeHook(unknown, bot, TWO, 5)).toMatchObject({ channel: bot, learned: true, conversation: { channelId: 'bot' } });
    expect(placeHook(unknown, undefined, TWO, 5)).toMatchObject({ channel: wa, learned: false, conversation: { channelId: null } });
  });

  it("events name the conversation's declared channel, else the default", () => {
    expect(eventChannel(conversation({ channelId: 'bot' }), TWO)).toBe('bot');
    expect(eventChannel(conversation({ channelId: 'tg' }), TWO)).toBe('wa');
    expect(eventChannel(null, TWO)).toBe('wa');
  });
});
