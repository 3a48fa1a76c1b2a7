/**
 * Migration 8: conversations remember their provider channel (storage/types.ts Conversation.channelId).
 * The intake functions of migration 5 upsert conversations with an explicit column list, so they
 * are re-created here with channel_id in it; everything else in them is unchanged. Frozen once
 * released, like every migration: a later change to these functions is another CREATE OR REPLACE.
 */
const conversationUpsert = (source: string) => `
    INSERT INTO conversations SELECT * FROM jsonb_populate_record(null::conversations, ${source})
    ON CONFLICT (id) DO UPDATE SET login = excluded.login, scope_id = excluded.scope_id, conversation_id = excluded.conversation_id,
      amojo_chat_id = excluded.amojo_chat_id, client_id = excluded.client_id, client_ref_id = excluded.client_ref_id,
      phone = excluded.phone, state = excluded.state, ref_bound = excluded.ref_bound, channel_id = excluded.channel_id,
      created_at = excluded.created_at, updated_at = excluded.updated_at, last_activity_at = excluded.last_activity_at;`;

export const pgConversationChannelSql = `
-- Nullable, no default: rows from before it have not learned their channel yet.
ALTER TABLE conversations ADD COLUMN channel_id TEXT;

CREATE OR REPLACE FUNCTION amochan_accept_inbound(msg jsonb, conv jsonb, entries jsonb, now_ms bigint) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO messages SELECT * FROM jsonb_populate_record(null::messages, msg) ON CONFLICT (login, msgid) DO NOTHING;
  IF NOT FOUND THEN RETURN false; END IF;
  IF conv IS NOT NULL THEN ${conversationUpsert('conv')} END IF;
  PERFORM amochan_enqueue(entries, now_ms);
  RETURN true;
END $$;

CREATE OR REPLACE FUNCTION amochan_accept_webhook(receipt jsonb, msg jsonb, conv jsonb, entries jsonb, now_ms bigint) RETURNS boolean LANGUAGE plpgsql AS $$
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
`;
