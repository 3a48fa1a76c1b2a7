import type pg from 'pg';
import type {
  Connection,
  ConnectionRepo,
  Conversation,
  ConversationRepo,
  MessagePatch,
  MessageRepo,
  ProviderAccountRepo,
  StoredMessage,
  WebhookReceiptRepo,
} from '../types';
import { lookup, mapPgError, rowLookup, run, type Queryable } from './pool';
import { toConnection, toConversation, toMessage } from './rows';

const PURGE_BATCH = 5000;

export function createPgAccounts(pool: pg.Pool): ProviderAccountRepo {
  return {
    async upsert(a) {
      await run(
        pool,
        `INSERT INTO provider_accounts (login, password_hash, created_at) VALUES ($1, $2, $3)
        ON CONFLICT (login) DO UPDATE SET password_hash = excluded.password_hash`,
        [a.login, a.passwordHash, a.createdAt],
      );
    },
    async get(login) {
      const [r] = await run(pool, 'SELECT * FROM provider_accounts WHERE login = $1', [login]);
      return r ? { login: r.login as string, passwordHash: r.password_hash as string, createdAt: r.created_at as number } : null;
    },
    async list() {
      const rows = await run(pool, 'SELECT * FROM provider_accounts ORDER BY login COLLATE "C"');
      return rows.map((r) => ({ login: r.login as string, passwordHash: r.password_hash as string, createdAt: r.created_at as number }));
    },
    async remove(login) {
      return (await run(pool, 'DELETE FROM provider_accounts WHERE login = $1 RETURNING login', [login])).length > 0;
    },
  };
}

const SAVE_CONNECTION = `INSERT INTO connections (amojo_account_id, login, scope_id, title, status, amocrm_account_id, pipeline_id,
    connected_at, disconnected_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
  ON CONFLICT (amojo_account_id) DO UPDATE SET login = excluded.login, scope_id = excluded.scope_id, title = excluded.title,
    status = excluded.status, amocrm_account_id = excluded.amocrm_account_id, pipeline_id = excluded.pipeline_id,
    connected_at = excluded.connected_at, disconnected_at = excluded.disconnected_at, updated_at = excluded.updated_at`;

export async function saveConnection(db: Queryable, c: Connection): Promise<void> {
  await run(db, SAVE_CONNECTION, [
    c.amojoAccountId,
    c.login,
    c.scopeId,
    c.title,
    c.status,
    c.amocrmAccountId,
    c.pipelineId,
    c.connectedAt,
    c.disconnectedAt,
    c.updatedAt,
  ]);
}

const CONNECTED_BY_LOGIN = rowLookup(
  'connection_by_login',
  'connections',
  `login = $1 AND status = 'connected' ORDER BY connected_at DESC, amojo_account_id COLLATE "C" LIMIT 1`,
);

export function createPgConnections(pool: pg.Pool): ConnectionRepo {
  const one = async (sql: string, values: unknown[]) => {
    const [r] = await run(pool, sql, values);
    return r ? toConnection(r) : null;
  };
  return {
    save: (c) => saveConnection(pool, c),
    getByAmojoAccount: (id) => one('SELECT * FROM connections WHERE amojo_account_id = $1', [id]),
    getByScope: (scopeId) => one('SELECT * FROM connections WHERE scope_id = $1 ORDER BY updated_at DESC, amojo_account_id COLLATE "C" LIMIT 1', [scopeId]),
    getConnectedByLogin: async (login) => {
      const [r] = await lookup(pool, CONNECTED_BY_LOGIN, [login]);
      return r ? toConnection(r) : null;
    },
    async list() {
      return (await run(pool, 'SELECT * FROM connections ORDER BY amojo_account_id COLLATE "C"')).map(toConnection);
    },
  };
}

