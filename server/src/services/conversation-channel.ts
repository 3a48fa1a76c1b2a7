import { effectiveChannels, wireChannelId, type EffectiveChannel } from '../amocrm/channels';
import { AppError } from '../lib/errors';
import type { Connection, Conversation, Store } from '../storage/types';

/**
 * Which provider channel (number, bot, page) a conversation runs on. A customer who wrote to number
 * B must be answered from B, so the conversation remembers its channel when it is created or first
 * learns it — from the provider's message (`channel`, else the login's default channel) or from the
 * source a manager's hook names — and everything that names no channel of its own (typing,
 * reactions, messages recovered from history, a provider message without `channel`) uses it.
 *
 * It never moves to another declared channel: amoCRM shows one chat, and it cannot be answered from
 * two numbers, so a provider message naming another channel is refused (409 channel_mismatch)
 * rather than silently re-routing the chat. Only a channel the login no longer declares is
 * forgotten: the conversation then learns a current one again.
 */

export async function loadChannels(store: Pick<Store, 'providerChannels'>, login: string): Promise<EffectiveChannel[]> {
  return effectiveChannels(login, await store.providerChannels.list(login));
}

/** The stored form (Conversation.channelId): null for the implicit channel of a login without declared channels. */
export const conversationChannelId = (channel: EffectiveChannel): string | null => (channel.implicit ? null : channel.channelId);

/** The conversation's channel while the login still declares it. */
export function currentChannel(
  conversation: Pick<Conversation, 'channelId'> | null | undefined,
  channels: readonly EffectiveChannel[],
): EffectiveChannel | undefined {
  const id = conversation?.channelId;
  return id == null ? undefined : channels.find((c) => !c.implicit && c.channelId === id);
}

/** The channel an event about this conversation names: its own, else the login's default (null for the implicit one). */
export function eventChannel(conversation: Pick<Conversation, 'channelId'> | null | undefined, channels: readonly EffectiveChannel[]): string | null {
  return wireChannelId((currentChannel(conversation, channels) ?? channels[0]!).channelId);
}

/** A channel the provider named; an undeclared one is refused so a typo never picks a wrong number. */
export function requireDeclaredChannel(login: string, channels: readonly EffectiveChannel[], requested: string): EffectiveChannel {
  const found = channels.find((c) => !c.implicit && c.channelId === requested);
  if (found) return found;
  throw new AppError('unknown_channel', `account "${login}" has no channel "${requested}"; declare it with PUT /api/v1/accounts/:login/channels`, {
    details: { channels: channels.map((c) => wireChannelId(c.channelId)) },
  });
}

export interface PlacedConversation {
  /** The channel the message goes through and its events name. */
  channel: EffectiveChannel;
  conversation: Conversation;
  /** The conversation learned (or re-learned) its channel: save it with the message. */
  learned: boolean;
}

function settle(conversation: Conversation, channel: EffectiveChannel, learn: boolean, now: number): PlacedConversation {
  const id = conversationChannelId(channel);
  if (!learn || conversation.channelId === id) return { channel, conversation, learned: false };
  return { channel, conversation: { ...conversation, channelId: id, updatedAt: now }, learned: true };
}

/**
 * A provider message: the channel it names, else the conversation's, else the default. Naming
 * another channel than the conversation's is refused before anything is stored. The default is
 * remembered only when this message creates the amoCRM chat (no amojo chat yet), since then its
 * source decides where the chat lives; for a chat that exists with a channel we do not know (one
 * from before channels were remembered), it is a guess, and a manager's hook naming the chat's
 * source would teach the truth.
 */
export function placeProviderMessage(
  conversation: Conversation,
  requested: EffectiveChannel | undefined,
  channels: readonly EffectiveChannel[],
  now: number,
): PlacedConversation {
  const current = currentChannel(conversation, channels);
  if (requested && current && requested.channelId !== current.channelId) {
    const label = conversation.conversationId ?? conversation.amojoChatId ?? conversation.id;
    throw new AppError(
      'channel_mismatch',
      `conversation "${label}" is on channel "${current.channelId}", and a conversation stays on the channel it started on: ` +
        `send its messages with "channel": "${current.channelId}" (or without channel), or give the chat on "${requested.channelId}" a conversation_id of its own`,
      { details: { channel: current.channelId } },
    );
  }
  if (requested) return settle(conversation, requested, true, now);
  if (current) return settle(conversation, current, false, now);
  return settle(conversation, channels[0]!, conversation.amojoChatId === null, now);
}

/**
 * A manager's message hook: the conversation's channel when it has one (the provider said where the
 * customer wrote, and a chat keeps its channel), else the channel of the source the hook names —
 * which the conversation then keeps, so a write first from source B is B's chat — else the default,
 * which is not remembered: a later provider message may still say where the customer is.
 */
export function placeHook(
  conversation: Conversation,
  source: EffectiveChannel | undefined,
  channels: readonly EffectiveChannel[],
  now: number,
): PlacedConversation & { ignoredSource?: EffectiveChannel } {
  const current = currentChannel(conversation, channels);
  if (current) {
    const ignored = source && source.channelId !== current.channelId ? { ignoredSource: source } : {};
    return { ...settle(conversation, current, false, now), ...ignored };
  }
  return source ? settle(conversation, source, true, now) : settle(conversation, channels[0]!, false, now);
}

/**
 * The declared channel whose amoCRM source a hook names; undefined when it names none, one we did
 * not create for this login, or one of a channel the login no longer declares.
 */
export async function sourceChannel(
  store: Pick<Store, 'installations' | 'amocrmSources'>,
  connection: Connection,
  externalId: string | null,
  channels: readonly EffectiveChannel[],
): Promise<EffectiveChannel | undefined> {
  if (!externalId) return undefined;
  const installation = await store.installations.getByAmojoId(connection.amojoAccountId);
  const row = installation ? await store.amocrmSources.getByExternalId(installation.amocrmAccountId, externalId) : null;
  if (!row || row.login !== connection.login) return undefined;
  return channels.find((c) => c.channelId === row.channelId);
}
