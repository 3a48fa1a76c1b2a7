export * from './types';
export { openStore, migrateDatabase, parseDatabaseUrl, type DatabaseLocation } from './open-store';
export { createMemoryStore } from './memory/store';
export { createSqliteStore, type SqliteStore, type SqliteStoreOptions } from './sqlite/store';
export { openSqliteDatabase, type SqliteDatabase } from './sqlite/database';
export { runMigrations, migrations, latestSchemaVersion, type Migration, type MigrationResult } from './sqlite/migrations';
