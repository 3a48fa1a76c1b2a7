/**
 * PostgreSQL schema, numbered like SQLite's (same tables and columns, same meaning per version) but
 * written for concurrent writers on several instances:
 * - no counter tables (every writer would queue on those few hot rows): counts are index-only
 *   scans of the unfinished rows (small by design: done rows are not in those indexes).
 * - the head of each ordering key (its first unfinished entry, the only claimable one) is flagged
 *   on the row itself (is_head), kept by the functions of migration 5 under a per-key lock: a
 *   claim reads due heads only, so a conversation with thousands of entries stuck behind its
 *   head costs nothing per poll (SQLite's outbox_heads table does the same with triggers).
 * - due_at is a stored generated column, so a claim is one index range scan in due order and a
 *   concurrent claimer re-checks it on the new row version (FOR UPDATE re-evaluation).
 * - times are BIGINT epoch ms; payloads TEXT (kept byte for byte for audit, as in SQLite).
 */
export const pgInitialSchemaSql = `
CREATE TABLE provider_accounts (
  login TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE connections (
  amojo_account_id TEXT PRIMARY KEY,
  login TEXT NOT NULL,
  scope_id TEXT NOT NULL,
  title TEXT,
  status TEXT NOT NULL CHECK (status IN ('connected', 'disconnected')),
  amocrm_account_id BIGINT,
  pipeline_id BIGINT,
  connected_at BIGINT NOT NULL,
  disconnected_at BIGINT,
  updated_at BIGINT NOT NULL
);
CREATE INDEX connections_scope ON connections (scope_id);
CREATE INDEX connections_login_status ON connections (login, status);

CREATE TABLE conversations (
  id TEXT PRIMARY KEY,
  login TEXT NOT NULL,
  scope_id TEXT NOT NULL,
  conversation_id TEXT,
  amojo_chat_id TEXT,
  client_id TEXT,
  client_ref_id TEXT,
  phone TEXT,
  state TEXT NOT NULL CHECK (state IN ('active', 'pending')),
  ref_bound BOOLEAN NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  last_activity_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX conversations_login_conversation ON conversations (login, conversation_id);
CREATE INDEX conversations_scope_chat ON conversations (scope_id, amojo_chat_id);
CREATE INDEX conversations_pending_phone ON conversations (login, phone, created_at, id) WHERE state = 'pending';
CREATE INDEX conversations_activity ON conversations (last_activity_at);

CREATE TABLE messages (
  id TEXT PRIMARY KEY,
  direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
  login TEXT NOT NULL,
  scope_id TEXT NOT NULL,
  conversation_id TEXT,
  amojo_chat_id TEXT,
  msgid TEXT,
  amojo_msg_id TEXT,
  status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'delivered', 'read', 'failed', 'dead')),
  last_error TEXT,
  payload TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX messages_login_msgid ON messages (login, msgid);
CREATE INDEX messages_amojo_msg_id ON messages (amojo_msg_id) WHERE amojo_msg_id IS NOT NULL;

CREATE TABLE webhook_receipts (
  key TEXT PRIMARY KEY,
  scope_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  raw TEXT NOT NULL,
  received_at BIGINT NOT NULL
);

CREATE TABLE outbox (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  destination TEXT NOT NULL CHECK (destination IN ('amojo', 'provider')),
  kind TEXT NOT NULL,
  ordering_key TEXT NOT NULL,
  payload TEXT NOT NULL,
  message_id TEXT,
  state TEXT NOT NULL CHECK (state IN ('pending', 'leased', 'done', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  lease_until BIGINT,
  last_error TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  is_head BOOLEAN NOT NULL DEFAULT false,
  -- When the row becomes claimable: pending at next_attempt_at, leased once its lease has expired.
  due_at BIGINT GENERATED ALWAYS AS
    (CASE state WHEN 'pending' THEN next_attempt_at WHEN 'leased' THEN lease_until + 1 END) STORED
);
CREATE INDEX outbox_due ON outbox (due_at, seq) INCLUDE (destination) WHERE is_head AND state IN ('pending', 'leased');
CREATE INDEX outbox_key_head ON outbox (ordering_key) WHERE is_head;
CREATE INDEX outbox_key_order ON outbox (ordering_key, seq) WHERE state IN ('pending', 'leased');
-- INCLUDE destination: countByState (metrics) is an index-only scan, not a read of every row.
CREATE INDEX outbox_state_seq ON outbox (state, seq) INCLUDE (destination);
CREATE INDEX outbox_done_updated ON outbox (updated_at) WHERE state = 'done';
-- The outbox churns (insert, two updates, delete per message): vacuum it early and often.
ALTER TABLE outbox SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02, fillfactor = 80);
`;

export const pgReceiptsByTimeSql = 'CREATE INDEX webhook_receipts_received ON webhook_receipts (received_at);';

/** State shared by instances: replay cache, rate-limit windows, single-runner job leases. */
export const pgSharedStateSql = `
CREATE TABLE replay_cache (
  partition TEXT NOT NULL,
  key TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (partition, key)
);
CREATE INDEX replay_cache_expiry ON replay_cache (expires_at);

CREATE TABLE rate_windows (
  key TEXT PRIMARY KEY,
  window_start BIGINT NOT NULL,
  window_ms BIGINT NOT NULL,
  count INTEGER NOT NULL
);

CREATE TABLE job_leases (
  job TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_at BIGINT NOT NULL
);
`;
