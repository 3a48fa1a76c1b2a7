import { composedIntakeContext } from '../intake-context';
import type { Store } from '../types';
import type { SharedState } from '../shared-state-types';
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
import { StorageError } from '../errors';
import { createWriteHealth, guardStorage, probeWrite } from './storage-failure';
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
    return buildStore(db, options.filename);
  } catch (err) {
    db.close();
    throw err;
  }
}

/** After a write failed for lack of storage, not ready until writes succeed again or this long passes without a failure. */
const FAILURE_MEMORY_MS = 10_000;

function buildStore(db: SqliteDatabase, filename: string): SqliteStore {
  const health = createWriteHealth();
  const queue = createWriteQueue(db, { health });
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
  const guard = <T extends object>(repo: T): T => guardStorage(repo, health);
  // Shared state is a set of repositories; the process-local locks touch no storage.
  const guardShared = (shared: SharedState): SharedState => {
    const out = { ...shared } as Record<string, unknown>;
    for (const [name, repo] of Object.entries(shared)) if (name !== 'locks' && repo && typeof repo === 'object') out[name] = guard(repo as object);
    return out as unknown as SharedState;
  };
  const repos = {
    accounts: guard(createSqliteAccounts(db)),
    connections: guard(connections.repo),
    conversations: guard(conversations.repo),
    messages: guard(messages.repo),
    outbox: guard(outbox.repo),
    receipts: guard(receipts.repo),
    installations: guard(createSqliteInstallations(db)),
    providerChannels: guard(createSqliteProviderChannels(db)),
    amocrmSources: guard(createSqliteAmocrmSources(db)),
  };
  return {
    db,
    ...repos,
    shared: guardShared(createSqliteSharedState(db)),
    // Reads are in-process here: the repositories' own lookups, one after another, cost no round trip.
    readIntakeContext: composedIntakeContext(repos),
    async acceptInboundMessage(input) {
      return queue.run(() => acceptInbound(input));
    },
    async acceptWebhook(input) {
      return queue.run(() => acceptWebhook(input));
    },
    async saveConnection(input) {
      return queue.run(() => saveConnection(input));
    },
    // Readiness: the database answers, a real write on its disk succeeds, and writes are not
    // failing for lack of storage (a write into space SQLite already holds can pass on a full disk).
    async ping() {
      ping.get();
      if (filename !== ':memory:') probeWrite(filename);
      const failingFor = health.failingForMs();
      if (failingFor !== null && failingFor < FAILURE_MEMORY_MS) {
        throw new StorageError('storage_unavailable', `storage unavailable: a write failed ${Math.round(failingFor / 1000)} s ago for lack of storage`);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      queue.flush();
      db.close();
    },
  };
}
