import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMemoryStore } from '../../src/storage/memory/store';
import { createSqliteStore } from '../../src/storage/sqlite/store';
import { describeAmocrmStoreContract } from '../storage/contract-amocrm';

let dir: string;
let n = 0;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'amochan-amocrm-storage-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeAmocrmStoreContract('memory', async () => createMemoryStore());
describeAmocrmStoreContract('sqlite (temp file)', async () => createSqliteStore({ filename: path.join(dir, `db-${++n}.sqlite`) }));
