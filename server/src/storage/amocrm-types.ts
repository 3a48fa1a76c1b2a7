/**
 * Storage of the amoCRM side: installations (OAuth), the provider's channels, and the amoCRM source
 * kept for each channel in each connected account. Same rules as types.ts: async, epoch ms, copies.
 */

export type InstallationStatus = 'active' | 'reauthorization_required' | 'uninstalled';

/** One amoCRM account where the integration is (or was) installed. */
export interface Installation {
  amocrmAccountId: number;
  /** The chat service's account id amoCRM reported for this account (unique). */
  amojoId: string;
  /** The account's host, e.g. `shop.amocrm.ru`. */
  domain: string;
  /** Encrypted (amocrm/token-crypto.ts envelopes); null once uninstalled. Never plaintext. */
  accessTokenEnc: string | null;
  refreshTokenEnc: string | null;
  /** When the access token expires (epoch ms). */
  expiresAt: number;
  status: InstallationStatus;
  installedAt: number;
  updatedAt: number;
}

export interface InstallationTokens {
  accessTokenEnc: string;
  refreshTokenEnc: string;
  expiresAt: number;
}

export interface InstallationRepo {
  /**
   * Insert or replace by amocrmAccountId. Another account already holding the same amojoId is a
   * `conflict` StorageError (amoCRM never reports one amojo_id for two accounts; if it did, refuse).
   */
  save(installation: Installation): Promise<void>;
  get(amocrmAccountId: number): Promise<Installation | null>;
  getByAmojoId(amojoId: string): Promise<Installation | null>;
  list(): Promise<Installation[]>;
  /**
   * Stores a refreshed token pair and marks the installation active — only if its refresh token is
   * still `expectedRefreshTokenEnc` (compare-and-set), so an instance holding a stale row cannot
   * overwrite a newer pair. Returns false when the row changed meanwhile (or is gone).
   */
  updateTokens(amocrmAccountId: number, tokens: InstallationTokens, expectedRefreshTokenEnc: string | null, now: number): Promise<boolean>;
  /** Sets the status; `uninstalled` also drops both tokens. false when there is no such row. */
  setStatus(amocrmAccountId: number, status: InstallationStatus, now: number): Promise<boolean>;
}

/**
 * A channel the provider declared for a login (a phone number, a bot…). A login that declared none
 * has no rows here: it has one implicit channel, IMPLICIT_CHANNEL_ID, which reads as `channel: null`
 * in the API and events (see amocrm/channels.ts).
 */
export interface ProviderChannel {
  login: string;
  channelId: string;
  name: string;
  /** Order in the provider's list; the first channel is the default source. */
  position: number;
  createdAt: number;
  updatedAt: number;
}

export interface ProviderChannelRepo {
  /**
   * Replaces the login's whole list (PUT semantics) atomically; createdAt of channels that stay is
   * kept. Returns the stored list in position order.
   */
  replace(login: string, channels: Array<{ id: string; name: string }>, now: number): Promise<ProviderChannel[]>;
  list(login: string): Promise<ProviderChannel[]>;
}

/**
 * pending: to be created (or being retried); created: amoCRM has it; deleting: its channel is gone;
 * error: amoCRM refused it for good (the source limit, a validation error) — lastError says why,
 * and the next change of channels or connect tries again.
 */
export type SourceState = 'pending' | 'created' | 'deleting' | 'error';

/** The amoCRM source of one provider channel in one amoCRM account. */
export interface AmocrmSource {
  amocrmAccountId: number;
  login: string;
  /** The provider's channel id; IMPLICIT_CHANNEL_ID ('') for a login's implicit channel. */
  channelId: string;
  /** Unique per amoCRM account (amocrm/external-id.ts). */
  externalId: string;
  /** amoCRM's id once created; null while pending. */
  amocrmSourceId: number | null;
  pipelineId: number | null;
  name: string;
  isDefault: boolean;
  state: SourceState;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface AmocrmSourceRepo {
  /** Insert or replace by (amocrmAccountId, login, channelId); a duplicate externalId in the account is a `conflict`. */
  save(source: AmocrmSource): Promise<void>;
  get(amocrmAccountId: number, login: string, channelId: string): Promise<AmocrmSource | null>;
  getByExternalId(amocrmAccountId: number, externalId: string): Promise<AmocrmSource | null>;
  /** Ordered by login, then channel id. */
  listByAccount(amocrmAccountId: number): Promise<AmocrmSource[]>;
  /** Ordered by account, then channel id. */
  listByLogin(login: string): Promise<AmocrmSource[]>;
  remove(amocrmAccountId: number, login: string, channelId: string): Promise<boolean>;
  /** Forgets every source of an account (uninstall); returns how many. */
  removeByAccount(amocrmAccountId: number): Promise<number>;
}

/** The id under which a login without declared channels keeps its one implicit channel. */
export const IMPLICIT_CHANNEL_ID = '';
