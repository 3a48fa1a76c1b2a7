import type { WebhookReceipt, WebhookReceiptRepo } from '../types';
import { deleteInBatches, type SqliteDatabase } from './database';

export interface SqliteReceipts {
  repo: WebhookReceiptRepo;
  /** Inserts unless the key exists; false = duplicate (nothing written). */
  insertIfNewSync(receipt: WebhookReceipt): boolean;
}

const PURGE_BATCH = 5000;

export function createSqliteReceipts(db: SqliteDatabase): SqliteReceipts {
  const insert = db.prepare(
    `INSERT INTO webhook_receipts (key, scope_id, kind, raw, received_at)
     VALUES (@key, @scopeId, @kind, @raw, @receivedAt) ON CONFLICT (key) DO NOTHING`,
  );
  const has = db.prepare<[string], { one: number }>('SELECT 1 AS one FROM webhook_receipts WHERE key = ?');
  const count = db.prepare<[], { value: number }>("SELECT value FROM counters WHERE name = 'webhook_receipts'");
  // Oldest first through webhook_receipts_received (migration 2), so a batch reads only what it deletes.
  const purgeBatch = db.prepare<[number]>(
    `DELETE FROM webhook_receipts WHERE key IN
       (SELECT key FROM webhook_receipts WHERE received_at < ? ORDER BY received_at LIMIT ${PURGE_BATCH})`,
  );

  return {
    insertIfNewSync: (r) => insert.run({ key: r.key, scopeId: r.scopeId, kind: r.kind, raw: r.raw, receivedAt: r.receivedAt }).changes > 0,
    repo: {
      async has(key) {
        return has.get(key) !== undefined;
      },
      async count() {
        return count.get()?.value ?? 0;
      },
      async purgeOlderThan(olderThan) {
        return deleteInBatches(() => purgeBatch.run(olderThan).changes, PURGE_BATCH);
      },
    },
  };
}
