import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { conflictError, unavailableError } from '../errors';
import type { SharedState } from '../shared-state-types';
import type { MigrationResult } from '../sqlite/migrations';
import type { OutboxEntry, Store } from '../types';
import { createPgIntakeContext } from './intake-context';
import { runPgMigrations } from './migrations';
import { createOutboxWakeListener } from './notify';
import { createOutboxNotifier, createPgOutbox, enqueueIn } from './outbox';
import { createPgPool, isUnavailableError, run, withTransaction, type PgPoolOptions } from './pool';
import { createPgAmocrmSources, createPgInstallations, createPgProviderChannels } from './amocrm';
import { createPgAccounts, createPgConnections, createPgConversations, createPgMessages, createPgReceipts, getMessageByMsgid, saveConnection } from './repos';
import { conversationJson, entriesJson, entryRows, jsonOrNull, messageJson, toEntry } from './rows';
import { createStatementBatcher } from './statement-batch';
import { createPgSharedState } from './shared-state';

const ACCEPT_INBOUND_MANY = { name: 'accept_inbound_many', text: 'SELECT created, leased FROM amochan_accept_inbound_many($1::jsonb)' };
/** More intakes than a server ever has in flight at once (HTTP_MAX_BODIES_IN_FLIGHT is 256). */
const MAX_INTAKE_BATCH = 256;

/** One provider message as amochan_accept_inbound_many takes it. */
interface IntakeItem {
  msg: ReturnType<typeof messageJson>;
  conv: ReturnType<typeof conversationJson> | null;
  entries: ReturnType<typeof entryRows>;
  now: number;
  /** Insert the entries leased to this instance until then, where they may be (the hand-off). */
  lease_until: number | null;
}

interface IntakeOutcome {
  created: boolean;
  /** Its entries inserted leased to this instance (the hand-off), as a claim would return them. */
  leased: OutboxEntry[];
}

export interface PostgresStoreOptions extends PgPoolOptions {
  /** Connections for the outbox queue's statements, besides `poolSize` (see below). */
  queuePoolSize?: number;
}

/** Claims, batched completions, NOTIFY and the undelivered count run one at a time each; reschedules share them. */
const DEFAULT_QUEUE_POOL_SIZE = 4;

export interface PostgresStore extends Store {
  /** For benchmarks, diagnostics and copy-store; services use the repos. */
  readonly pool: pg.Pool;
  readonly shared: SharedState;
  /** Resolves once the schema is migrated; rejects (and is retried on the next call) while the database is away. */
  ready(): Promise<MigrationResult>;
  /**
   * cb runs whenever another instance (or the CLI) commits outbox work (LISTEN/NOTIFY); this
   * store's own commits are not echoed: its process wakes its worker itself. Returns an unsubscribe.
   */
  onOutboxWork(cb: () => void): () => void;
}

/**
 * Opens a pool and returns at once (so openStore stays synchronous for every engine); the schema
 * is migrated on first use, and every call waits for that. If the database is unreachable at
 * start, calls fail with storage_unavailable and the migration is tried again on the next call.
 */
