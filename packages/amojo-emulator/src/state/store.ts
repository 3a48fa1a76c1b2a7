import type { ChannelRecord, ChatRecord, LeadRecord, MessageRecord, ScopeRecord, TypingRecord, UserRecord } from './types';

/**
 * All emulator state: plain Maps plus the secondary indexes every request needs, so each API call
 * costs a few hash look-ups (benchmarks run through this). No I/O, no clock: callers pass times in.
 */
export class EmulatorStore {
  readonly channels = new Map<string, ChannelRecord>();
  readonly scopes = new Map<string, ScopeRecord>();
  readonly users = new Map<string, UserRecord>();
  readonly chats = new Map<string, ChatRecord>();
  readonly messages = new Map<string, MessageRecord>();
  readonly leads = new Map<string, LeadRecord>();
  readonly typing: TypingRecord[] = [];

  private readonly userByClientId = new Map<string, string>();
  private readonly chatByConversation = new Map<string, string>();
  private readonly messageByMsgid = new Map<string, string>();
  /** Keyed by channel id: for the per-channel msgid uniqueness setting. */
  private readonly messageByChannelMsgid = new Map<string, string>();
  /** Message ids of each chat, oldest first. */
  private readonly chatMessages = new Map<string, string[]>();

  /** Forgets everything but the channels (they are configuration, not conversation state). */
  reset(): void {
    for (const map of [this.scopes, this.users, this.chats, this.messages, this.leads]) map.clear();
    this.typing.length = 0;
    this.userByClientId.clear();
    this.chatByConversation.clear();
    this.messageByMsgid.clear();
    this.messageByChannelMsgid.clear();
    this.chatMessages.clear();
  }

  /** The connected scope, or undefined for unknown and disconnected ones alike (amojo answers 404 to both). */
  activeScope(scopeId: string): ScopeRecord | undefined {
    const scope = this.scopes.get(scopeId);
    return scope && scope.connected ? scope : undefined;
  }

  addUser(user: UserRecord): UserRecord {
    this.users.set(user.id, user);
    if (user.clientId !== null) this.userByClientId.set(key(user.scopeId, user.clientId), user.id);
    return user;
  }

  userByClient(scopeId: string, clientId: string): UserRecord | undefined {
    const id = this.userByClientId.get(key(scopeId, clientId));
    return id === undefined ? undefined : this.users.get(id);
  }

  /** Attaches the integration's id to an amojo user (write-first binding via sender.ref_id). */
  bindUser(user: UserRecord, clientId: string): void {
    if (user.clientId !== null) this.userByClientId.delete(key(user.scopeId, user.clientId));
    user.clientId = clientId;
    this.userByClientId.set(key(user.scopeId, clientId), user.id);
  }

  userInScope(scopeId: string, id: string): UserRecord | undefined {
    const user = this.users.get(id);
    return user && user.scopeId === scopeId ? user : undefined;
  }

  addChat(chat: ChatRecord): ChatRecord {
    this.chats.set(chat.id, chat);
    this.chatMessages.set(chat.id, []);
    if (chat.conversationId !== null) this.chatByConversation.set(key(chat.scopeId, chat.conversationId), chat.id);
    return chat;
  }

  chatByConversationId(scopeId: string, conversationId: string): ChatRecord | undefined {
    const id = this.chatByConversation.get(key(scopeId, conversationId));
    return id === undefined ? undefined : this.chats.get(id);
  }

  chatInScope(scopeId: string, id: string): ChatRecord | undefined {
    const chat = this.chats.get(id);
    return chat && chat.scopeId === scopeId ? chat : undefined;
  }

  bindChat(chat: ChatRecord, conversationId: string, at: number): void {
    chat.conversationId = conversationId;
    chat.boundAt = at;
    this.chatByConversation.set(key(chat.scopeId, conversationId), chat.id);
  }

  addMessage(message: MessageRecord): MessageRecord {
    this.messages.set(message.id, message);
    if (message.clientMsgId !== null) {
      this.messageByMsgid.set(key(message.scopeId, message.clientMsgId), message.id);
      const channelId = this.scopes.get(message.scopeId)?.channelId;
      const channelKey = channelId === undefined ? undefined : key(channelId, message.clientMsgId);
      if (channelKey !== undefined && !this.messageByChannelMsgid.has(channelKey)) this.messageByChannelMsgid.set(channelKey, message.id);
    }
    this.chatMessages.get(message.chatId)?.push(message.id);
    return message;
  }

  messageByClientMsgid(scopeId: string, msgid: string): MessageRecord | undefined {
    const id = this.messageByMsgid.get(key(scopeId, msgid));
    return id === undefined ? undefined : this.messages.get(id);
  }

  /** A message of any account of the channel carrying this msgid (the first one, if several). */
  messageInChannelByMsgid(channelId: string, msgid: string): MessageRecord | undefined {
    const id = this.messageByChannelMsgid.get(key(channelId, msgid));
    return id === undefined ? undefined : this.messages.get(id);
  }

  messageInScope(scopeId: string, id: string): MessageRecord | undefined {
    const message = this.messages.get(id);
    return message && message.scopeId === scopeId ? message : undefined;
  }

  /** Message ids of a chat, oldest first (a live array: do not mutate). */
  messageIdsOfChat(chatId: string): readonly string[] {
    return this.chatMessages.get(chatId) ?? [];
  }

  addLead(lead: LeadRecord): LeadRecord {
    this.leads.set(lead.id, lead);
    return lead;
  }
}

// Scope ids come from the raw URL path, which never holds a NUL, so splitting at the first NUL is
// unambiguous whatever the second id contains.
function key(scopeId: string, id: string): string {
  return `${scopeId}\u0000${id}`;
}
