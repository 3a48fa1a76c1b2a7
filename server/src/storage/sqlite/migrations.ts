import type { Database } from 'better-sqlite3';
import { ConfigError } from '../../lib/config-error';
import { initialSchemaSql } from './schema-001-initial';
import { amocrmSchemaSql } from './schema-003-amocrm';
import { widenChecks } from './schema-006-relax-checks';
import { messageSenderRefSql } from './schema-009-message-sender-ref';

/**
 * Numbered, append-only schema migrations. Never edit a migration that has shipped: add a new one.
 * Each runs inside the same transaction as its schema_migrations row, so a crash mid-migration
 * leaves the database at the previous version. Long SQL lives in schema-NNN-*.ts files.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** For a change plain SQL cannot express; runs after `sql`, in the same transaction. */
  run?: (db: Database) => void;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: initialSchemaSql,
  },
  {
    version: 2,
    name: 'webhook receipts by time',
    // Retention deletes receipts by age; without this it would scan every stored raw body hourly.
    sql: 'CREATE INDEX webhook_receipts_received ON webhook_receipts (received_at);',
  },
  {
    version: 3,
    name: 'amocrm installations, channels and sources',
    sql: amocrmSchemaSql,
  },
  // 4 and 5 are PostgreSQL's alone (shared state, unit-of-work functions); numbers never mean two things.
  {
    version: 6,
    name: 'amocrm outbox destination and source error state',
    sql: '',
    run: widenChecks,
  },
  // 7 is PostgreSQL's alone (outbox completion batches, on a parallel branch); numbers never mean two things.
  {
    version: 8,
    name: 'conversation channel',
    // Nullable, no default: rows from before it have not learned their channel yet (conversation-channel.ts).
    sql: 'ALTER TABLE conversations ADD COLUMN channel_id TEXT;',
  },
  {
    version: 9,
    name: 'message sender ref',
    sql: messageSenderRefSql,
  },
];

export const latestSchemaVersion = (): number => migrations.reduce((max, m) => Math.max(max, m.version), 0);

export interface MigrationResult {
  /** Versions applied by this run, ascending; empty when the database was up to date. */
  applied: number[];
  /** The schema version the database is at now. */
  current: number;
}

/**
 * Brings the schema up to date. BEGIN IMMEDIATE takes the write lock before reading the applied
 * versions, so two processes starting together (server + `cli.js migrate`) cannot both apply one.
 */
export function runMigrations(db: Database, list: readonly Migration[] = migrations): MigrationResult {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const ordered = [...list].sort((a, b) => a.version - b.version);
  const known = ordered.length > 0 ? ordered[ordered.length - 1]!.version : 0;

  const apply = db.transaction((): MigrationResult => {
    const done = new Set((db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map((r) => r.version));
    const newest = Math.max(0, ...done);
    if (newest > known) {
      throw new ConfigError([
        `DATABASE_URL: the database is at schema version ${newest} but this amochan knows only up to ${known}; ` +
          'run a newer amochan (or restore a backup taken before the upgrade)',
      ]);
    }
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    const applied: number[] = [];
    for (const m of ordered) {
      if (done.has(m.version)) continue;
      if (m.sql) db.exec(m.sql);
      m.run?.(db);
      record.run(m.version, m.name, Date.now());
      applied.push(m.version);
    }
    return { applied, current: Math.max(newest, ...applied) };
  });
  return apply.immediate();
}
