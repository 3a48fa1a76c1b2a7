import type { Database } from 'better-sqlite3';

/**
 * Migration 6 (4 and 5 are PostgreSQL-only): the outbox gains the `amocrm` destination (source syncs are deliveries like any
 * other) and amoCRM sources the `error` state. Both only widen a CHECK constraint, which SQLite
 * cannot ALTER; rebuilding the outbox would mean copying every row and re-creating its triggers.
 * SQLite documents the lighter way for changes that leave stored data valid (sqlite.org/lang_altertable,
 * "making other kinds of table schema changes"): edit the stored CREATE TABLE text under
 * writable_schema and bump schema_version, in the migration's transaction. Frozen once released.
 */
const EDITS: Array<{ table: string; from: string; to: string }> = [
  { table: 'outbox', from: "CHECK (destination IN ('amojo', 'provider'))", to: "CHECK (destination IN ('amojo', 'provider', 'amocrm'))" },
  { table: 'amocrm_sources', from: "CHECK (state IN ('pending', 'created', 'deleting'))", to: "CHECK (state IN ('pending', 'created', 'deleting', 'error'))" },
];

export function widenChecks(db: Database): void {
  const version = db.pragma('schema_version', { simple: true }) as number;
  // better-sqlite3 opens connections in SQLite's defensive mode, which forbids writable_schema.
  db.unsafeMode(true);
  try {
    db.pragma('writable_schema = ON');
    const edit = db.prepare("UPDATE sqlite_schema SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = ?");
    for (const e of EDITS) {
      const { changes } = edit.run(e.from, e.to, e.table);
      if (changes !== 1) throw new Error(`migration 6: table ${e.table} not found`);
    }
    db.pragma(`schema_version = ${version + 1}`);
    db.pragma('writable_schema = OFF');
  } finally {
    db.unsafeMode(false);
  }
  for (const e of EDITS) {
    const sql = (db.prepare("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?").get(e.table) as { sql: string }).sql;
    if (!sql.includes(e.to)) throw new Error(`migration 6: the CHECK constraint of ${e.table} is not the expected one`);
  }
}
