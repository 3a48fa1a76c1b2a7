/**
 * Migration 7: the outbox's lease bookkeeping made cheap per message.
 *
 * - amochan_lock_keys and amochan_patch_message were LANGUAGE sql functions that PostgreSQL cannot
 *   inline (they are called through PERFORM), so each call parsed and planned their text again: a
 *   profile of the relay showed ~13 % of the database's CPU in that. In plpgsql their plans are
 *   cached per session. Same signatures and meaning, so instances still on migration 6's code
 *   (amochan_finish, amochan_enqueue) keep working against them during a rolling upgrade.
 * - amochan_enqueue inserted its entries with one INSERT … SELECT over jsonb_to_recordset, which
 *   the planner guesses at 100 rows: it then checked "does the key have an unfinished entry" with a
 *   hashed subplan that reads every unfinished row of the outbox, on every enqueue (0.5 ms at 5,000
 *   pending, growing with the backlog). Inserting the entries one by one, in order, makes that
 *   check one index probe per entry; each insert sees the ones before it, so an entry is still its
 *   key's head only when the key had no unfinished entry and it is the key's first in the batch.
 * - amochan_finish_many completes or kills a batch of entries in one statement and one commit
 *   (statement-batch.ts collects them): the same steps as amochan_finish per entry, in the order
 *   given, with every key the batch touches locked up front in one ordered acquisition, so two
 *   batches can never deadlock on each other's keys.
 */
