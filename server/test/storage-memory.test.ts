import { createMemoryStore } from '../src/storage/memory/store';
import { describeStoreContract } from './storage-contract';

describeStoreContract('memory', async () => createMemoryStore());
