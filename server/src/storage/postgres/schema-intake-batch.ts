/**
 * Migration 10: provider messages accepted in batches, their outbox entries leased to the
 * accepting instance on the way in (store.ts acceptInboundMessage, statement-batch.ts, and the
 * hand-off in outbox.ts).
 *
 * Batches: under load many intakes are in flight at once; each was one statement, one commit with
 * its own flush of the WAL, and one trip through the executor's setup. Now the intakes that arrive
 * while a batch is being written go out together: one statement, one commit. Each item means what
 * amochan_accept_inbound (migration 8) means, in the order given: the message is inserted unless
 * its (login, msgid) exists (created false: a repeat, nothing else written), its conversation
 * upserted, its entries enqueued. Two repeats of one msgid in the same batch: the first is created,
 * the second sees it and answers false.
 *
 * Hand-off: an item that carries lease_until has its entries inserted already leased until then
 * (attempts 1, as a claim would leave them) when the entry is its key's head and due now, so the
 * instance that accepted the message delivers it without claiming it: no claim statement, no
 * second row version, no NOTIFY and no other instance woken for it. An entry behind an unfinished
 * one of its key, or due later, is enqueued pending as ever. A leased entry is what a claim leaves,
 * so if the instance dies before delivering it, any instance claims it once the lease expires.
 * `leased` lists the entries inserted leased, as rows (to_jsonb), read like any claimed row.
 *
 * Every ordering key of the batch is locked up front in one ordered acquisition (as
 * amochan_finish_many does), so two instances' batches never deadlock on each other's keys; the
 * per-key lock amochan_enqueue takes again is then already held.
 */
export const pgIntakeBatchSql = `
CREATE FUNCTION amochan_accept_inbound_many(items jsonb, OUT created boolean[], OUT leased jsonb) LANGUAGE plpgsql AS $$
DECLARE
  item jsonb;
  e jsonb;
  ok boolean;
  now_ms bigint;
  lease bigint;
  head boolean;
  due bigint;
  leased_row jsonb;
BEGIN
  created := '{}';
  leased := '[]';
  PERFORM amochan_lock_keys(ARRAY(
    SELECT x->>'ordering_key' FROM jsonb_array_elements(items) AS i(value), jsonb_array_elements(i.value->'entries') AS x
    WHERE jsonb_typeof(i.value->'entries') = 'array'));
  FOR item IN SELECT value FROM jsonb_array_elements(items) LOOP
    now_ms := (item->>'now')::bigint;
    lease := (item->>'lease_until')::bigint;
    IF lease IS NULL THEN
      ok := amochan_accept_inbound(item->'msg', NULLIF(item->'conv', 'null'::jsonb), item->'entries', now_ms);
    ELSE
      ok := amochan_accept_inbound(item->'msg', NULLIF(item->'conv', 'null'::jsonb), '[]'::jsonb, now_ms);
      IF ok THEN
        -- amochan_enqueue's insert, one entry at a time in order, leased when it may be.
        FOR e IN SELECT value FROM jsonb_array_elements(item->'entries') LOOP
          head := NOT EXISTS (SELECT 1 FROM outbox p WHERE p.ordering_key = e->>'ordering_key' AND p.state IN ('pending', 'leased'));
          due := COALESCE((e->>'next_attempt_at')::bigint, now_ms);
          IF head AND due <= now_ms THEN
            INSERT INTO outbox (id, destination, kind, ordering_key, payload, message_id, state, attempts, next_attempt_at, lease_until,
                                created_at, updated_at, is_head)
              VALUES (e->>'id', e->>'destination', e->>'kind', e->>'ordering_key', e->>'payload', e->>'message_id', 'leased', 1, due, lease,
                      now_ms, now_ms, true)
              RETURNING to_jsonb(outbox.*) INTO leased_row;
            leased := leased || jsonb_build_array(leased_row);
          ELSE
            INSERT INTO outbox (id, destination, kind, ordering_key, payload, message_id, state, next_attempt_at, created_at, updated_at, is_head)
              VALUES (e->>'id', e->>'destination', e->>'kind', e->>'ordering_key', e->>'payload', e->>'message_id', 'pending', due,
                      now_ms, now_ms, head);
          END IF;
        END LOOP;
      END IF;
    END IF;
    created := created || ok;
  END LOOP;
END $$;
`;
