import type {
  AmocrmSource,
  AmocrmSourceRepo,
  Installation,
  InstallationRepo,
  InstallationStatus,
  ProviderChannel,
  ProviderChannelRepo,
  SourceState,
} from '../amocrm-types';
import { StorageError } from '../errors';
import { mapConstraintError, toBool, type SqliteDatabase } from './database';

interface InstallationRow {
  amocrm_account_id: number;
  amojo_id: string;
  domain: string;
  access_token_enc: string | null;
  refresh_token_enc: string | null;
  expires_at: number;
  status: InstallationStatus;
  installed_at: number;
  updated_at: number;
}

const toInstallation = (r: InstallationRow): Installation => ({
  amocrmAccountId: r.amocrm_account_id,
  amojoId: r.amojo_id,
  domain: r.domain,
  accessTokenEnc: r.access_token_enc,
  refreshTokenEnc: r.refresh_token_enc,
  expiresAt: r.expires_at,
  status: r.status,
  installedAt: r.installed_at,
  updatedAt: r.updated_at,
});

export function createSqliteInstallations(db: SqliteDatabase): InstallationRepo {
  const save = db.prepare(
    `INSERT INTO amocrm_installations (amocrm_account_id, amojo_id, domain, access_token_enc, refresh_token_enc, expires_at, status, installed_at, updated_at)
     VALUES (@amocrmAccountId, @amojoId, @domain, @accessTokenEnc, @refreshTokenEnc, @expiresAt, @status, @installedAt, @updatedAt)
     ON CONFLICT (amocrm_account_id) DO UPDATE SET
       amojo_id = excluded.amojo_id, domain = excluded.domain, access_token_enc = excluded.access_token_enc,
       refresh_token_enc = excluded.refresh_token_enc, expires_at = excluded.expires_at, status = excluded.status,
       installed_at = excluded.installed_at, updated_at = excluded.updated_at`,
  );
  const get = db.prepare<[number], InstallationRow>('SELECT * FROM amocrm_installations WHERE amocrm_account_id = ?');
  const byAmojo = db.prepare<[string], InstallationRow>('SELECT * FROM amocrm_installations WHERE amojo_id = ?');
  const list = db.prepare<[], InstallationRow>('SELECT * FROM amocrm_installations ORDER BY amocrm_account_id');
  // `IS` compares NULL with NULL as equal, which an expected null refresh token needs.
  const updateTokens = db.prepare(
    `UPDATE amocrm_installations SET access_token_enc = @accessTokenEnc, refresh_token_enc = @refreshTokenEnc,
       expires_at = @expiresAt, status = 'active', updated_at = @now
     WHERE amocrm_account_id = @id AND refresh_token_enc IS @expected`,
  );
  const setStatus = db.prepare(
    `UPDATE amocrm_installations SET status = @status, updated_at = @now,
       access_token_enc = CASE WHEN @status = 'uninstalled' THEN NULL ELSE access_token_enc END,
       refresh_token_enc = CASE WHEN @status = 'uninstalled' THEN NULL ELSE refresh_token_enc END
     WHERE amocrm_account_id = @id`,
  );
  return {
    async save(i) {
      try {
        save.run({ ...i });
      } catch (err) {
        mapConstraintError(err, `an installation with amojo_id ${i.amojoId}`);
      }
    },
    async get(id) {
      const r = get.get(id);
      return r ? toInstallation(r) : null;
    },
    async getByAmojoId(amojoId) {
      const r = byAmojo.get(amojoId);
      return r ? toInstallation(r) : null;
    },
    async list() {
      return list.all().map(toInstallation);
    },
    async updateTokens(id, tokens, expected, now) {
      return updateTokens.run({ ...tokens, id, expected, now }).changes > 0;
    },
    async setStatus(id, status, now) {
      return setStatus.run({ id, status, now }).changes > 0;
    },
  };
}

interface ChannelRow {
  login: string;
  channel_id: string;
  name: string;
  position: number;
  created_at: number;
  updated_at: number;
}