const SAVE_CONVERSATION = {
  name: 'conversation_save',
  text: `INSERT INTO conversations (id, login, scope_id, conversation_id, amojo_chat_id, client_id, client_ref_id, phone,
      state, ref_bound, created_at, updated_at, last_activity_at, channel_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
    ON CONFLICT (id) DO UPDATE SET login = excluded.login, scope_id = excluded.scope_id, conversation_id = excluded.conversation_id,
      amojo_chat_id = excluded.amojo_chat_id, client_id = excluded.client_id, client_ref_id = excluded.client_ref_id,
      phone = excluded.phone, state = excluded.state, ref_bound = excluded.ref_bound, created_at = excluded.created_at,
      updated_at = excluded.updated_at, last_activity_at = excluded.last_activity_at, channel_id = excluded.channel_id`,
};

export async function saveConversation(db: Queryable, c: Conversation): Promise<void> {
  await run(
    db,
    SAVE_CONVERSATION,
    [
      c.id,
      c.login,
      c.scopeId,
      c.conversationId,
      c.amojoChatId,
      c.clientId,
      c.clientRefId,
      c.phone,
      c.state,
      c.refBound,
      c.createdAt,
      c.updatedAt,
      c.lastActivityAt,
      c.channelId,
    ],
    `conversation ${c.conversationId ?? ''} of ${c.login}`,
  );
}

const CONVERSATION_BY_ID = rowLookup('conversation_by_id', 'conversations', 'id = $1');
const CONVERSATION_BY_CONVERSATION_ID = rowLookup('conversation_by_cid', 'conversations', 'login = $1 AND conversation_id = $2');
const SET_AMOJO_CHAT = {
  name: 'conversation_set_chat',
  text: 'UPDATE conversations SET amojo_chat_id = $2, client_ref_id = COALESCE(client_ref_id, $3), updated_at = $4 WHERE id = $1',
};

export function createPgConversations(pool: pg.Pool): ConversationRepo {
  const one = async (sql: string, values: unknown[]) => {
    const [r] = await run(pool, sql, values);
    return r ? toConversation(r) : null;
  };
  const named = async (query: pg.QueryConfig, values: unknown[]) => {
    const [r] = await lookup(pool, query, values);
    return r ? toConversation(r) : null;
  };
  return {
    save: (c) => saveConversation(pool, c),
    get: (id) => named(CONVERSATION_BY_ID, [id]),
    getByConversationId: (login, cid) => named(CONVERSATION_BY_CONVERSATION_ID, [login, cid]),
    getByAmojoChatId: (scopeId, chat) =>
      one('SELECT * FROM conversations WHERE scope_id = $1 AND amojo_chat_id = $2 ORDER BY created_at, id COLLATE "C" LIMIT 1', [scopeId, chat]),
    findPendingByPhone: (login, phone) =>
      one(
        `SELECT * FROM conversations WHERE login = $1 AND phone = $2 AND state = 'pending'
           ORDER BY created_at, id COLLATE "C" LIMIT 1`,
        [login, phone],
      ),
    async listActiveSince(since, limit) {
      const rows = await run(pool, 'SELECT * FROM conversations WHERE last_activity_at >= $1 ORDER BY last_activity_at DESC, id COLLATE "C" DESC LIMIT $2', [
        since,
        Math.max(0, Math.trunc(limit)),
      ]);
      return rows.map(toConversation);
    },
    async touch(id, at) {
      await run(pool, { name: 'conversation_touch', text: 'UPDATE conversations SET last_activity_at = $1 WHERE id = $2 AND last_activity_at < $1' }, [at, id]);
    },
    async setChannel(id, channelId, expected, now) {
      const rows = await run(
        pool,
        'UPDATE conversations SET channel_id = $2, updated_at = $4 WHERE id = $1 AND channel_id IS NOT DISTINCT FROM $3 RETURNING id',
        [id, channelId, expected, now],
      );
      return rows.length === 1;
    },
    async setAmojoChat(id, chat, now) {
      await run(pool, SET_AMOJO_CHAT, [id, chat.amojoChatId, chat.clientRefId ?? null, now]);
    },
  };
}

