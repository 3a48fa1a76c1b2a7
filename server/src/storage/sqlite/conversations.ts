import type { Conversation, ConversationRepo, ConversationState } from '../types';
import { mapConstraintError, toBool, type SqliteDatabase } from './database';
import type { WriteQueue } from './write-queue';

interface ConversationRow {
  id: string;
  login: string;
  scope_id: string;
  conversation_id: string | null;
  amojo_chat_id: string | null;
  client_id: string | null;
  client_ref_id: string | null;
  phone: string | null;
  state: ConversationState;
  ref_bound: number;
  channel_id: string | null;
  created_at: number;
  updated_at: number;
  last_activity_at: number;
}

const toConversation = (r: ConversationRow): Conversation => ({
  id: r.id,
  login: r.login,
  scopeId: r.scope_id,
  conversationId: r.conversation_id,
  amojoChatId: r.amojo_chat_id,
  clientId: r.client_id,
  clientRefId: r.client_ref_id,
  phone: r.phone,
  state: r.state,
  refBound: toBool(r.ref_bound),
  channelId: r.channel_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  lastActivityAt: r.last_activity_at,
});

export interface SqliteConversations {
  repo: ConversationRepo;
  /** Synchronous upsert for use inside a unit-of-work transaction. */
  saveSync(conversation: Conversation): void;
}

export function createSqliteConversations(db: SqliteDatabase, queue: WriteQueue): SqliteConversations {
  const save = db.prepare(
    `INSERT INTO conversations (id, login, scope_id, conversation_id, amojo_chat_id, client_id, client_ref_id, phone,
                                state, ref_bound, channel_id, created_at, updated_at, last_activity_at)
     VALUES (@id, @login, @scopeId, @conversationId, @amojoChatId, @clientId, @clientRefId, @phone,
             @state, @refBound, @channelId, @createdAt, @updatedAt, @lastActivityAt)
     ON CONFLICT (id) DO UPDATE SET
       login = excluded.login, scope_id = excluded.scope_id, conversation_id = excluded.conversation_id,
       amojo_chat_id = excluded.amojo_chat_id, client_id = excluded.client_id, client_ref_id = excluded.client_ref_id,
       phone = excluded.phone, state = excluded.state, ref_bound = excluded.ref_bound, channel_id = excluded.channel_id,
       created_at = excluded.created_at,
       updated_at = excluded.updated_at, last_activity_at = excluded.last_activity_at`,
  );
  const get = db.prepare<[string], ConversationRow>('SELECT * FROM conversations WHERE id = ?');
  const byConversationId = db.prepare<[string, string], ConversationRow>('SELECT * FROM conversations WHERE login = ? AND conversation_id = ?');
  const byAmojoChat = db.prepare<[string, string], ConversationRow>(
    'SELECT * FROM conversations WHERE scope_id = ? AND amojo_chat_id = ? ORDER BY created_at, id LIMIT 1',
  );
  const pendingByPhone = db.prepare<[string, string], ConversationRow>(
    `SELECT * FROM conversations WHERE login = ? AND phone = ? AND state = 'pending'
     ORDER BY created_at, id LIMIT 1`,
  );
  const activeSince = db.prepare<[number, number], ConversationRow>(
    'SELECT * FROM conversations WHERE last_activity_at >= ? ORDER BY last_activity_at DESC, id DESC LIMIT ?',
  );
  // For the reconciler's "recently active" list.
  const touch = db.prepare<[number, string, number]>('UPDATE conversations SET last_activity_at = ? WHERE id = ? AND last_activity_at < ?');
  // Only the columns createChat taught us: a whole-row save would undo concurrent changes.
  const setChat = db.prepare<{ id: string; amojoChatId: string; clientRefId: string | null; now: number }>(
    `UPDATE conversations SET amojo_chat_id = @amojoChatId, client_ref_id = COALESCE(client_ref_id, @clientRefId), updated_at = @now
     WHERE id = @id`,
  );

  const setChannel = db.prepare<{ id: string; channelId: string | null; expected: string | null; now: number }>(
    'UPDATE conversations SET channel_id = @channelId, updated_at = @now WHERE id = @id AND channel_id IS @expected',
  );

  const saveSync = (c: Conversation): void => {
    try {
      save.run({
        id: c.id,
        login: c.login,
        scopeId: c.scopeId,
        conversationId: c.conversationId,
        amojoChatId: c.amojoChatId,
        clientId: c.clientId,
        clientRefId: c.clientRefId,
        phone: c.phone,
        state: c.state,
        refBound: c.refBound ? 1 : 0,
        channelId: c.channelId,
        createdAt: c.createdAt,
        updatedAt: c.updatedAt,
        lastActivityAt: c.lastActivityAt,
      });
    } catch (err) {
      mapConstraintError(err, `conversation ${c.conversationId ?? ''} of ${c.login}`);
    }
  };
  const one = (row: ConversationRow | undefined) => (row ? toConversation(row) : null);

  return {
    saveSync,
    repo: {
      async save(c) {
        return queue.run(() => saveSync(c));
      },
      async get(id) {
        return one(get.get(id));
      },
      async getByConversationId(login, conversationId) {
        return one(byConversationId.get(login, conversationId));
      },
      async getByAmojoChatId(scopeId, amojoChatId) {
        return one(byAmojoChat.get(scopeId, amojoChatId));
      },
      async findPendingByPhone(login, phone) {
        return one(pendingByPhone.get(login, phone));
      },
      async listActiveSince(since, limit) {
        return activeSince.all(since, Math.max(0, Math.trunc(limit))).map(toConversation);
      },
      async touch(id, at) {
        return queue.run(() => void touch.run(at, id, at));
      },
      async setChannel(id, channelId, expected, now) {
        return queue.run(() => setChannel.run({ id, channelId, expected, now }).changes === 1);
      },
      async setAmojoChat(id, chat, now) {
        return queue.run(() => void setChat.run({ id, amojoChatId: chat.amojoChatId, clientRefId: chat.clientRefId ?? null, now }));
      },
    },
  };
}
