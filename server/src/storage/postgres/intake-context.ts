import type pg from 'pg';
import { emptyIntakeContext, type IntakeContextReader } from '../intake-context';
import type { IntakeContext } from '../types';
import { toChannel, toInstallation, toSource } from './amocrm';
import { run } from './pool';
import { toConnection, toConversation, toMessage } from './rows';

/**
 * The intake's reads (../intake-context.ts) as one named prepared statement: one round trip per
 * provider message instead of one per lookup, each lookup the same condition and order as its
 * repository method's (repos.ts, amocrm.ts), so the indexes made for those serve it too. No row
 * when the login has no connected binding. Every column is jsonb (rows as to_jsonb, lists as
 * jsonb_agg) or a boolean, for the reason rowLookup gives (pool.ts): a column another instance's
 * migration adds to a table changes no result type of a statement this one prepared.
 *
 * A lookup the intake did not ask for still runs, with '' (no row has it, and whatever it finds is
 * dropped here): planned with NULLs, each such call was a different plan, PostgreSQL re-planned
 * the statement on every call (a custom plan: ~0.4 ms of its CPU, more than the four lookups it
 * replaces), where one plan for all is made once per connection.
 */
const INTAKE_CONTEXT: pg.QueryConfig = {
  name: 'intake_context',
  text: `SELECT to_jsonb(c) AS connection,
    (SELECT jsonb_agg(to_jsonb(t) ORDER BY t.position) FROM provider_channels t WHERE t.login = $1) AS channels,
    (SELECT to_jsonb(t) FROM conversations t WHERE t.login = $1 AND t.conversation_id = $2) AS conversation,
    (SELECT to_jsonb(t) FROM conversations t WHERE t.scope_id = c.scope_id AND t.amojo_chat_id = $3
      ORDER BY t.created_at, t.id COLLATE "C" LIMIT 1) AS by_ref,
    (SELECT to_jsonb(t) FROM conversations t WHERE t.login = $1 AND t.phone = $4 AND t.state = 'pending'
      ORDER BY t.created_at, t.id COLLATE "C" LIMIT 1) AS pending,
    to_jsonb(i) AS installation,
    (SELECT jsonb_agg(to_jsonb(t) ORDER BY t.channel_id COLLATE "C") FROM amocrm_sources t
      WHERE t.amocrm_account_id = i.amocrm_account_id AND t.login = $1) AS sources,
    (SELECT to_jsonb(t) FROM messages t WHERE t.login = $1 AND t.msgid = $5) AS quoted_by_msgid,
    (SELECT to_jsonb(t) FROM messages t WHERE t.amojo_msg_id = $6 ORDER BY t.created_at, t.id COLLATE "C" LIMIT 1) AS quoted_by_id,
    EXISTS (SELECT 1 FROM messages t WHERE t.scope_id = c.scope_id AND t.sender_ref_id = $7) AS ref_is_sender
  FROM (SELECT * FROM connections WHERE login = $1 AND status = 'connected'
        ORDER BY connected_at DESC, amojo_account_id COLLATE "C" LIMIT 1) c
  LEFT JOIN amocrm_installations i ON i.amojo_id = c.amojo_account_id`,
};

type Json = Record<string, unknown>;

interface IntakeRow {
  connection: Json;
  channels: Json[] | null;
  conversation: Json | null;
  by_ref: Json | null;
  pending: Json | null;
  installation: Json | null;
  sources: Json[] | null;
  quoted_by_msgid: Json | null;
  quoted_by_id: Json | null;
  ref_is_sender: boolean;
}

const orNull = <T>(row: Json | null, map: (r: Json) => T): T | null => (row ? map(row) : null);

export function createPgIntakeContext(pool: pg.Pool): IntakeContextReader {
  return async (q): Promise<IntakeContext> => {
    // Empty strings count as absent, as in the composed read (and the services' checks).
    const [r] = await run<IntakeRow>(pool, INTAKE_CONTEXT, [
      q.login,
      q.conversationId,
      q.conversationRefId ?? '',
      q.phone ?? '',
      q.replyToMsgid ?? '',
      q.replyToAmojoMsgId ?? '',
      q.customerRefId ?? '',
    ]);
    if (!r) return emptyIntakeContext();
    return {
      connection: toConnection(r.connection),
      channels: (r.channels ?? []).map(toChannel),
      conversation: orNull(r.conversation, toConversation),
      conversationByRef: q.conversationRefId ? orNull(r.by_ref, toConversation) : null,
      pendingByPhone: q.phone ? orNull(r.pending, toConversation) : null,
      installation: orNull(r.installation, toInstallation),
      sources: (r.sources ?? []).map(toSource),
      quoted: q.replyToMsgid ? orNull(r.quoted_by_msgid, toMessage) : q.replyToAmojoMsgId ? orNull(r.quoted_by_id, toMessage) : null,
      customerRefIsSender: q.customerRefId ? r.ref_is_sender === true : false,
    };
  };
}
