import type pg from 'pg';
import { emptyIntakeContext, type IntakeContextReader } from '../intake-context';
import type { IntakeContext, IntakeContextQuery } from '../types';
import { toChannel, toInstallation, toSource } from './amocrm';
import { isUnavailableError, run } from './pool';
import { createStatementBatcher } from './statement-batch';
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
const contextOf = (login: string, conversationId: string, refId: string, phone: string, msgid: string, amojoMsgId: string, customerRef: string) => `
  SELECT to_jsonb(c) AS connection,
    (SELECT jsonb_agg(to_jsonb(t) ORDER BY t.position) FROM provider_channels t WHERE t.login = ${login}) AS channels,
    (SELECT to_jsonb(t) FROM conversations t WHERE t.login = ${login} AND t.conversation_id = ${conversationId}) AS conversation,
    (SELECT to_jsonb(t) FROM conversations t WHERE t.scope_id = c.scope_id AND t.amojo_chat_id = ${refId}
      ORDER BY t.created_at, t.id COLLATE "C" LIMIT 1) AS by_ref,
    (SELECT to_jsonb(t) FROM conversations t WHERE t.login = ${login} AND t.phone = ${phone} AND t.state = 'pending'
      ORDER BY t.created_at, t.id COLLATE "C" LIMIT 1) AS pending,
    to_jsonb(i) AS installation,
    (SELECT jsonb_agg(to_jsonb(t) ORDER BY t.channel_id COLLATE "C") FROM amocrm_sources t
      WHERE t.amocrm_account_id = i.amocrm_account_id AND t.login = ${login}) AS sources,
    (SELECT to_jsonb(t) FROM messages t WHERE t.login = ${login} AND t.msgid = ${msgid}) AS quoted_by_msgid,
    (SELECT to_jsonb(t) FROM messages t WHERE t.amojo_msg_id = ${amojoMsgId} ORDER BY t.created_at, t.id COLLATE "C" LIMIT 1) AS quoted_by_id,
    (SELECT true FROM messages t WHERE t.scope_id = c.scope_id AND t.sender_ref_id = ${customerRef} LIMIT 1) IS NOT NULL AS ref_is_sender
  FROM (SELECT * FROM connections WHERE login = ${login} AND status = 'connected'
        ORDER BY connected_at DESC, amojo_account_id COLLATE "C" LIMIT 1) c
  LEFT JOIN amocrm_installations i ON i.amojo_id = c.amojo_account_id`;

// ref_is_sender is a scalar subquery, not EXISTS: in the batched statement the planner may run an
// EXISTS over many rows as one hashed pass over all of messages (a sequential scan per batch).
const INTAKE_CONTEXT: pg.QueryConfig = { name: 'intake_context', text: contextOf('$1', '$2', '$3', '$4', '$5', '$6', '$7') };

/**
 * The same read for several intakes at once (statement-batch.ts): one row per intake whose login
 * has a connected binding, numbered by its place in the arrays. Each row is the single statement's
 * row for that intake: the lateral subquery is the same text with the arrays' elements for $1…$7.
 */
const INTAKE_CONTEXT_MANY: pg.QueryConfig = {
  name: 'intake_context_many',
  text: `SELECT q.n, x.* FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
      WITH ORDINALITY AS q(login, conversation_id, ref_id, phone, msgid, amojo_msg_id, customer_ref, n)
    CROSS JOIN LATERAL (${contextOf('q.login', 'q.conversation_id', 'q.ref_id', 'q.phone', 'q.msgid', 'q.amojo_msg_id', 'q.customer_ref')}) x`,
};

/** More intakes than a server ever has in flight at once. */
const MAX_READ_BATCH = 256;

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

type Params = [string, string, string, string, string, string, string];

function toContext(q: IntakeContextQuery, r: IntakeRow | undefined): IntakeContext {
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
}

/**
 * Reads that arrive while another is running go out together as one statement; alone, a read is
 * the single statement. Reads have no effects, so a batch that fails for one item's sake (it
 * cannot, short of the database going away) is simply retried item by item by the batcher.
 */
export function createPgIntakeContext(pool: pg.Pool): IntakeContextReader {
  const reads = createStatementBatcher<Params, IntakeRow | undefined>({
    maxBatch: MAX_READ_BATCH,
    isUnavailable: isUnavailableError,
    async write(items) {
      if (items.length === 1) return run<IntakeRow>(pool, INTAKE_CONTEXT, items[0]!);
      const columns = items[0]!.map((_, k) => items.map((p) => p[k]!));
      const rows = await run<IntakeRow & { n: string }>(pool, INTAKE_CONTEXT_MANY, columns);
      const byIndex = new Map(rows.map((r) => [Number(r.n) - 1, r]));
      return items.map((_, i) => byIndex.get(i));
    },
  });
  return async (q): Promise<IntakeContext> => {
    // Empty strings count as absent, as in the composed read (and the services' checks).
    const row = await reads.submit([
      q.login,
      q.conversationId,
      q.conversationRefId ?? '',
      q.phone ?? '',
      q.replyToMsgid ?? '',
      q.replyToAmojoMsgId ?? '',
      q.customerRefId ?? '',
    ]);
    return toContext(q, row);
  };
}