const UPDATE_MESSAGE = {
  name: 'message_update',
  text: `UPDATE messages SET
      status = CASE WHEN $3 THEN $4 ELSE status END,
      last_error = CASE WHEN $5 THEN $6 ELSE last_error END,
      amojo_msg_id = CASE WHEN $7 THEN $8 ELSE amojo_msg_id END,
      amojo_chat_id = CASE WHEN $9 THEN $10 ELSE amojo_chat_id END,
      conversation_id = CASE WHEN $11 THEN $12 ELSE conversation_id END,
      updated_at = $2
    WHERE id = $1`,
};

export async function updateMessage(db: Queryable, id: string, p: MessagePatch, now: number): Promise<void> {
  const f = (v: unknown) => v !== undefined;
  await run(db, UPDATE_MESSAGE, [
    id,
    now,
    f(p.status),
    p.status ?? null,
    f(p.lastError),
    p.lastError ?? null,
    f(p.amojoMsgId),
    p.amojoMsgId ?? null,
    f(p.amojoChatId),
    p.amojoChatId ?? null,
    f(p.conversationId),
    p.conversationId ?? null,
  ]);
}

const MESSAGE_BY_MSGID = rowLookup('message_by_msgid', 'messages', 'login = $1 AND msgid = $2');

export async function getMessageByMsgid(db: Queryable, login: string, msgid: string): Promise<StoredMessage | null> {
  const [r] = await lookup(db, MESSAGE_BY_MSGID, [login, msgid]);
  return r ? toMessage(r) : null;
}

export function createPgMessages(pool: pg.Pool): MessageRepo {
  const one = async (sql: string, values: unknown[]) => {
    const [r] = await run(pool, sql, values);
    return r ? toMessage(r) : null;
  };
  return {
    get: (id) => one('SELECT * FROM messages WHERE id = $1', [id]),
    getByMsgid: (login, msgid) => getMessageByMsgid(pool, login, msgid),
    getByAmojoMsgId: (amojoMsgId) => one('SELECT * FROM messages WHERE amojo_msg_id = $1 ORDER BY created_at, id COLLATE "C" LIMIT 1', [amojoMsgId]),
    async hasSenderRef(scopeId, senderRefId) {
      // Served by the partial index messages_scope_sender (migration 9).
      const rows = await run(pool, { name: 'message_sender_ref', text: 'SELECT 1 FROM messages WHERE scope_id = $1 AND sender_ref_id = $2 LIMIT 1' }, [
        scopeId,
        senderRefId,
      ]);
      return rows.length > 0;
    },
    update: (id, patch, now) => updateMessage(pool, id, patch, now),
    async count() {
      const [r] = await run(pool, 'SELECT count(*) AS n FROM messages');
      return r!.n as number;
    },
  };
}

export function createPgReceipts(pool: pg.Pool): WebhookReceiptRepo {
  return {
    async has(key) {
      return (await run(pool, 'SELECT 1 FROM webhook_receipts WHERE key = $1', [key])).length > 0;
    },
    async count() {
      const [r] = await run(pool, 'SELECT count(*) AS n FROM webhook_receipts');
      return r!.n as number;
    },
    async purgeOlderThan(olderThan) {
      return deleteInBatches(
        pool,
        `DELETE FROM webhook_receipts WHERE key IN
        (SELECT key FROM webhook_receipts WHERE received_at < $1 ORDER BY received_at LIMIT ${PURGE_BATCH})`,
        [olderThan],
      );
    },
  };
}

/** Short separate statements (each its own transaction) so retention never holds locks for long. */
export async function deleteInBatches(pool: pg.Pool, sql: string, values: unknown[], batch = PURGE_BATCH): Promise<number> {
  let total = 0;
  for (;;) {
    let n: number;
    try {
      n = (await pool.query(sql, values)).rowCount ?? 0;
    } catch (err) {
      return mapPgError(err);
    }
    total += n;
    if (n < batch) return total;
  }
}
