import { createPostgresStore } from '../src/storage/postgres/store';
import { describeStoreContract } from './storage-contract';
import { createTestDatabase, describePg, truncateAll, type TestDatabase } from './support/postgres';

let db: TestDatabase;
describePg('PostgreSQL store', () => {
  beforeAll(async () => {
    db = await createTestDatabase('contract');
    const first = createPostgresStore({ connectionString: db.url });
    await first.ready();
    await first.close();
  });
  afterAll(async () => {
    await db.drop();
  });

  describeStoreContract('postgres', async () => {
    await truncateAll(db.url);
    return createPostgresStore({ connectionString: db.url, poolSize: 4 });
  });
});
