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
-- Enqueues are serialised per ordering key until commit (keys locked in hash order, so never a
-- deadlock): seq is taken at INSERT, and without the lock two instances could commit one
-- conversation's seq 11 before its seq 10, letting a worker deliver 11 first.
CREATE FUNCTION amochan_enqueue(entries jsonb, now_ms bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF entries IS NULL OR jsonb_array_length(entries) = 0 THEN RETURN; END IF;
  PERFORM pg_advisory_xact_lock(k.h) FROM
    (SELECT DISTINCT hashtextextended(e->>'ordering_key', 0) AS h FROM jsonb_array_elements(entries) AS e ORDER BY 1) AS k;
  INSERT INTO outbox (id, destination, kind, ordering_key, payload, message_id, state, next_attempt_at, created_at, updated_at)
    SELECT r.id, r.destination, r.kind, r.ordering_key, r.payload, r.message_id, 'pending', COALESCE(r.next_attempt_at, now_ms), now_ms, now_ms
    FROM ROWS FROM (jsonb_to_recordset(entries) AS (id text, destination text, kind text, ordering_key text, payload text,
                                                     message_id text, next_attempt_at bigint)) WITH ORDINALITY
         AS r(id, destination, kind, ordering_key, payload, message_id, next_attempt_at, i)
    ORDER BY r.i;
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
BEGIN
  UPDATE outbox SET state = new_state, lease_until = NULL, last_error = COALESCE(error, last_error), updated_at = now_ms
    WHERE id = entry_id AND state IN ('pending', 'leased');
  IF NOT FOUND THEN
    RETURN CASE WHEN EXISTS (SELECT 1 FROM outbox WHERE id = entry_id) THEN 'already' ELSE 'missing' END;
  END IF;
  IF patch_id IS NOT NULL THEN PERFORM amochan_patch_message(patch_id, patch, now_ms); END IF;
  PERFORM amochan_enqueue(entries, now_ms);
  RETURN 'finished';
END $$;
`;
