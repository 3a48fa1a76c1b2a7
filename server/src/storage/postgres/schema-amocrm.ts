/**
 * Migration 3 (as SQLite's 3): the amoCRM side — installations (OAuth tokens, encrypted by the
 * application before they reach this table), the provider's declared channels, and one amoCRM
 * source per channel per account. Frozen once released.
 */
export const pgAmocrmSchemaSql = `
CREATE TABLE amocrm_installations (
  amocrm_account_id BIGINT PRIMARY KEY,
  amojo_id TEXT NOT NULL UNIQUE,
  domain TEXT NOT NULL,
  access_token_enc TEXT,
  refresh_token_enc TEXT,
  expires_at BIGINT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('active', 'reauthorization_required', 'uninstalled')),
  installed_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE provider_channels (
  login TEXT NOT NULL,
  channel_id TEXT NOT NULL CHECK (channel_id <> ''),
  name TEXT NOT NULL,
  position INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (login, channel_id)
);

CREATE TABLE amocrm_sources (
  amocrm_account_id BIGINT NOT NULL,
  login TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  external_id TEXT NOT NULL,
  amocrm_source_id BIGINT,
  pipeline_id BIGINT,
  name TEXT NOT NULL,
  is_default BOOLEAN NOT NULL DEFAULT false,
  state TEXT NOT NULL CHECK (state IN ('pending', 'created', 'deleting')),
  last_error TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (amocrm_account_id, login, channel_id),
  UNIQUE (amocrm_account_id, external_id)
);
CREATE INDEX amocrm_sources_login ON amocrm_sources (login, amocrm_account_id, channel_id);
`;
