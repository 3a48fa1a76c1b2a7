import type { Connection, ConnectionRepo, ConnectionStatus } from '../types';
import type { SqliteDatabase } from './database';

interface ConnectionRow {
  amojo_account_id: string;
  login: string;
  scope_id: string;
  title: string | null;
  status: ConnectionStatus;
  amocrm_account_id: number | null;
  pipeline_id: number | null;
  connected_at: number;
  disconnected_at: number | null;
  updated_at: number;
}

const toConnection = (r: ConnectionRow): Connection => ({
  amojoAccountId: r.amojo_account_id,
  login: r.login,
  scopeId: r.scope_id,
  title: r.title,
  status: r.status,
  amocrmAccountId: r.amocrm_account_id,
  pipelineId: r.pipeline_id,
  connectedAt: r.connected_at,
  disconnectedAt: r.disconnected_at,
  updatedAt: r.updated_at,
});

export interface SqliteConnections {
  repo: ConnectionRepo;
  /** Synchronous upsert for use inside a unit-of-work transaction (saveConnection). */
  saveSync(connection: Connection): void;
}

export function createSqliteConnections(db: SqliteDatabase): SqliteConnections {
  const save = db.prepare(
    `INSERT INTO connections (amojo_account_id, login, scope_id, title, status, amocrm_account_id, pipeline_id,
                              connected_at, disconnected_at, updated_at)
     VALUES (@amojoAccountId, @login, @scopeId, @title, @status, @amocrmAccountId, @pipelineId,
             @connectedAt, @disconnectedAt, @updatedAt)
     ON CONFLICT (amojo_account_id) DO UPDATE SET
       login = excluded.login, scope_id = excluded.scope_id, title = excluded.title, status = excluded.status,
       amocrm_account_id = excluded.amocrm_account_id, pipeline_id = excluded.pipeline_id,
       connected_at = excluded.connected_at, disconnected_at = excluded.disconnected_at, updated_at = excluded.updated_at`,
  );
  const byAccount = db.prepare<[string], ConnectionRow>('SELECT * FROM connections WHERE amojo_account_id = ?');
  // scope_id is derived from the amojo account id, so at most one row matches in practice; the
  // ORDER BY only makes a (theoretical) tie deterministic and identical to the memory store.
  const byScope = db.prepare<[string], ConnectionRow>('SELECT * FROM connections WHERE scope_id = ? ORDER BY updated_at DESC, amojo_account_id LIMIT 1');
  const connectedByLogin = db.prepare<[string], ConnectionRow>(
    `SELECT * FROM connections WHERE login = ? AND status = 'connected'
     ORDER BY connected_at DESC, amojo_account_id LIMIT 1`,
  );
  const list = db.prepare<[], ConnectionRow>('SELECT * FROM connections ORDER BY amojo_account_id');

  const saveSync = (c: Connection): void => {
    save.run({
      amojoAccountId: c.amojoAccountId,
      login: c.login,
      scopeId: c.scopeId,
      title: c.title,
      status: c.status,
      amocrmAccountId: c.amocrmAccountId,
      pipelineId: c.pipelineId,
      connectedAt: c.connectedAt,
      disconnectedAt: c.disconnectedAt,
      updatedAt: c.updatedAt,
    });
  };
  const one = (row: ConnectionRow | undefined) => (row ? toConnection(row) : null);

  return {
    saveSync,
    repo: {
      async save(c) {
        saveSync(c);
      },
      async getByAmojoAccount(id) {
        return one(byAccount.get(id));
      },
      async getByScope(scopeId) {
        return one(byScope.get(scopeId));
      },
      async getConnectedByLogin(login) {
        return one(connectedByLogin.get(login));
      },
      async list() {
        return list.all().map(toConnection);
      },
    },
  };
}
