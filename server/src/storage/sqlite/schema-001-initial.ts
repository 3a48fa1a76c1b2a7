/**
 * Migration 1: the initial schema. Frozen once released — later changes go in new migrations.
 *
 * Invariants kept by triggers (so every writer — server, CLI, a future tool — keeps them):
 * - outbox_heads: one row per ordering_key that has unfinished (pending/leased) entries, pointing at
 *   the lowest-seq one and saying when it becomes claimable (due_at). Claiming reads only this
 *   small table, so a long blocked queue behind one conversation costs nothing per poll.
 * - outbox_counts / counters: running counts, so backpressure and metrics never scan big tables.
 */
const UNFINISHED = "('pending', 'leased')";
// When a head becomes claimable: pending at next_attempt_at; leased once the lease has expired
// (lease_until < now), i.e. at lease_until + 1 for integer ms.
const dueAt = (row: 'NEW' | 'OLD' | '') => {
  const p = row ? `${row}.` : '';
  return `CASE ${p}state WHEN 'pending' THEN ${p}next_attempt_at ELSE ${p}lease_until + 1 END`;
};
// The row left the unfinished set: if it was its key's head, the next unfinished row (if any) takes over.
const promoteNext = (row: 'NEW' | 'OLD') => `
  DELETE FROM outbox_heads WHERE ordering_key = ${row}.ordering_key AND seq = ${row}.seq;
  INSERT OR IGNORE INTO outbox_heads (ordering_key, seq, destination, due_at)
    SELECT ordering_key, seq, destination, ${dueAt('')}
    FROM outbox WHERE ordering_key = ${row}.ordering_key AND state IN ${UNFINISHED}
    ORDER BY seq LIMIT 1;`;

const bumpCount = (row: 'NEW' | 'OLD', delta: 1 | -1) => `
  INSERT INTO outbox_counts (destination, state, count) VALUES (${row}.destination, ${row}.state, ${delta})
    ON CONFLICT (destination, state) DO UPDATE SET count = count + (${delta});`;