export function createPostgresStore(options: PostgresStoreOptions): PostgresStore {
  const pool = createPgPool(options);
  /*
   * The outbox queue's statements (claim, complete, kill, reschedule, NOTIFY, the undelivered
   * count) have connections of their own, so neither intake nor the worker can starve the other of
   * connections, and their sessions commit asynchronously (pool.ts, QUEUE_SESSION): a commit returns once its WAL is written to PostgreSQL's
   * buffers, without waiting for the flush to disk (at most ~3 × wal_writer_delay later). What a
   * database crash can lose is then the newest few hundred ms of bookkeeping, never intake: every
   * intake commit is synchronous and flushes the WAL up to itself, bookkeeping committed before it
   * included, and recovery replays a prefix of the WAL, so what is lost is always the newest
   * bookkeeping as a whole. An entry whose claim or completion was lost is delivered again after
   * its lease, and receivers deduplicate (amojo by msgid, providers by event id). A completion's
   * effects (the message's status, follow-up entries) commit with it, so they are lost or kept
   * together with it, and the redelivery produces them again. Per-conversation order holds: the
   * next entry of a key only becomes claimable by the commit of its predecessor's completion, so a
   * lost completion takes every later claim and completion of that key with it (they come later
   * in the WAL), and the key is delivered again from the lost one on, in order; receivers drop the
   * repeats. docs/operations.md says the same for operators.
   */
  const queuePool = createPgPool({ ...options, poolSize: options.queuePoolSize ?? DEFAULT_QUEUE_POOL_SIZE }, { queue: true });
  const token = randomUUID();
  const listener = createOutboxWakeListener(options.connectionString, token, options.onIdleError);
  const notify = createOutboxNotifier(queuePool, token);
  const shared = createPgSharedState(pool);
  let migrated: Promise<MigrationResult> | null = null;
  const ready = (): Promise<MigrationResult> => {
    migrated ??= runPgMigrations(pool).catch((err: unknown) => {
      if (isUnavailableError(err)) migrated = null;
      throw err;
    });
    return migrated;
  };
  let closed = false;
  const gate = <T extends object>(repo: T): T => {
    const out = {} as Record<string, unknown>;
    for (const [k, v] of Object.entries(repo)) {
      out[k] =
        typeof v === 'function'
          ? async (...args: unknown[]) => {
              if (closed) throw unavailableError('the store is closed');
              await ready();
              return (v as (...a: unknown[]) => unknown)(...args);
            }
          : v;
    }
    return out as T;
  };

  const outbox = createPgOutbox(pool, queuePool, notify);
  const poke = outbox.workAdded;

  /*
   * Provider messages accepted together (statement-batch.ts, migration 10): the intakes that arrive
   * while a batch is being committed go out in the next, one statement and one commit for all; a
   * failed batch is retried item by item, so an item's errors (a conflict on one message) are its own.
   */
  const intakes = createStatementBatcher<IntakeItem, IntakeOutcome>({
    maxBatch: MAX_INTAKE_BATCH,
    isUnavailable: isUnavailableError,
    async write(items) {
      const what = items.length === 1 ? `message ${items[0]!.msg.id} (or one of its outbox entries)` : `messages ${items.map((i) => i.msg.id).join(', ')}`;
      const [row] = await run(pool, ACCEPT_INBOUND_MANY, [JSON.stringify(items)], what);
      const leased = new Map((row!.leased as Record<string, unknown>[]).map((r) => [r.id as string, toEntry(r)]));
      return (row!.created as boolean[]).map((created, i) => ({
        created,
        leased: items[i]!.entries.flatMap((e) => leased.get(e.id) ?? []),
      }));
    },
  });

  // Each unit of work is one statement calling a function of migration 5: atomic without BEGIN/COMMIT.
  const repos = gate({
    // One statement for every lookup of a provider message's intake (intake-context.ts).
    readIntakeContext: createPgIntakeContext(pool),
    async acceptInboundMessage(input: Parameters<Store['acceptInboundMessage']>[0]) {
      const { message } = input;
      const leaseUntil = outbox.leaseForIntake(input.now, input.outbox.length);
      let handedOff: OutboxEntry[] = [];
      try {
        const outcome = await intakes.submit({
          msg: messageJson(message),
          conv: input.conversation ? conversationJson(input.conversation) : null,
          entries: entryRows(input.outbox),
          now: input.now,
          lease_until: leaseUntil,
        });
        if (outcome.created) {
          handedOff = outcome.leased;
          // Other instances need waking only for entries left pending.
          if (handedOff.length < input.outbox.length) poke();
          return { created: true, message };
        }
      } finally {
        // The worker of this process takes these from its next claim; the reservation ends either way.
        if (leaseUntil !== null) outbox.adopt(handedOff, input.outbox.length);
      }
      const existing = await getMessageByMsgid(pool, message.login, message.msgid!);
      if (!existing) throw conflictError(`message ${message.msgid} of ${message.login}`);
      return { created: false, message: existing };
    },
    async acceptWebhook(input: Parameters<Store['acceptWebhook']>[0]) {
      const r = input.receipt;
      const receipt = { key: r.key, scope_id: r.scopeId, kind: r.kind, raw: r.raw, received_at: r.receivedAt };
      const [row] = await run(
        pool,
        { name: 'accept_webhook', text: 'SELECT amochan_accept_webhook($1::jsonb, $2::jsonb, $3::jsonb, $4::jsonb, $5) AS duplicate' },
        [
          JSON.stringify(receipt),
          jsonOrNull(input.message && messageJson(input.message)),
          jsonOrNull(input.conversation && conversationJson(input.conversation)),
          entriesJson(input.outbox),
          input.now,
        ],
        `webhook ${r.key} (its message or outbox entries)`,
      );
      const duplicate = row!.duplicate === true;
      if (!duplicate && input.outbox.length > 0) poke();
      return { duplicate };
    },
    async saveConnection(input: Parameters<Store['saveConnection']>[0]) {
      await withTransaction(pool, async (c) => {
        for (const conn of input.connections) await saveConnection(c, conn);
        await enqueueIn(c, input.outbox, input.now);
      });
      if (input.outbox.length > 0) poke();
    },
  });

  return {
    pool,
    accounts: gate(createPgAccounts(pool)),
    connections: gate(createPgConnections(pool)),
    conversations: gate(createPgConversations(pool)),
    messages: gate(createPgMessages(pool)),
    outbox: gate(outbox),
    receipts: gate(createPgReceipts(pool)),
    installations: gate(createPgInstallations(pool)),
    providerChannels: gate(createPgProviderChannels(pool)),
    amocrmSources: gate(createPgAmocrmSources(pool)),
    shared: { replay: gate(shared.replay), rateLimits: gate(shared.rateLimits), locks: gate(shared.locks), leaders: gate(shared.leaders) },
    ...repos,
    ready,
    // The worker woken by another instance's NOTIFY must ask the database (outbox.ts, maybeWork).
    onOutboxWork: (cb) =>
      listener.add(() => {
        outbox.othersAddedWork();
        cb();
      }),
    async ping() {
      if (closed) throw unavailableError('the store is closed');
      await ready();
      await run(pool, 'SELECT 1');
    },
    async close() {
      if (closed) return;
      closed = true;
      // Completions already submitted are written before the pools go.
      await Promise.all([intakes.drain(), outbox.drain()]);
      // Handed off to a worker that will not claim them now: back to pending, so another instance (or
      // the next start) delivers them without waiting out their lease.
      await outbox.releaseHeld(Date.now());
      await listener.close();
      await Promise.all([pool.end(), queuePool.end()]);
    },
  };
}
