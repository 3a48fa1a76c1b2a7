import type pg from 'pg';
import { ConfigError } from '../../lib/config-error';
import type { Migration, MigrationResult } from '../sqlite/migrations';
import { connect, mapPgError } from './pool';
import { pgInitialSchemaSql, pgReceiptsByTimeSql, pgSharedStateSql } from './schema';
import { pgAmocrmSchemaSql } from './schema-amocrm';
import { pgConversationChannelSql } from './schema-conversation-channel';
import { pgFunctionsSql } from './schema-functions';
import { pgFinishUnblockedSql } from './schema-finish-unblocked';
import { pgHotChecksSql } from './schema-hot-checks';
import { pgIntakeBatchSql } from './schema-intake-batch';
import { pgLeaseBatchSql } from './schema-lease-batch';
import { pgMessageSenderRefSql } from './schema-message-sender-ref';

/**
 * Numbered, append-only, same versions and names as SQLite's where they overlap (a database at
 * version N has the same tables on either engine). Never edit a shipped migration: add one.
 */
export const pgMigrations: readonly Migration[] = [
  { version: 1, name: 'initial schema', sql: pgInitialSchemaSql },
  { version: 2, name: 'webhook receipts by time', sql: pgReceiptsByTimeSql },
  { version: 3, name: 'amocrm installations, channels and sources', sql: pgAmocrmSchemaSql },
  // 4 and 5 have no SQLite twin: SQLite keeps shared state in tables it creates itself, and runs
  // its units of work in process. SQLite's next migration takes 6 so numbers never mean two things.
  { version: 4, name: 'shared state', sql: pgSharedStateSql },
  { version: 5, name: 'unit-of-work functions', sql: pgFunctionsSql },
  // Same change as SQLite's 6: the amocrm outbox destination (source syncs) and the source error state.
  {
    version: 6,
    name: 'amocrm outbox destination and source error state',
    sql: `ALTER TABLE outbox DROP CONSTRAINT outbox_destination_check,
            ADD CONSTRAINT outbox_destination_check CHECK (destination IN ('amojo', 'provider', 'amocrm'));
          ALTER TABLE amocrm_sources DROP CONSTRAINT amocrm_sources_state_check,
            ADD CONSTRAINT amocrm_sources_state_check CHECK (state IN ('pending', 'created', 'deleting', 'error'));`,
  },
  // No SQLite twin (functions only): SQLite's migrations skip 7.
  { version: 7, name: 'batched outbox completions, plpgsql helpers', sql: pgLeaseBatchSql },
  // Same column as SQLite's 8, and the intake functions of 5 re-created to upsert it. (7 is left to
  // the PostgreSQL-only outbox completion batches of a parallel branch.)
  { version: 8, name: 'conversation channel', sql: pgConversationChannelSql },
  // Same column and index as SQLite's 9 (kept if an operator made them first). The intake
  // functions insert messages with SELECT * FROM jsonb_populate_record(null::messages, …), so they
  // store the new column as they are.
  { version: 9, name: 'message sender ref', sql: pgMessageSenderRefSql },
  // No SQLite twin (a function only): SQLite's intake is batched in process by its write queue,
  // so SQLite's migrations skip 10.
  { version: 10, name: 'batched provider message intake, leased to the accepting instance', sql: pgIntakeBatchSql },
  // No SQLite twin (a function only): SQLite's worker is in process and polls nothing.
  { version: 11, name: 'outbox completions tell which keys they unblocked', sql: pgFinishUnblockedSql },
  // No SQLite twin: SQLite keeps these checks (it compiles each statement once), so it skips 12.
  { version: 12, name: 'no per-statement enum checks on messages and outbox', sql: pgHotChecksSql },
];

export const latestPgSchemaVersion = (): number => pgMigrations.reduce((max, m) => Math.max(max, m.version), 0);

// Any constant works; it only has to be the same in every amochan process ("amoc" in ASCII). It
// stays below 2^53 so the JavaScript number is exactly the bigint PostgreSQL receives.
const MIGRATION_LOCK = 0x616d6f63;

/**
 * All pending migrations in ONE transaction under a transaction-scoped advisory lock: instances
 * starting together queue on the lock, and each one after the first finds nothing left to do.
 * DDL is transactional in PostgreSQL, so a failure leaves the previous version intact.
 */
export async function runPgMigrations(pool: pg.Pool, list: readonly Migration[] = pgMigrations): Promise<MigrationResult> {
  const ordered = [...list].sort((a, b) => a.version - b.version);
  const known = ordered.length > 0 ? ordered[ordered.length - 1]!.version : 0;
  const client = await connect(pool);
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
    const done = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    const newest = Math.max(0, ...done);
    if (newest > known) {
      throw new ConfigError([
        `DATABASE_URL: the database is at schema version ${newest} but this amochan knows only up to ${known}; ` +
          'run a newer amochan (or restore a backup taken before the upgrade)',
      ]);
    }
    const applied: number[] = [];
    for (const m of ordered) {
      if (done.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
    return { applied, current: Math.max(newest, ...applied) };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    return mapPgError(err);
  } finally {
    client.release();
  }
}
