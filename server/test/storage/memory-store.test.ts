import { createMemoryStore } from '../../src/storage/memory/store';
import { describeStoreContract } from './contract';

describeStoreContract('memory', async () => createMemoryStore());
