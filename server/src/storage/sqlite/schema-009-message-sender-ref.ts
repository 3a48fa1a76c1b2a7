/**
 * Migration 9 (PostgreSQL's 9 is the same SQL): an outbound message remembers the amojo user who
 * wrote it in amoCRM (StoredMessage.senderRefId), so the provider intake can tell a manager's id
 * echoed as a customer's ref_id even in a conversation that does not know its customer's id yet
 * (inbound-conversation.ts). Nullable, no backfill: rows from before it say nothing (parsing every
 * stored hook would hold the migration for as long as the table is large), so managers are known
 * from the hooks received after it. The index is partial: inbound rows, the larger half, stay out
 * of it. Frozen once released.
 */
export const messageSenderRefSql = `
ALTER TABLE messages ADD COLUMN sender_ref_id TEXT;
CREATE INDEX messages_scope_sender ON messages (scope_id, sender_ref_id) WHERE sender_ref_id IS NOT NULL;
`;
