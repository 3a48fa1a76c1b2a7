import { IMPLICIT_CHANNEL_ID, type ProviderChannel } from '../storage/types';

/**
 * A login that declared no channel has exactly one, implicit: stored nowhere in provider_channels,
 * kept in amocrm_sources under IMPLICIT_CHANNEL_ID (''), named after the login, and shown as
 * `channel: null` in the provider API and events. So integrations that never heard of channels
 * keep working, and declaring channels later simply replaces it.
 */
export interface EffectiveChannel {
  /** IMPLICIT_CHANNEL_ID for the implicit channel. */
  channelId: string;
  name: string;
  position: number;
  implicit: boolean;
}

export function effectiveChannels(login: string, declared: ProviderChannel[]): EffectiveChannel[] {
  if (declared.length === 0) return [{ channelId: IMPLICIT_CHANNEL_ID, name: login, position: 0, implicit: true }];
  return [...declared].sort((a, b) => a.position - b.position).map((c) => ({ channelId: c.channelId, name: c.name, position: c.position, implicit: false }));
}

/** The channel id as the provider sees it: null for the implicit channel. */
export const wireChannelId = (channelId: string): string | null => (channelId === IMPLICIT_CHANNEL_ID ? null : channelId);

/** The stored channel id for what the provider sent (absent/null ⇒ the implicit channel). */
export const storedChannelId = (channel: string | null | undefined): string => channel ?? IMPLICIT_CHANNEL_ID;
