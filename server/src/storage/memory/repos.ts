import { conflictError } from '../errors';
import type {
  Connection,
  ConnectionRepo,
  Conversation,
  ConversationRepo,
  MessagePatch,
  MessageRepo,
  ProviderAccount,
  ProviderAccountRepo,
  StoredMessage,
} from '../types';

/**
 * In-memory twins of the SQLite repos. Every read returns a fresh copy and every write stores one,
 * so callers can no more mutate stored state through a returned object than they could with SQLite.
 * Orderings and tie-breaks copy the SQL ORDER BY clauses.
 */
const copy = <T>(v: T): T => structuredClone(v);
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const conflict = (what: string) => conflictError(what);

export function createMemoryAccounts(): ProviderAccountRepo {
  const rows = new Map<string, ProviderAccount>();
  return {
    async upsert(a) {
      const existing = rows.get(a.login);
      rows.set(a.login, existing ? { ...existing, passwordHash: a.passwordHash } : copy(a));
    },
    async get(login) {
      const a = rows.get(login);
      return a ? copy(a) : null;
    },
    async list() {
      return [...rows.values()].sort((a, b) => cmp(a.login, b.login)).map(copy);
    },
    async remove(login) {
      return rows.delete(login);
    },
  };
}

export interface MemoryConnections {
  repo: ConnectionRepo;
  saveNow(c: Connection): void;
}

export function createMemoryConnections(): MemoryConnections {
  const rows = new Map<string, Connection>();
  const first = (list: Connection[], order: (a: Connection, b: Connection) => number) => {
    const [c] = list.sort(order);
    return c ? copy(c) : null;
  };
  const saveNow = (c: Connection) => void rows.set(c.amojoAccountId, copy(c));
  const repo: ConnectionRepo = {
    async save(c) {
      saveNow(c);
    },
    async getByAmojoAccount(id) {
      const c = rows.get(id);
      return c ? copy(c) : null;
    },
    async getByScope(scopeId) {
      return first(
        [...rows.values()].filter((c) => c.scopeId === scopeId),
        (a, b) => b.updatedAt - a.updatedAt || cmp(a.amojoAccountId, b.amojoAccountId),
      );
    },
    async getConnectedByLogin(login) {
      return first(
        [...rows.values()].filter((c) => c.login === login && c.status === 'connected'),
        (a, b) => b.connectedAt - a.connectedAt || cmp(a.amojoAccountId, b.amojoAccountId),
      );
    },
    async list() {
      return [...rows.values()].sort((a, b) => cmp(a.amojoAccountId, b.amojoAccountId)).map(copy);
    },
  };
  return { repo, saveNow };
}

export interface MemoryConversations {
  repo: ConversationRepo;
  assertCanSave(c: Conversation): void;
  saveNow(c: Conversation): void;
}

export function createMemoryConversations(): MemoryConversations {
  const rows = new Map<string, Conversation>();
  const assertCanSave = (c: Conversation) => {
    if (c.conversationId === null) return;
    for (const other of rows.values()) {
      if (other.id !== c.id && other.login === c.login && other.conversationId === c.conversationId) {
        throw conflict(`conversation ${c.conversationId} of ${c.login}`);
      }
    }
  };
  const saveNow = (c: Conversation) => void rows.set(c.id, copy(c));
  const oldest = (list: Conversation[]) => {
    const [c] = list.sort((a, b) => a.createdAt - b.createdAt || cmp(a.id, b.id));
    return c ? copy(c) : null;
  };
  return {
    assertCanSave,
    saveNow,
    repo: {
      async save(c) {
        assertCanSave(c);
        saveNow(c);
      },
      async get(id) {
        const c = rows.get(id);
        return c ? copy(c) : null;
      },
      async getByConversationId(login, conversationId) {
        for (const c of rows.values()) if (c.login === login && c.conversationId === conversationId) return copy(c);
        return null;
      },
      async getByAmojoChatId(scopeId, amojoChatId) {
        return oldest([...rows.values()].filter((c) => c.scopeId === scopeId && c.amojoChatId === amojoChatId));
      },
      async findPendingByPhone(login, phone) {
        return oldest([...rows.values()].filter((c) => c.login === login && c.phone === phone && c.state === 'pending'));
      },
      async listActiveSince(since, limit) {
        return [...rows.values()]
          .filter((c) => c.lastActivityAt >= since)
          .sort((a, b) => b.lastActivityAt - a.lastActivityAt || cmp(b.id, a.id))
          .slice(0, Math.max(0, Math.trunc(limit)))
          .map(copy);
      },
      // For the reconciler's "recently active" list.
      async touch(id, at) {
        const c = rows.get(id);
        if (c && c.lastActivityAt < at) c.lastActivityAt = at;
      },
      async setChannel(id, channelId, expected, now) {
        const c = rows.get(id);
        if (!c || c.channelId !== expected) return false;
        Object.assign(c, { channelId, updatedAt: now });
        return true;
      },
      async setAmojoChat(id, chat, now) {
        const c = rows.get(id);
        if (!c) return;
        Object.assign(c, { amojoChatId: chat.amojoChatId, clientRefId: c.clientRefId ?? chat.clientRefId ?? null, updatedAt: now });
      },
    },
  };
}

