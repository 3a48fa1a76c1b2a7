/**
 * Migration 11: amochan_finish_many (migration 7) tells which completions unblocked their key.
 * Each outcome was 'finished' whether or not the key had a next entry, so every completion batch
 * sent a NOTIFY and woke every instance's worker to claim, mostly finding nothing (the relay's
 * conversations rarely have a second message waiting behind the one in flight). Now an item whose
 * key's next unfinished entry became its head answers 'unblocked' (the rest 'finished', 'already'
 * or 'missing' as before), and only those, or completions that enqueue follow-up entries, wake
 * anyone. Otherwise the same function, step for step. An instance still on migration 7's code
 * reads 'unblocked' as a success that needs no wake-up: its workers then find unblocked entries
 * at their next poll, no later than OUTBOX_POLL_MS, until it is upgraded too.
 */
export const pgFinishUnblockedSql = `
-- items as in migration 7. Returns one outcome per item, in the same order: 'unblocked' (finished,
-- and the key's next entry is now its head), 'finished' (finished, nothing behind it), 'already'
-- (finished before: nothing applied) or 'missing'. All or nothing, as before.
CREATE OR REPLACE FUNCTION amochan_finish_many(items jsonb) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
  item jsonb;
  patch jsonb;
  key text;
  was_head boolean;
  unblocked boolean;
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
    -- Its key's next unfinished entry, if any, takes over: then the key has claimable work again.
    unblocked := false;
    IF was_head THEN
      UPDATE outbox SET is_head = true
        WHERE seq = (SELECT seq FROM outbox WHERE ordering_key = key AND state IN ('pending', 'leased') ORDER BY seq LIMIT 1);
      unblocked := FOUND;
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
    outcomes := outcomes || CASE WHEN unblocked THEN 'unblocked' ELSE 'finished' END;
  END LOOP;
  RETURN outcomes;
END $$;
`;
