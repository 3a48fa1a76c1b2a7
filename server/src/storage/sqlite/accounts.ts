import type { ProviderAccount, ProviderAccountRepo } from '../types';
import type { SqliteDatabase } from './database';

interface AccountRow {
  login: string;
  password_hash: string;
  created_at: number;
}

const toAccount = (r: AccountRow): ProviderAccount => ({ login: r.login, passwordHash: r.password_hash, createdAt: r.created_at });

export function createSqliteAccounts(db: SqliteDatabase): ProviderAccountRepo {
  const upsert = db.prepare(
    `INSERT INTO provider_accounts (login, password_hash, created_at) VALUES (@login, @passwordHash, @createdAt)
     ON CONFLICT (login) DO UPDATE SET password_hash = excluded.password_hash`,
  );
  const get = db.prepare<[string], AccountRow>('SELECT * FROM provider_accounts WHERE login = ?');
  const list = db.prepare<[], AccountRow>('SELECT * FROM provider_accounts ORDER BY login');
  const remove = db.prepare('DELETE FROM provider_accounts WHERE login = ?');

  return {
    async upsert(account) {
      upsert.run({ login: account.login, passwordHash: account.passwordHash, createdAt: account.createdAt });
    },
    async get(login) {
      const row = get.get(login);
      return row ? toAccount(row) : null;
    },
    async list() {
      return list.all().map(toAccount);
    },
    async remove(login) {
      return remove.run(login).changes > 0;
    },
  };
}
