import type { z } from 'zod';
import { normalizePhone, userById } from '../api/participants';
import { EmulatorError } from '../errors';
import type { WebhookAttempt } from '../events';
import type { IdGenerator } from '../ids';
import type { EmulatorStore } from '../state/store';
import type { ChannelRecord, ChatRecord, MessageRecord, ScopeRecord, UserRecord, WireMessage } from '../state/types';
import { messageHook, reactionHook, typingHook } from '../webhooks/hook-bodies';
import type { WebhookSender } from '../webhooks/sender';
import {
  managerReplyArgsSchema,
  reactArgsSchema,
  typingArgsSchema,
  writeFirstArgsSchema,
  type ManagerReplyArgs,
  type ReactArgs,
  type TypingArgs,
  type WriteFirstArgs,
} from './schemas';

/** The emulator acting as amoCRM: a manager writes, types or reacts, and amojo sends the hook. */

export interface ActionDeps {
  store: EmulatorStore;
  sender: WebhookSender;
  clock: () => number;
  ids: IdGenerator;
}

export interface ManagerReplyResult {
  messageId: string;
  chatId: string;
  scopeId: string;
  webhook: WebhookAttempt;
}

export interface WriteFirstResult extends ManagerReplyResult {
  /** The fresh amojo user id of the customer (receiver.id in the hook; the integration's sender.ref_id later). */
  userId: string;
  leadId: string;
}

export function parseArgs<S extends z.ZodType>(schema: S, args: unknown): z.output<S> {
  const result = schema.safeParse(args);
  if (result.success) return result.data as z.output<S>;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : '';
  throw new EmulatorError('invalid_argument', `${where}${issue?.message ?? 'invalid arguments'}`, { cause: result.error });
}