export const initialSchemaSql = `
CREATE TABLE provider_accounts (
  login TEXT PRIMARY KEY NOT NULL,
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE connections (
  amojo_account_id TEXT PRIMARY KEY NOT NULL,
  login TEXT NOT NULL,
  scope_id TEXT NOT NULL,
  title TEXT,
  status TEXT NOT NULL CHECK (status IN ('connected', 'disconnected')),
  amocrm_account_id INTEGER,
  pipeline_id INTEGER,
  connected_at INTEGER NOT NULL,
  disconnected_at INTEGER,
  updated_at INTEGER NOT NULL
);
CREATE INDEX connections_scope ON connections (scope_id);
CREATE INDEX connections_login_status ON connections (login, status);

CREATE TABLE conversations (
  id TEXT PRIMARY KEY NOT NULL,
  login TEXT NOT NULL,
  scope_id TEXT NOT NULL,
  conversation_id TEXT,
  amojo_chat_id TEXT,
  client_id TEXT,
  client_ref_id TEXT,
  phone TEXT,
  state TEXT NOT NULL CHECK (state IN ('active', 'pending')),
  ref_bound INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_activity_at INTEGER NOT NULL
);
-- NULL conversation_ids (pending write-first chats) never collide: NULLs are distinct in SQLite.
CREATE UNIQUE INDEX conversations_login_conversation ON conversations (login, conversation_id);
CREATE INDEX conversations_scope_chat ON conversations (scope_id, amojo_chat_id);
CREATE INDEX conversations_pending_phone ON conversations (login, phone, created_at, id) WHERE state = 'pending';
CREATE INDEX conversations_activity ON conversations (last_activity_at);

CREATE TABLE messages (
  id TEXT PRIMARY KEY NOT NULL,
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
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
-- The provider's idempotency key; outbound messages have msgid NULL and never collide.
CREATE UNIQUE INDEX messages_login_msgid ON messages (login, msgid);
CREATE INDEX messages_amojo_msg_id ON messages (amojo_msg_id) WHERE amojo_msg_id IS NOT NULL;

CREATE TABLE webhook_receipts (
  key TEXT PRIMARY KEY NOT NULL,
  scope_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  raw TEXT NOT NULL,
  received_at INTEGER NOT NULL
) WITHOUT ROWID;

-- AUTOINCREMENT: seq never goes backwards, even after the newest rows are purged.
CREATE TABLE outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  destination TEXT NOT NULL CHECK (destination IN ('amojo', 'provider')),
  kind TEXT NOT NULL,
  ordering_key TEXT NOT NULL,
  payload TEXT NOT NULL,
  message_id TEXT,
  state TEXT NOT NULL CHECK (state IN ('pending', 'leased', 'done', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  lease_until INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX outbox_state_next ON outbox (state, next_attempt_at);
-- Only unfinished rows: finding a key's head is one seek however many done rows it has.
CREATE INDEX outbox_key_order ON outbox (ordering_key, seq) WHERE state IN ('pending', 'leased');

CREATE TABLE outbox_heads (
  ordering_key TEXT PRIMARY KEY NOT NULL,
  seq INTEGER NOT NULL,
  destination TEXT NOT NULL,
  due_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX outbox_heads_due ON outbox_heads (due_at, seq);
CREATE INDEX outbox_heads_destination_due ON outbox_heads (destination, due_at, seq);

CREATE TABLE outbox_counts (
  destination TEXT NOT NULL,
  state TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (destination, state)
) WITHOUT ROWID;

-- Entries are only ever appended with a higher seq, so a new entry is the head only if its key has none.
CREATE TRIGGER outbox_after_insert AFTER INSERT ON outbox BEGIN
  INSERT OR IGNORE INTO outbox_heads (ordering_key, seq, destination, due_at)
    SELECT NEW.ordering_key, NEW.seq, NEW.destination, ${dueAt('NEW')} WHERE NEW.state IN ${UNFINISHED};
  ${bumpCount('NEW', 1)}
END;

-- Lease or reschedule: the key's unfinished set is unchanged, so only the head's due time can move.
CREATE TRIGGER outbox_after_update_unfinished AFTER UPDATE OF state, next_attempt_at, lease_until ON outbox
WHEN OLD.state IN ${UNFINISHED} AND NEW.state IN ${UNFINISHED} BEGIN
  UPDATE outbox_heads SET due_at = ${dueAt('NEW')} WHERE ordering_key = NEW.ordering_key AND seq = NEW.seq;
END;

-- Complete or kill.
CREATE TRIGGER outbox_after_finish AFTER UPDATE OF state ON outbox
WHEN OLD.state IN ${UNFINISHED} AND NEW.state NOT IN ${UNFINISHED} BEGIN
  ${promoteNext('NEW')}
END;

-- Retry of a dead entry: it becomes the head if it is older than the current one.
CREATE TRIGGER outbox_after_revive AFTER UPDATE OF state ON outbox
WHEN OLD.state NOT IN ${UNFINISHED} AND NEW.state IN ${UNFINISHED} BEGIN
  INSERT INTO outbox_heads (ordering_key, seq, destination, due_at)
    VALUES (NEW.ordering_key, NEW.seq, NEW.destination, ${dueAt('NEW')})
    ON CONFLICT (ordering_key) DO UPDATE SET seq = excluded.seq, destination = excluded.destination, due_at = excluded.due_at
    WHERE excluded.seq < outbox_heads.seq;
END;

CREATE TRIGGER outbox_after_state_change AFTER UPDATE OF state ON outbox WHEN OLD.state <> NEW.state BEGIN
  ${bumpCount('OLD', -1)}
  ${bumpCount('NEW', 1)}
END;

CREATE TRIGGER outbox_after_delete_unfinished AFTER DELETE ON outbox WHEN OLD.state IN ${UNFINISHED} BEGIN
  ${promoteNext('OLD')}
END;

CREATE TRIGGER outbox_after_delete AFTER DELETE ON outbox BEGIN
  ${bumpCount('OLD', -1)}
END;

CREATE TABLE counters (
  name TEXT PRIMARY KEY NOT NULL,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO counters (name, value) VALUES ('messages', 0), ('webhook_receipts', 0);

CREATE TRIGGER messages_after_insert AFTER INSERT ON messages BEGIN
  UPDATE counters SET value = value + 1 WHERE name = 'messages';
END;
CREATE TRIGGER messages_after_delete AFTER DELETE ON messages BEGIN
  UPDATE counters SET value = value - 1 WHERE name = 'messages';
END;
CREATE TRIGGER webhook_receipts_after_insert AFTER INSERT ON webhook_receipts BEGIN
  UPDATE counters SET value = value + 1 WHERE name = 'webhook_receipts';
END;
CREATE TRIGGER webhook_receipts_after_delete AFTER DELETE ON webhook_receipts BEGIN
  UPDATE counters SET value = value - 1 WHERE name = 'webhook_receipts';
END;
`;
