import type pg from 'pg';
import { parseDatabaseUrl } from './open-store';
import { runPgMigrations } from './postgres/migrations';
import { createPgPool, mapPgError } from './postgres/pool';
import { openSqliteDatabase } from './sqlite/database';
import { runMigrations } from './sqlite/migrations';
import { ConfigError } from '../lib/config-error';

/**
 * Copies an amochan SQLite database into PostgreSQL, table by table, in primary-key batches.
 * Every row is an upsert on its primary key, so an interrupted copy is finished by running it again,
 * and a re-run after the last one changes nothing. Trigger-maintained SQLite helpers (outbox_heads,
 * outbox_counts, counters) are not copied: PostgreSQL derives the same from the rows.
 */
const TABLES: ReadonlyArray<{ name: string; key: string[] }> = [
  { name: 'provider_accounts', key: ['login'] },
  { name: 'connections', key: ['amojo_account_id'] },
  { name: 'conversations', key: ['id'] },
  { name: 'messages', key: ['id'] },
  { name: 'webhook_receipts', key: ['key'] },
  { name: 'outbox', key: ['seq'] },
  { name: 'replay_cache', key: ['partition', 'key'] },
  { name: 'rate_windows', key: ['key'] },
  { name: 'job_leases', key: ['job'] },
  { name: 'amocrm_installations', key: ['amocrm_account_id'] },
  { name: 'provider_channels', key: ['login', 'channel_id'] },
  { name: 'amocrm_sources', key: ['amocrm_account_id', 'login', 'channel_id'] },
];

export interface CopyProgress {
  table: string;
  copied: number;
  total: number;
}

export interface CopyStoreOptions {
  from: string;
  to: string;
  batchSize?: number;
  onProgress?: (p: CopyProgress) => void;
}

export async function copySqliteToPostgres(options: CopyStoreOptions): Promise<Array<{ table: string; rows: number }>> {
  const from = parseDatabaseUrl(options.from);
  const to = parseDatabaseUrl(options.to);
  if (from.kind !== 'sqlite' || from.filename === ':memory:') throw new ConfigError(['--from: must be sqlite:<path> of an existing database']);
  if (to.kind !== 'postgres') throw new ConfigError(['--to: must be postgres://…']);
  const batchSize = options.batchSize ?? 1000;
  const source = openSqliteDatabase(from.filename);
  const pool = createPgPool({ connectionString: to.url, poolSize: 1, statementTimeoutMs: 300_000 });
  try {
    runMigrations(source);
    await runPgMigrations(pool);
    const summary: Array<{ table: string; rows: number }> = [];
    for (const t of TABLES) {
      const exists = source.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(t.name);
      if (!exists) continue;
      const targetCols = await writableColumns(pool, t.name);
      const cols = (source.prepare(`PRAGMA table_info(${t.name})`).all() as Array<{ name: string }>).map((c) => c.name).filter((c) => targetCols.has(c));
      const total = (source.prepare(`SELECT count(*) AS n FROM ${t.name}`).get() as { n: number }).n;
      const upsert = upsertSql(t.name, cols, t.key);
      let copied = 0;
      let batch: unknown[] = [];
      const flush = async () => {
        if (batch.length === 0) return;
        await pool.query(upsert, [JSON.stringify(batch)]).catch((err: unknown) => mapPgError(err, `${t.name} rows`));
        copied += batch.length;
        batch = [];
        options.onProgress?.({ table: t.name, copied, total });
      };
      // iterate() streams rows; awaiting between them is fine as the source takes no other statement meanwhile.
      for (const row of source.prepare(`SELECT ${cols.join(', ')} FROM ${t.name} ORDER BY ${t.key.join(', ')}`).iterate()) {
        batch.push(row);
        if (batch.length >= batchSize) await flush();
      }
      await flush();
      if (t.name === 'outbox') {
        // Later enqueues must get seqs above every copied one.
        await pool.query("SELECT setval(pg_get_serial_sequence('outbox', 'seq'), GREATEST((SELECT max(seq) FROM outbox), 1))");
        // SQLite keeps heads in a table of its own: flag each key's first unfinished entry here.
        await pool.query("SELECT amochan_fix_heads(ARRAY(SELECT DISTINCT ordering_key FROM outbox WHERE state IN ('pending', 'leased')))");
      }
      summary.push({ table: t.name, rows: copied });
    }
    return summary;
  } finally {
    source.close();
    await pool.end();
  }
}

async function writableColumns(pool: pg.Pool, table: string): Promise<Set<string>> {
  const { rows } = await pool.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER'`,
    [table],
  );
  return new Set(rows.map((r) => r.column_name));
}

/** json_populate_recordset converts each JSON value with the column's input function (1/0 → boolean, numbers → bigint). */
function upsertSql(table: string, cols: string[], key: string[]): string {
  const list = cols.join(', ');
  const updates = cols.filter((c) => !key.includes(c)).map((c) => `${c} = excluded.${c}`);
  const identity = table === 'outbox' ? ' OVERRIDING SYSTEM VALUE' : '';
  return `INSERT INTO ${table} (${list})${identity} SELECT ${list} FROM json_populate_recordset(null::${table}, $1::json)
          ON CONFLICT (${key.join(', ')}) DO ${updates.length > 0 ? `UPDATE SET ${updates.join(', ')}` : 'NOTHING'}`;
}
