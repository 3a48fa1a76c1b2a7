/**
 * Migration 3: the amoCRM side — installations (OAuth tokens, encrypted by the application before
 * they reach this table), the provider's declared channels, and one amoCRM source per channel per
 * account. Frozen once released.
 */
export const amocrmSchemaSql = `
CREATE TABLE amocrm_installations (
  amocrm_account_id INTEGER PRIMARY KEY NOT NULL,
  amojo_id TEXT NOT NULL UNIQUE,
  domain TEXT NOT NULL,
  access_token_enc TEXT,
  refresh_token_enc TEXT,
  expires_at INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('active', 'reauthorization_required', 'uninstalled')),
  installed_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE provider_channels (
  login TEXT NOT NULL,
  channel_id TEXT NOT NULL CHECK (channel_id <> ''),
  name TEXT NOT NULL,
  position INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (login, channel_id)
);

CREATE TABLE amocrm_sources (
  amocrm_account_id INTEGER NOT NULL,
  login TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  external_id TEXT NOT NULL,
  amocrm_source_id INTEGER,
  pipeline_id INTEGER,
  name TEXT NOT NULL,
  is_default INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL CHECK (state IN ('pending', 'created', 'deleting')),
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (amocrm_account_id, login, channel_id),
  UNIQUE (amocrm_account_id, external_id)
);
CREATE INDEX amocrm_sources_login ON amocrm_sources (login, amocrm_account_id, channel_id);
`;
