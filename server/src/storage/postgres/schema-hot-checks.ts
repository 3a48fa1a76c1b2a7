/**
 * Migration 12: the CHECK constraints of the two tables every relayed message writes (messages:
 * direction, status; outbox: destination, state) are dropped. PostgreSQL 15 re-reads a CHECK
 * constraint's expression from its stored text on every INSERT or UPDATE statement that touches
 * the table (and the unit-of-work functions run one statement per row): a profile of the relay put
 * ~10 % of the database's CPU in that, for four enum checks on values only amochan's own, typed
 * code writes (zod at the edges, the storage types inside). The columns stay NOT NULL; the other
 * tables (written once per conversation, binding or source) keep theirs, and SQLite, which compiles
 * its statements once, keeps all of them.
 */
export const pgHotChecksSql = `
ALTER TABLE messages DROP CONSTRAINT messages_direction_check, DROP CONSTRAINT messages_status_check;
ALTER TABLE outbox DROP CONSTRAINT outbox_destination_check, DROP CONSTRAINT outbox_state_check;
`;
