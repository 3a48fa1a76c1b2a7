import type { Store } from '../types';
import { createSqliteAccounts } from './accounts';
import { createSqliteSharedState } from './shared-state';
import { createSqliteAmocrmSources, createSqliteInstallations, createSqliteProviderChannels } from './amocrm';
import { createSqliteConnections } from './connections';
import { createSqliteConversations } from './conversations';
import { openSqliteDatabase, type SqliteDatabase, type SqliteOpenOptions } from './database';
import { createSqliteMessages } from './messages';
import { runMigrations } from './migrations';
import { createSqliteOutbox } from './outbox';
import { createSqliteReceipts } from './receipts';
import { createWriteQueue } from './write-queue';

export interface SqliteStoreOptions extends SqliteOpenOptions {
  /** A file path, or ':memory:' for a private throwaway database. */
  filename: string;
}

export interface SqliteStore extends Store {
  /** The underlying connection, for benchmarks and diagnostics (EXPLAIN, PRAGMA), not for services. */
  readonly db: SqliteDatabase;
}

/** Opens (creating if needed) and migrates a SQLite database, then prepares every statement once. */
export function createSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const db = openSqliteDatabase(options.filename, options);
  try {
    runMigrations(db);
    return buildStore(db);
  } catch (err) {
    db.close();
    throw err;
  }
}

function buildStore(db: SqliteDatabase): SqliteStore {
  const queue = createWriteQueue(db);
  const messages = createSqliteMessages(db, queue);
  const conversations = createSqliteConversations(db, queue);
  const receipts = createSqliteReceipts(db);
  const connections = createSqliteConnections(db);
  const outbox = createSqliteOutbox(db, queue, messages.updateSync);
  const ping = db.prepare('SELECT 1');

  // Unit-of-work bodies: each runs atomically in its own savepoint of a group commit (write-queue.ts).
  const acceptInbound = (input: Parameters<Store['acceptInboundMessage']>[0]) => {
    const { message } = input;
    if (message.msgid !== null) {
      const existing = messages.getByMsgidSync(message.login, message.msgid);
      if (existing) return { created: false, message: existing };
    }
    if (input.conversation) conversations.saveSync(input.conversation);
    messages.insertSync(message);
    outbox.enqueueSync(input.outbox, input.now);
    return { created: true, message };
  };

  const acceptWebhook = (input: Parameters<Store['acceptWebhook']>[0]) => {
    if (!receipts.insertIfNewSync(input.receipt)) return { duplicate: true };
    if (input.conversation) conversations.saveSync(input.conversation);
    if (input.message) messages.insertSync(input.message);
    outbox.enqueueSync(input.outbox, input.now);
    return { duplicate: false };
  };

  const saveConnection = (input: Parameters<Store['saveConnection']>[0]) => {
    for (const c of input.connections) connections.saveSync(c);
    outbox.enqueueSync(input.outbox, input.now);
  };

  let closed = false;
  return {
    db,
    accounts: createSqliteAccounts(db),
    connections: connections.repo,
    conversations: conversations.repo,
    messages: messages.repo,
    outbox: outbox.repo,
    receipts: receipts.repo,
    installations: createSqliteInstallations(db),
    providerChannels: createSqliteProviderChannels(db),
    amocrmSources: createSqliteAmocrmSources(db),
    shared: createSqliteSharedState(db),
    async acceptInboundMessage(input) {
      return queue.run(() => acceptInbound(input));
    },
    async acceptWebhook(input) {
      return queue.run(() => acceptWebhook(input));
    },
    async saveConnection(input) {
      return queue.run(() => saveConnection(input));
    },
    async ping() {
      ping.get();
    },
    async close() {
      if (closed) return;
      closed = true;
      queue.flush();
      db.close();
    },
  };
}
