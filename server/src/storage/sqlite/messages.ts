import type { MessageDirection, MessagePatch, MessageRepo, MessageStatus, StoredMessage } from '../types';
import { fromJson, mapConstraintError, toJson, type SqliteDatabase } from './database';
import type { WriteQueue } from './write-queue';

interface MessageRow {
  id: string;
  direction: MessageDirection;
  login: string;
  scope_id: string;
  conversation_id: string | null;
  amojo_chat_id: string | null;
  msgid: string | null;
  amojo_msg_id: string | null;
  sender_ref_id: string | null;
  status: MessageStatus;
  last_error: string | null;
  payload: string;
  created_at: number;
  updated_at: number;
}

const toMessage = (r: MessageRow): StoredMessage => ({
  id: r.id,
  direction: r.direction,
  login: r.login,
  scopeId: r.scope_id,
  conversationId: r.conversation_id,
  amojoChatId: r.amojo_chat_id,
  msgid: r.msgid,
  amojoMsgId: r.amojo_msg_id,
  senderRefId: r.sender_ref_id,
  status: r.status,
  lastError: r.last_error,
  payload: fromJson(r.payload),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export interface SqliteMessages {
  repo: MessageRepo;
  insertSync(message: StoredMessage): void;
  getByMsgidSync(login: string, msgid: string): StoredMessage | null;
  updateSync(id: string, patch: MessagePatch, now: number): void;
}

export function createSqliteMessages(db: SqliteDatabase, queue: WriteQueue): SqliteMessages {
  const insert = db.prepare(
    `INSERT INTO messages (id, direction, login, scope_id, conversation_id, amojo_chat_id, msgid, amojo_msg_id,
                           sender_ref_id, status, last_error, payload, created_at, updated_at)
     VALUES (@id, @direction, @login, @scopeId, @conversationId, @amojoChatId, @msgid, @amojoMsgId,
             @senderRefId, @status, @lastError, @payload, @createdAt, @updatedAt)`,
  );
  const get = db.prepare<[string], MessageRow>('SELECT * FROM messages WHERE id = ?');
  const byMsgid = db.prepare<[string, string], MessageRow>('SELECT * FROM messages WHERE login = ? AND msgid = ?');
  const byAmojoMsgId = db.prepare<[string], MessageRow>('SELECT * FROM messages WHERE amojo_msg_id = ? ORDER BY created_at, id LIMIT 1');
  // Served by the partial index messages_scope_sender (migration 9).
  const bySenderRef = db.prepare<[string, string], { found: number }>('SELECT 1 AS found FROM messages WHERE scope_id = ? AND sender_ref_id = ? LIMIT 1');
  // One statement for every patch shape: a has_* flag says whether the field is being set, so
  // `lastError: null` clears while an absent field is left alone.
  const update = db.prepare(
    `UPDATE messages SET
       status = CASE WHEN @hasStatus THEN @status ELSE status END,
       last_error = CASE WHEN @hasLastError THEN @lastError ELSE last_error END,
       amojo_msg_id = CASE WHEN @hasAmojoMsgId THEN @amojoMsgId ELSE amojo_msg_id END,
       amojo_chat_id = CASE WHEN @hasAmojoChatId THEN @amojoChatId ELSE amojo_chat_id END,
       conversation_id = CASE WHEN @hasConversationId THEN @conversationId ELSE conversation_id END,
       updated_at = @now
     WHERE id = @id`,
  );
  const count = db.prepare<[], { value: number }>("SELECT value FROM counters WHERE name = 'messages'");

  const insertSync = (m: StoredMessage): void => {
    try {
      insert.run({
        id: m.id,
        direction: m.direction,
        login: m.login,
        scopeId: m.scopeId,
        conversationId: m.conversationId,
        amojoChatId: m.amojoChatId,
        msgid: m.msgid,
        amojoMsgId: m.amojoMsgId,
        senderRefId: m.senderRefId,
        status: m.status,
        lastError: m.lastError,
        payload: toJson(m.payload),
        createdAt: m.createdAt,
        updatedAt: m.updatedAt,
      });
    } catch (err) {
      mapConstraintError(err, `message ${m.id}${m.msgid === null ? '' : ` (msgid ${m.msgid} of ${m.login})`}`);
    }
  };
  const getByMsgidSync = (login: string, msgid: string): StoredMessage | null => {
    const row = byMsgid.get(login, msgid);
    return row ? toMessage(row) : null;
  };
  const flag = (v: unknown) => (v === undefined ? 0 : 1);
  const updateSync = (id: string, p: MessagePatch, now: number): void => {
    update.run({
      id,
      now,
      hasStatus: flag(p.status),
      status: p.status ?? null,
      hasLastError: flag(p.lastError),
      lastError: p.lastError ?? null,
      hasAmojoMsgId: flag(p.amojoMsgId),
      amojoMsgId: p.amojoMsgId ?? null,
      hasAmojoChatId: flag(p.amojoChatId),
      amojoChatId: p.amojoChatId ?? null,
      hasConversationId: flag(p.conversationId),
      conversationId: p.conversationId ?? null,
    });
  };

  return {
    insertSync,
    getByMsgidSync,
    updateSync,
    repo: {
      async get(id) {
        const row = get.get(id);
        return row ? toMessage(row) : null;
      },
      async getByMsgid(login, msgid) {
        return getByMsgidSync(login, msgid);
      },
      async getByAmojoMsgId(amojoMsgId) {
        const row = byAmojoMsgId.get(amojoMsgId);
        return row ? toMessage(row) : null;
      },
      async hasSenderRef(scopeId, senderRefId) {
        return bySenderRef.get(scopeId, senderRefId) !== undefined;
      },
      async update(id, patch, now) {
        return queue.run(() => updateSync(id, patch, now));
      },
      async count() {
        return count.get()?.value ?? 0;
      },
    },
  };
}
