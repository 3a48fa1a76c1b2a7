/**
 * Migration 4: the hot units of work as server-side functions. Each is one statement, so a
 * customer message, an amojo hook or an outbox completion costs one round trip and one commit
 * instead of BEGIN + 3-4 statements + COMMIT: on PostgreSQL the round trips, not the rows, are
 * what limits intake. Rows arrive as JSON objects with the tables' column names.
 */
const conversationUpsert = (source: string) => `
    INSERT INTO conversations SELECT * FROM jsonb_populate_record(null::conversations, ${source})
    ON CONFLICT (id) DO UPDATE SET login = excluded.login, scope_id = excluded.scope_id, conversation_id = excluded.conversation_id,
      amojo_chat_id = excluded.amojo_chat_id, client_id = excluded.client_id, client_ref_id = excluded.client_ref_id,
      phone = excluded.phone, state = excluded.state, ref_bound = excluded.ref_bound, created_at = excluded.created_at,
      updated_at = excluded.updated_at, last_activity_at = excluded.last_activity_at;`;

export const pgFunctionsSql = `
-- Every change to a key's set of unfinished entries (enqueue, finish, revive) runs under that key's
-- transaction-scoped advisory lock, taken in hash order so two writers never deadlock. So seq
-- order is commit order within a key (seq is taken at INSERT: without the lock two instances could
-- commit one conversation's seq 11 before its seq 10), and is_head is recomputed race-free.
CREATE FUNCTION amochan_lock_keys(keys text[]) RETURNS void LANGUAGE sql AS $$
  SELECT count(pg_advisory_xact_lock(k.h)) FROM
    (SELECT DISTINCT hashtextextended(key, 0) AS h FROM unnest(keys) AS key ORDER BY 1) AS k;
$$;

-- is_head = the key's lowest-seq unfinished entry. Reads only heads and each key's first entry.
CREATE FUNCTION amochan_fix_heads(keys text[]) RETURNS void LANGUAGE sql AS $$
  UPDATE outbox o SET is_head = false
  WHERE o.ordering_key = ANY(keys) AND o.is_head
    AND (o.state NOT IN ('pending', 'leased') OR EXISTS
          (SELECT 1 FROM outbox p WHERE p.ordering_key = o.ordering_key AND p.state IN ('pending', 'leased') AND p.seq < o.seq));
  UPDATE outbox o SET is_head = true
  FROM (SELECT (SELECT seq FROM outbox WHERE ordering_key = k AND state IN ('pending', 'leased') ORDER BY seq LIMIT 1) AS head
        FROM unnest(keys) AS k) AS h
  WHERE o.seq = h.head AND NOT o.is_head;
$$;

CREATE FUNCTION amochan_enqueue(entries jsonb, now_ms bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  keys text[];
BEGIN
  IF entries IS NULL OR jsonb_array_length(entries) = 0 THEN RETURN; END IF;
  keys := ARRAY(SELECT DISTINCT e->>'ordering_key' FROM jsonb_array_elements(entries) AS e);
  PERFORM amochan_lock_keys(keys);
  -- A new entry is its key's head when the key has no unfinished entry (the lock makes that
  -- stable) and it is the key's first in this batch: decided at insert, never updated after.
  INSERT INTO outbox (id, destination, kind, ordering_key, payload, message_id, state, next_attempt_at, created_at, updated_at, is_head)
    SELECT r.id, r.destination, r.kind, r.ordering_key, r.payload, r.message_id, 'pending', COALESCE(r.next_attempt_at, now_ms), now_ms, now_ms,
           row_number() OVER (PARTITION BY r.ordering_key ORDER BY r.i) = 1
             AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.ordering_key = r.ordering_key AND p.state IN ('pending', 'leased'))
    FROM ROWS FROM (jsonb_to_recordset(entries) AS (id text, destination text, kind text, ordering_key text, payload text,
                                                     message_id text, next_attempt_at bigint)) WITH ORDINALITY
         AS r(id, destination, kind, ordering_key, payload, message_id, next_attempt_at, i)
    ORDER BY r.i;
END $$;

-- dead → pending with attempts reset: one entry, or every dead one when entry_id is NULL. Returns how many.
CREATE FUNCTION amochan_revive(entry_id text, now_ms bigint) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  keys text[];
  n integer;
BEGIN
  keys := ARRAY(SELECT DISTINCT ordering_key FROM outbox WHERE state = 'dead' AND (entry_id IS NULL OR id = entry_id));
  IF cardinality(keys) = 0 THEN RETURN 0; END IF;
  PERFORM amochan_lock_keys(keys);
  UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = now_ms, lease_until = NULL, updated_at = now_ms
    WHERE state = 'dead' AND (entry_id IS NULL OR id = entry_id);
  GET DIAGNOSTICS n = ROW_COUNT;
  PERFORM amochan_fix_heads(keys);
  RETURN n;
END $$;

CREATE FUNCTION amochan_patch_message(message_id text, patch jsonb, now_ms bigint) RETURNS void LANGUAGE sql AS $$
  UPDATE messages SET
    status = CASE WHEN patch ? 'status' THEN patch->>'status' ELSE status END,
    last_error = CASE WHEN patch ? 'lastError' THEN patch->>'lastError' ELSE last_error END,
    amojo_msg_id = CASE WHEN patch ? 'amojoMsgId' THEN patch->>'amojoMsgId' ELSE amojo_msg_id END,
    amojo_chat_id = CASE WHEN patch ? 'amojoChatId' THEN patch->>'amojoChatId' ELSE amojo_chat_id END,
    conversation_id = CASE WHEN patch ? 'conversationId' THEN patch->>'conversationId' ELSE conversation_id END,
    updated_at = now_ms
  WHERE id = message_id;
$$;

-- false: a message with this (login, msgid) exists, and nothing was written.
CREATE FUNCTION amochan_accept_inbound(msg jsonb, conv jsonb, entries jsonb, now_ms bigint) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO messages SELECT * FROM jsonb_populate_record(null::messages, msg) ON CONFLICT (login, msgid) DO NOTHING;
  IF NOT FOUND THEN RETURN false; END IF;
  IF conv IS NOT NULL THEN ${conversationUpsert('conv')} END IF;
  PERFORM amochan_enqueue(entries, now_ms);
  RETURN true;
END $$;

-- true: the receipt key was seen before (a duplicate hook), and nothing was written.
CREATE FUNCTION amochan_accept_webhook(receipt jsonb, msg jsonb, conv jsonb, entries jsonb, now_ms bigint) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO webhook_receipts SELECT * FROM jsonb_populate_record(null::webhook_receipts, receipt) ON CONFLICT (key) DO NOTHING;
  IF NOT FOUND THEN RETURN true; END IF;
  IF conv IS NOT NULL THEN ${conversationUpsert('conv')} END IF;
  IF msg IS NOT NULL THEN
    INSERT INTO messages SELECT * FROM jsonb_populate_record(null::messages, msg) ON CONFLICT (login, msgid) DO NOTHING;
    IF NOT FOUND THEN RAISE unique_violation USING MESSAGE = 'message ' || (msg->>'msgid') || ' already exists'; END IF;
  END IF;
  PERFORM amochan_enqueue(entries, now_ms);
  RETURN false;
END $$;

-- Complete or kill with effects. 'finished', 'already' (finished before: nothing applied) or 'missing'.
CREATE FUNCTION amochan_finish(entry_id text, new_state text, error text, now_ms bigint, patch_id text, patch jsonb, entries jsonb)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  key text;
  was_head boolean;
BEGIN
  SELECT ordering_key INTO key FROM outbox WHERE id = entry_id;
  IF NOT FOUND THEN RETURN 'missing'; END IF;
  -- Its own key and the keys it will enqueue into, in one ordered acquisition: taking them in two
  -- steps could deadlock with a finish whose keys are the other way round.
  PERFORM amochan_lock_keys(key || ARRAY(SELECT e->>'ordering_key' FROM jsonb_array_elements(COALESCE(entries, '[]')) AS e));
  SELECT is_head INTO was_head FROM outbox WHERE id = entry_id AND state IN ('pending', 'leased');
  IF NOT FOUND THEN RETURN 'already'; END IF;
  UPDATE outbox SET state = new_state, is_head = false, lease_until = NULL, last_error = COALESCE(error, last_error), updated_at = now_ms
    WHERE id = entry_id;
  -- Its key's next unfinished entry, if any, takes over.
  IF was_head THEN
    UPDATE outbox SET is_head = true
      WHERE seq = (SELECT seq FROM outbox WHERE ordering_key = key AND state IN ('pending', 'leased') ORDER BY seq LIMIT 1);
  END IF;
  IF patch_id IS NOT NULL THEN PERFORM amochan_patch_message(patch_id, patch, now_ms); END IF;
  PERFORM amochan_enqueue(entries, now_ms);
  RETURN 'finished';
END $$;
`;
