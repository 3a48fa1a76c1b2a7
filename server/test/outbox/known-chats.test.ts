import { createKnownChats } from '../../src/outbox/known-chats';

describe('known amojo chats', () => {
  it('are remembered per scope: a conversation moved to another account has no chat there yet', () => {
    const chats = createKnownChats();
    chats.remember('scope-a', 'cnv-1', 'chat-1');
    expect(chats.get('scope-a', 'cnv-1')).toBe('chat-1');
    expect(chats.get('scope-b', 'cnv-1')).toBeUndefined();
    expect(chats.get('scope-a', 'cnv-2')).toBeUndefined();
  });

  it('keep at most `capacity` chats, forgetting the least recently used first', () => {
    const chats = createKnownChats(2);
    chats.remember('s', 'c1', 'chat-1');
    chats.remember('s', 'c2', 'chat-2');
    expect(chats.get('s', 'c1')).toBe('chat-1'); // c1 used last: c2 is now the oldest
    chats.remember('s', 'c3', 'chat-3');
    expect(chats.get('s', 'c2')).toBeUndefined();
    expect(chats.get('s', 'c1')).toBe('chat-1');
    expect(chats.get('s', 'c3')).toBe('chat-3');
  });
});