export const pgLeaseBatchSql = `
CREATE OR REPLACE FUNCTION amochan_lock_keys(keys text[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  h bigint;
BEGIN
  IF cardinality(keys) = 1 THEN
    PERFORM pg_advisory_xact_lock(hashtextextended(keys[1], 0));
    RETURN;
  END IF;
  FOR h IN SELECT DISTINCT hashtextextended(k, 0) FROM unnest(keys) AS k ORDER BY 1 LOOP
    PERFORM pg_advisory_xact_lock(h);
  END LOOP;
END $$;

CREATE OR REPLACE FUNCTION amochan_enqueue(entries jsonb, now_ms bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  r record;
BEGIN
  IF entries IS NULL OR jsonb_array_length(entries) = 0 THEN RETURN; END IF;
  -- One entry (every message, hook and completion effect): its key's lock and the insert, nothing more.
  IF jsonb_array_length(entries) = 1 THEN
    PERFORM pg_advisory_xact_lock(hashtextextended(entries->0->>'ordering_key', 0));
    INSERT INTO outbox (id, destination, kind, ordering_key, payload, message_id, state, next_attempt_at, created_at, updated_at, is_head)
      SELECT e->>'id', e->>'destination', e->>'kind', e->>'ordering_key', e->>'payload', e->>'message_id', 'pending',
             COALESCE((e->>'next_attempt_at')::bigint, now_ms), now_ms, now_ms,
             NOT EXISTS (SELECT 1 FROM outbox p WHERE p.ordering_key = e->>'ordering_key' AND p.state IN ('pending', 'leased'))
      FROM (SELECT entries->0 AS e) AS one;
    RETURN;
  END IF;
  PERFORM amochan_lock_keys(ARRAY(SELECT DISTINCT e->>'ordering_key' FROM jsonb_array_elements(entries) AS e));
  FOR r IN SELECT * FROM ROWS FROM (jsonb_to_recordset(entries) AS (id text, destination text, kind text, ordering_key text, payload text,
                                                                    message_id text, next_attempt_at bigint)) WITH ORDINALITY
             AS x(id, destination, kind, ordering_key, payload, message_id, next_attempt_at, i)
           ORDER BY x.i LOOP
    INSERT INTO outbox (id, destination, kind, ordering_key, payload, message_id, state, next_attempt_at, created_at, updated_at, is_head)
      VALUES (r.id, r.destination, r.kind, r.ordering_key, r.payload, r.message_id, 'pending', COALESCE(r.next_attempt_at, now_ms), now_ms, now_ms,
              NOT EXISTS (SELECT 1 FROM outbox p WHERE p.ordering_key = r.ordering_key AND p.state IN ('pending', 'leased')));
  END LOOP;
END $$;

CREATE OR REPLACE FUNCTION amochan_patch_message(message_id text, patch jsonb, now_ms bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  UPDATE messages SET
    status = CASE WHEN patch ? 'status' THEN patch->>'status' ELSE status END,
    last_error = CASE WHEN patch ? 'lastError' THEN patch->>'lastError' ELSE last_error END,
    amojo_msg_id = CASE WHEN patch ? 'amojoMsgId' THEN patch->>'amojoMsgId' ELSE amojo_msg_id END,
    amojo_chat_id = CASE WHEN patch ? 'amojoChatId' THEN patch->>'amojoChatId' ELSE amojo_chat_id END,
    conversation_id = CASE WHEN patch ? 'conversationId' THEN patch->>'conversationId' ELSE conversation_id END,
    updated_at = now_ms
  WHERE id = message_id;
END $$;

-- items: [{id, state ('done' | 'dead'), error, now, patch_id, patch, entries}], applied in order.
-- Returns one outcome per item, in the same order: 'finished', 'already' (finished before:
-- nothing applied) or 'missing'. All or nothing: an error in any item rolls back the whole batch.
CREATE FUNCTION amochan_finish_many(items jsonb) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
  item jsonb;
  patch jsonb;
  key text;
  was_head boolean;
  now_ms bigint;
  keys text[] := '{}';
  outcomes text[] := '{}';
BEGIN
  -- The keys one probe of the id index at a time: a set-based lookup (IN, = ANY, a join against the
  -- items) leaves the planner guessing how many items there are, and it may read the whole outbox.
  FOR item IN SELECT value FROM jsonb_array_elements(items) LOOP
    SELECT o.ordering_key INTO key FROM outbox o WHERE o.id = item->>'id';
    IF FOUND THEN keys := keys || key; END IF;
    IF jsonb_typeof(item->'entries') = 'array' THEN
      keys := keys || ARRAY(SELECT e->>'ordering_key' FROM jsonb_array_elements(item->'entries') AS e);
    END IF;
  END LOOP;
  PERFORM amochan_lock_keys(keys);
  FOR item IN SELECT value FROM jsonb_array_elements(items) LOOP
    now_ms := (item->>'now')::bigint;
    -- One statement finishes the entry and reads whether it was its key's head (old: the row as it
    -- was before this update; stable, since only this key's lock holders change is_head).
    UPDATE outbox o SET state = item->>'state', is_head = false, lease_until = NULL,
        last_error = COALESCE(item->>'error', o.last_error), updated_at = now_ms
      FROM outbox old
      WHERE old.id = item->>'id' AND o.seq = old.seq AND o.state IN ('pending', 'leased')
      RETURNING old.is_head, o.ordering_key INTO was_head, key;
    IF NOT FOUND THEN
      outcomes := outcomes || CASE WHEN EXISTS (SELECT 1 FROM outbox WHERE id = item->>'id') THEN 'already' ELSE 'missing' END;
      CONTINUE;
    END IF;
    -- Its key's next unfinished entry, if any, takes over.
    IF was_head THEN
      UPDATE outbox SET is_head = true
        WHERE seq = (SELECT seq FROM outbox WHERE ordering_key = key AND state IN ('pending', 'leased') ORDER BY seq LIMIT 1);
    END IF;
    -- amochan_patch_message, inline (a function call per item costs as much as the update).
    IF item->>'patch_id' IS NOT NULL THEN
      patch := item->'patch';
      UPDATE messages SET
        status = CASE WHEN patch ? 'status' THEN patch->>'status' ELSE status END,
        last_error = CASE WHEN patch ? 'lastError' THEN patch->>'lastError' ELSE last_error END,
        amojo_msg_id = CASE WHEN patch ? 'amojoMsgId' THEN patch->>'amojoMsgId' ELSE amojo_msg_id END,
        amojo_chat_id = CASE WHEN patch ? 'amojoChatId' THEN patch->>'amojoChatId' ELSE amojo_chat_id END,
        conversation_id = CASE WHEN patch ? 'conversationId' THEN patch->>'conversationId' ELSE conversation_id END,
        updated_at = now_ms
      WHERE id = item->>'patch_id';
    END IF;
    IF jsonb_typeof(item->'entries') = 'array' AND jsonb_array_length(item->'entries') > 0 THEN
      PERFORM amochan_enqueue(item->'entries', now_ms);
    END IF;
    outcomes := outcomes || 'finished'::text;
  END LOOP;
  RETURN outcomes;
END $$;
`;