export interface MemoryMessages {
  repo: MessageRepo;
  getByMsgidNow(login: string, msgid: string): StoredMessage | null;
  assertCanInsert(m: StoredMessage): void;
  insertNow(m: StoredMessage): void;
  updateNow(id: string, patch: MessagePatch, now: number): void;
}

export function createMemoryMessages(): MemoryMessages {
  const rows = new Map<string, StoredMessage>();
  const byMsgid = new Map<string, string>();
  const msgidKey = (login: string, msgid: string) => `${login}\u0000${msgid}`;
  // (scope, sender ref) of outbound messages, as the SQL stores' partial index: no scan per intake.
  const senders = new Set<string>();
  // Stored like the SQLite JSON column: what comes back is what JSON can represent.
  const stored = (m: StoredMessage): StoredMessage => ({ ...copy(m), payload: JSON.parse(JSON.stringify(m.payload ?? null)) });

  const getByMsgidNow = (login: string, msgid: string) => {
    const id = byMsgid.get(msgidKey(login, msgid));
    const m = id === undefined ? undefined : rows.get(id);
    return m ? copy(m) : null;
  };
  const assertCanInsert = (m: StoredMessage) => {
    if (rows.has(m.id)) throw conflict(`message ${m.id}`);
    if (m.msgid !== null && byMsgid.has(msgidKey(m.login, m.msgid))) throw conflict(`message ${m.id} (msgid ${m.msgid} of ${m.login})`);
  };
  const insertNow = (m: StoredMessage) => {
    rows.set(m.id, stored(m));
    if (m.msgid !== null) byMsgid.set(msgidKey(m.login, m.msgid), m.id);
    if (m.senderRefId !== null) senders.add(msgidKey(m.scopeId, m.senderRefId));
  };
  const updateNow = (id: string, patch: MessagePatch, now: number) => {
    const m = rows.get(id);
    if (!m) return;
    for (const [k, v] of Object.entries(patch)) if (v !== undefined) Object.assign(m, { [k]: v });
    m.updatedAt = now;
  };

  return {
    getByMsgidNow,
    assertCanInsert,
    insertNow,
    updateNow,
    repo: {
      async get(id) {
        const m = rows.get(id);
        return m ? copy(m) : null;
      },
      async getByMsgid(login, msgid) {
        return getByMsgidNow(login, msgid);
      },
      async getByAmojoMsgId(amojoMsgId) {
        const [m] = [...rows.values()].filter((r) => r.amojoMsgId === amojoMsgId).sort((a, b) => a.createdAt - b.createdAt || cmp(a.id, b.id));
        return m ? copy(m) : null;
      },
      async hasSenderRef(scopeId, senderRefId) {
        return senders.has(msgidKey(scopeId, senderRefId));
      },
      async update(id, patch, now) {
        updateNow(id, patch, now);
      },
      async count() {
        return rows.size;
      },
    },
  };
}