export function createActions(deps: ActionDeps) {
  const { store } = deps;

  function scopeAndChannel(scopeId: string): { scope: ScopeRecord; channel: ChannelRecord } {
    const scope = store.scopes.get(scopeId);
    if (!scope) throw new EmulatorError('unknown_scope', `no scope ${scopeId}: connect the account first`);
    if (!scope.connected) throw new EmulatorError('unknown_scope', `scope ${scopeId} is disconnected: amojo sends it no hooks`);
    const channel = store.channels.get(scope.channelId);
    if (!channel) throw new EmulatorError('unknown_channel', `channel ${scope.channelId} is gone`);
    return { scope, channel };
  }

  function findChat(scope: ScopeRecord, ref: { chatId?: string | undefined; conversationId?: string | undefined }): ChatRecord {
    const chat = ref.chatId ? store.chatInScope(scope.scopeId, ref.chatId) : store.chatByConversationId(scope.scopeId, ref.conversationId ?? '');
    if (!chat) throw new EmulatorError('unknown_chat', `no chat ${ref.chatId ?? ref.conversationId} in scope ${scope.scopeId}`);
    return chat;
  }

  /** The manager who acts: the scope's default, or a named one (created on first use). */
  function manager(scope: ScopeRecord, author: { id?: string | undefined; name?: string | undefined } | undefined): UserRecord {
    const id = author?.id ?? scope.managerId;
    let user = store.userInScope(scope.scopeId, id);
    if (!user) {
      user = store.addUser({
        id,
        scopeId: scope.scopeId,
        clientId: null,
        role: 'manager',
        name: author?.name ?? 'Manager',
        avatar: null,
        phone: null,
        email: null,
        profileLink: null,
        createdAt: deps.clock(),
      });
    } else if (author?.name) {
      user.name = author.name;
    }
    return user;
  }

  function addManagerMessage(
    scope: ScopeRecord,
    chat: ChatRecord,
    from: UserRecord,
    to: UserRecord,
    content: WireMessage,
    origin: MessageRecord['origin'],
  ): MessageRecord {
    const now = deps.clock();
    return store.addMessage({
      id: deps.ids(),
      scopeId: scope.scopeId,
      chatId: chat.id,
      clientMsgId: null,
      direction: 'out',
      origin,
      senderId: from.id,
      receiverId: to.id,
      message: content,
      timestamp: Math.floor(now / 1000),
      msecTimestamp: now,
      createdAt: now,
      silent: false,
      sourceExternalId: chat.sourceExternalId,
      replyTo: null,
      deliveryStatus: null,
      deliveryHistory: [],
      edits: [],
      reactions: [],
    });
  }

  async function managerReply(input: ManagerReplyArgs): Promise<ManagerReplyResult> {
    const args = parseArgs(managerReplyArgsSchema, input);
    const { scope, channel } = scopeAndChannel(args.scopeId);
    const chat = findChat(scope, args);
    const receiver = userById(store, channel, scope.scopeId, chat.clientUserId);
    if (!receiver) throw new EmulatorError('unknown_chat', `chat ${chat.id} has no customer to write to`);
    const from = manager(scope, args.sender);
    const content: WireMessage = { type: args.type };
    for (const key of ['text', 'media', 'thumbnail', 'file_name', 'file_size', 'markup', 'media_group_id'] as const) {
      const value: unknown = args[key];
      if (value !== undefined) (content as Record<string, unknown>)[key] = value;
    }
    const message = addManagerMessage(scope, chat, from, receiver, content, 'manager');
    const webhook = await deps.sender.send({
      channel,
      scopeId: scope.scopeId,
      kind: 'message',
      messageId: message.id,
      payload: messageHook(scope, chat, message, from, receiver, deps.clock()),
    });
    return { messageId: message.id, chatId: chat.id, scopeId: scope.scopeId, webhook };
  }

  /** A manager starts a chat from a lead card: amojo knows only the phone, none of our ids. */
  async function writeFirst(input: WriteFirstArgs): Promise<WriteFirstResult> {
    const args = parseArgs(writeFirstArgsSchema, input);
    const { scope, channel } = scopeAndChannel(args.scopeId);
    const now = deps.clock();
    const customer = store.addUser({
      id: deps.ids(),
      scopeId: scope.scopeId,
      clientId: null,
      role: 'client',
      name: args.name ?? '',
      avatar: null,
      phone: normalizePhone(args.phone),
      email: null,
      profileLink: null,
      createdAt: now,
    });
    const chat = store.addChat({
      id: deps.ids(),
      scopeId: scope.scopeId,
      conversationId: null,
      sourceExternalId: args.sourceExternalId ?? null,
      clientUserId: customer.id,
      origin: 'write_first',
      leadId: null,
      createdAt: now,
      boundAt: null,
    });
    // The lead the manager wrote from already exists in amoCRM; record it so the chat is not "unsorted".
    const lead = store.addLead({
      id: deps.ids(),
      scopeId: scope.scopeId,
      chatId: chat.id,
      contactUserId: customer.id,
      status: 'in_work',
      origin: 'write_first',
      createdAt: now,
    });
    chat.leadId = lead.id;
    const from = manager(scope, args.sender);
    const message = addManagerMessage(scope, chat, from, customer, { type: 'text', text: args.text }, 'write_first');
    const webhook = await deps.sender.send({
      channel,
      scopeId: scope.scopeId,
      kind: 'message',
      messageId: message.id,
      payload: messageHook(scope, chat, message, from, customer, deps.clock()),
    });
    return { messageId: message.id, chatId: chat.id, scopeId: scope.scopeId, userId: customer.id, leadId: lead.id, webhook };
  }

  async function typing(input: TypingArgs): Promise<{ webhook: WebhookAttempt }> {
    const args = parseArgs(typingArgsSchema, input);
    const { scope, channel } = scopeAndChannel(args.scopeId);
    const chat = findChat(scope, args);
    const userId = args.userId ?? scope.managerId;
    const now = deps.clock();
    const webhook = await deps.sender.send({
      channel,
      scopeId: scope.scopeId,
      kind: 'typing',
      messageId: null,
      payload: typingHook(scope, chat, userId, now, args.expiresInMs),
    });
    return { webhook };
  }

  async function react(input: ReactArgs): Promise<{ webhook: WebhookAttempt }> {
    const args = parseArgs(reactArgsSchema, input);
    const { scope, channel } = scopeAndChannel(args.scopeId);
    const chat = findChat(scope, args);
    const message = store.messageInScope(scope.scopeId, args.messageId) ?? store.messageByClientMsgid(scope.scopeId, args.messageId);
    if (!message || message.chatId !== chat.id) throw new EmulatorError('unknown_message', `no message ${args.messageId} in chat ${chat.id}`);
    const userId = args.userId ?? scope.managerId;
    const now = deps.clock();
    message.reactions.push({ userId, by: 'manager', type: args.type, emoji: args.emoji ?? null, at: now });
    const webhook = await deps.sender.send({
      channel,
      scopeId: scope.scopeId,
      kind: 'reaction',
      messageId: message.id,
      payload: reactionHook(scope, chat, message, userId, args.type, args.emoji ?? null, args.shape, now),
    });
    return { webhook };
  }

  return { managerReply, writeFirst, typing, react };
}

export type EmulatorActions = ReturnType<typeof createActions>;
