/**
 * Migration 10: provider messages accepted in batches (store.ts acceptInboundMessage, through
 * statement-batch.ts). Under load many intakes are in flight at once; each was one statement, one
 * commit with its own flush of the WAL, and one trip through the executor's setup. Now the intakes
 * that arrive while a batch is being written go out together: one statement, one commit.
 *
 * Each item is exactly amochan_accept_inbound (migration 8), in the order given, so the meaning
 * per message is unchanged: the message is inserted unless its (login, msgid) exists (false: a
 * repeat, nothing else written), its conversation upserted, its entries enqueued. Two repeats of
 * one msgid in the same batch: the first is created, the second sees it and answers false.
 *
 * Every ordering key of the batch is locked up front in one ordered acquisition (as
 * amochan_finish_many does), so two instances' batches never deadlock on each other's keys; the
 * per-entry lock amochan_enqueue takes again is then already held.
 */
export const pgIntakeBatchSql = `
CREATE FUNCTION amochan_accept_inbound_many(items jsonb) RETURNS boolean[] LANGUAGE plpgsql AS $$
DECLARE
  item jsonb;
  created boolean[] := '{}';
BEGIN
  PERFORM amochan_lock_keys(ARRAY(
    SELECT e->>'ordering_key' FROM jsonb_array_elements(items) AS i(value), jsonb_array_elements(i.value->'entries') AS e
    WHERE jsonb_typeof(i.value->'entries') = 'array'));
  FOR item IN SELECT value FROM jsonb_array_elements(items) LOOP
    created := created || amochan_accept_inbound(item->'msg', NULLIF(item->'conv', 'null'::jsonb), item->'entries', (item->>'now')::bigint);
  END LOOP;
  RETURN created;
END $$;
`;
