import type { WebhookReceipt, WebhookReceiptRepo } from '../types';
import type { SqliteDatabase } from './database';

export interface SqliteReceipts {
  repo: WebhookReceiptRepo;
  /** Inserts unless the key exists; false = duplicate (nothing written). */
  insertIfNewSync(receipt: WebhookReceipt): boolean;
}

export function createSqliteReceipts(db: SqliteDatabase): SqliteReceipts {
  const insert = db.prepare(
    `INSERT INTO webhook_receipts (key, scope_id, kind, raw, received_at)
     VALUES (@key, @scopeId, @kind, @raw, @receivedAt) ON CONFLICT (key) DO NOTHING`,
  );
  const has = db.prepare<[string], { one: number }>('SELECT 1 AS one FROM webhook_receipts WHERE key = ?');
  const count = db.prepare<[], { value: number }>("SELECT value FROM counters WHERE name = 'webhook_receipts'");

  return {
    insertIfNewSync: (r) =>
      insert.run({ key: r.key, scopeId: r.scopeId, kind: r.kind, raw: r.raw, receivedAt: r.receivedAt }).changes > 0,
    repo: {
      async has(key) {
        return has.get(key) !== undefined;
      },
      async count() {
        return count.get()?.value ?? 0;
      },
    },
  };
}