const toChannel = (r: ChannelRow): ProviderChannel => ({
  login: r.login,
  channelId: r.channel_id,
  name: r.name,
  position: r.position,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export function createSqliteProviderChannels(db: SqliteDatabase): ProviderChannelRepo {
  const list = db.prepare<[string], ChannelRow>('SELECT * FROM provider_channels WHERE login = ? ORDER BY position');
  const removeAll = db.prepare('DELETE FROM provider_channels WHERE login = ?');
  const insert = db.prepare(
    'INSERT INTO provider_channels (login, channel_id, name, position, created_at, updated_at) VALUES (@login, @channelId, @name, @position, @createdAt, @updatedAt)',
  );
  const replace = db.transaction((login: string, channels: Array<{ id: string; name: string }>, now: number) => {
    const before = new Map(list.all(login).map((r) => [r.channel_id, r]));
    removeAll.run(login);
    channels.forEach((c, position) => {
      const old = before.get(c.id);
      const unchanged = old && old.name === c.name && old.position === position;
      insert.run({ login, channelId: c.id, name: c.name, position, createdAt: old?.created_at ?? now, updatedAt: unchanged ? old.updated_at : now });
    });
  });
  return {
    async replace(login, channels, now) {
      const ids = new Set(channels.map((c) => c.id));
      if (ids.size !== channels.length) throw new StorageError('invalid_request', 'a channel id appears twice');
      replace(login, channels, now);
      return list.all(login).map(toChannel);
    },
    async list(login) {
      return list.all(login).map(toChannel);
    },
  };
}

interface SourceRow {
  amocrm_account_id: number;
  login: string;
  channel_id: string;
  external_id: string;
  amocrm_source_id: number | null;
  pipeline_id: number | null;
  name: string;
  is_default: number;
  state: SourceState;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

const toSource = (r: SourceRow): AmocrmSource => ({
  amocrmAccountId: r.amocrm_account_id,
  login: r.login,
  channelId: r.channel_id,
  externalId: r.external_id,
  amocrmSourceId: r.amocrm_source_id,
  pipelineId: r.pipeline_id,
  name: r.name,
  isDefault: toBool(r.is_default),
  state: r.state,
  lastError: r.last_error,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export function createSqliteAmocrmSources(db: SqliteDatabase): AmocrmSourceRepo {
  const save = db.prepare(
    `INSERT INTO amocrm_sources (amocrm_account_id, login, channel_id, external_id, amocrm_source_id, pipeline_id, name, is_default, state, last_error, created_at, updated_at)
     VALUES (@amocrmAccountId, @login, @channelId, @externalId, @amocrmSourceId, @pipelineId, @name, @isDefault, @state, @lastError, @createdAt, @updatedAt)
     ON CONFLICT (amocrm_account_id, login, channel_id) DO UPDATE SET
       external_id = excluded.external_id, amocrm_source_id = excluded.amocrm_source_id, pipeline_id = excluded.pipeline_id,
       name = excluded.name, is_default = excluded.is_default, state = excluded.state, last_error = excluded.last_error,
       created_at = excluded.created_at, updated_at = excluded.updated_at`,
  );
  const get = db.prepare<[number, string, string], SourceRow>('SELECT * FROM amocrm_sources WHERE amocrm_account_id = ? AND login = ? AND channel_id = ?');
  const byExternal = db.prepare<[number, string], SourceRow>('SELECT * FROM amocrm_sources WHERE amocrm_account_id = ? AND external_id = ?');
  const byAccount = db.prepare<[number], SourceRow>('SELECT * FROM amocrm_sources WHERE amocrm_account_id = ? ORDER BY login, channel_id');
  const byLogin = db.prepare<[string], SourceRow>('SELECT * FROM amocrm_sources WHERE login = ? ORDER BY amocrm_account_id, channel_id');
  const remove = db.prepare('DELETE FROM amocrm_sources WHERE amocrm_account_id = ? AND login = ? AND channel_id = ?');
  const removeByAccount = db.prepare('DELETE FROM amocrm_sources WHERE amocrm_account_id = ?');
  return {
    async save(s) {
      try {
        save.run({ ...s, isDefault: s.isDefault ? 1 : 0 });
      } catch (err) {
        mapConstraintError(err, `a source with external_id ${s.externalId}`);
      }
    },
    async get(accountId, login, channelId) {
      const r = get.get(accountId, login, channelId);
      return r ? toSource(r) : null;
    },
    async getByExternalId(accountId, externalId) {
      const r = byExternal.get(accountId, externalId);
      return r ? toSource(r) : null;
    },
    async listByAccount(accountId) {
      return byAccount.all(accountId).map(toSource);
    },
    async listByLogin(login) {
      return byLogin.all(login).map(toSource);
    },
    async remove(accountId, login, channelId) {
      return remove.run(accountId, login, channelId).changes > 0;
    },
    async removeByAccount(accountId) {
      return removeByAccount.run(accountId).changes;
    },
  };
}
