/**
 * Migration 9 on PostgreSQL: SQLite's migration 9 (schema-009-message-sender-ref.ts says what the
 * column is for), written so that an operator with a large `messages` table can add the column and
 * build the index first without blocking writes (CREATE INDEX CONCURRENTLY, docs/operations.md):
 * whatever already exists under these names is kept.
 */
export const pgMessageSenderRefSql = `
ALTER TABLE messages ADD COLUMN IF NOT EXISTS sender_ref_id TEXT;
CREATE INDEX IF NOT EXISTS messages_scope_sender ON messages (scope_id, sender_ref_id) WHERE sender_ref_id IS NOT NULL;
`;
