import type pg from 'pg';
import type { AmocrmSource, AmocrmSourceRepo, Installation, InstallationRepo, ProviderChannel, ProviderChannelRepo } from '../amocrm-types';
import { StorageError } from '../errors';
import { lookup, rowLookup, run, withTransaction } from './pool';

type Row = Record<string, unknown>;

export const toInstallation = (r: Row): Installation => ({
  amocrmAccountId: r.amocrm_account_id as number,
  amojoId: r.amojo_id as string,
  domain: r.domain as string,
  accessTokenEnc: r.access_token_enc as string | null,
  refreshTokenEnc: r.refresh_token_enc as string | null,
  expiresAt: r.expires_at as number,
  status: r.status as Installation['status'],
  installedAt: r.installed_at as number,
  updatedAt: r.updated_at as number,
});

const SAVE_INSTALLATION = `INSERT INTO amocrm_installations (amocrm_account_id, amojo_id, domain, access_token_enc,
    refresh_token_enc, expires_at, status, installed_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
  ON CONFLICT (amocrm_account_id) DO UPDATE SET amojo_id = excluded.amojo_id, domain = excluded.domain,
    access_token_enc = excluded.access_token_enc, refresh_token_enc = excluded.refresh_token_enc,
    expires_at = excluded.expires_at, status = excluded.status, installed_at = excluded.installed_at,
    updated_at = excluded.updated_at`;

const INSTALLATION_BY_AMOJO_ID = rowLookup('installation_by_amojo_id', 'amocrm_installations', 'amojo_id = $1');

export function createPgInstallations(pool: pg.Pool): InstallationRepo {
  const one = async (sql: string, values: unknown[]) => {
    const [r] = await run(pool, sql, values);
    return r ? toInstallation(r) : null;
  };
  return {
    async save(i) {
      await run(
        pool,
        SAVE_INSTALLATION,
        [i.amocrmAccountId, i.amojoId, i.domain, i.accessTokenEnc, i.refreshTokenEnc, i.expiresAt, i.status, i.installedAt, i.updatedAt],
        `an installation with amojo_id ${i.amojoId}`,
      );
    },
    get: (id) => one('SELECT * FROM amocrm_installations WHERE amocrm_account_id = $1', [id]),
    getByAmojoId: async (amojoId) => {
      const [r] = await lookup(pool, INSTALLATION_BY_AMOJO_ID, [amojoId]);
      return r ? toInstallation(r) : null;
    },
    async list() {
      return (await run(pool, 'SELECT * FROM amocrm_installations ORDER BY amocrm_account_id')).map(toInstallation);
    },
    async updateTokens(id, t, expected, now) {
      // IS NOT DISTINCT FROM treats NULL = NULL as a match, which an expected null refresh token needs.
      const rows = await run(
        pool,
        `UPDATE amocrm_installations SET access_token_enc = $2, refresh_token_enc = $3, expires_at = $4,
           status = 'active', updated_at = $5
         WHERE amocrm_account_id = $1 AND refresh_token_enc IS NOT DISTINCT FROM $6 RETURNING 1`,
        [id, t.accessTokenEnc, t.refreshTokenEnc, t.expiresAt, now, expected],
      );
      return rows.length > 0;
    },
    async setStatus(id, status, now) {
      const rows = await run(
        pool,
        `UPDATE amocrm_installations SET status = $2, updated_at = $3,
           access_token_enc = CASE WHEN $2 = 'uninstalled' THEN NULL ELSE access_token_enc END,
           refresh_token_enc = CASE WHEN $2 = 'uninstalled' THEN NULL ELSE refresh_token_enc END
         WHERE amocrm_account_id = $1 RETURNING 1`,
        [id, status, now],
      );
      return rows.length > 0;
    },
  };
}

export const toChannel = (r: Row): ProviderChannel => ({
  login: r.login as string,
  channelId: r.channel_id as string,
  name: r.name as string,
  position: r.position as number,
  createdAt: r.created_at as number,
  updatedAt: r.updated_at as number,
});

const LIST_CHANNELS = 'SELECT * FROM provider_channels WHERE login = $1 ORDER BY position';
// Read with every provider message: prepared once per connection (pool.ts, rowLookup).
const CHANNELS_OF_LOGIN = rowLookup('channels_of_login', 'provider_channels', 'login = $1 ORDER BY position');

export function createPgProviderChannels(pool: pg.Pool): ProviderChannelRepo {
  return {
    async replace(login, channels, now) {
      if (new Set(channels.map((c) => c.id)).size !== channels.length) throw new StorageError('invalid_request', 'a channel id appears twice');
      return withTransaction(
        pool,
        async (c) => {
          // FOR UPDATE: two concurrent PUTs of one login's list serialise instead of interleaving.
          const before = new Map((await c.query(`${LIST_CHANNELS} FOR UPDATE`, [login])).rows.map((r) => [r.channel_id as string, r]));
          await c.query('DELETE FROM provider_channels WHERE login = $1', [login]);
          for (const [position, ch] of channels.entries()) {
            const old = before.get(ch.id);
            const unchanged = old && old.name === ch.name && old.position === position;
            await c.query('INSERT INTO provider_channels (login, channel_id, name, position, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)', [
              login,
              ch.id,
              ch.name,
              position,
              old?.created_at ?? now,
              unchanged ? old.updated_at : now,
            ]);
          }
          return (await c.query(LIST_CHANNELS, [login])).rows.map(toChannel);
        },
        `channel list of ${login}`,
      );
    },
    async list(login) {
      return (await lookup(pool, CHANNELS_OF_LOGIN, [login])).map(toChannel);
    },
  };
}

export const toSource = (r: Row): AmocrmSource => ({
  amocrmAccountId: r.amocrm_account_id as number,
  login: r.login as string,
  channelId: r.channel_id as string,
  externalId: r.external_id as string,
  amocrmSourceId: r.amocrm_source_id as number | null,
  pipelineId: r.pipeline_id as number | null,
  name: r.name as string,
  isDefault: r.is_default === true,
  state: r.state as AmocrmSource['state'],
  lastError: r.last_error as string | null,
  createdAt: r.created_at as number,
  updatedAt: r.updated_at as number,
});

const SAVE_SOURCE = `INSERT INTO amocrm_sources (amocrm_account_id, login, channel_id, external_id, amocrm_source_id,
    pipeline_id, name, is_default, state, last_error, created_at, updated_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
  ON CONFLICT (amocrm_account_id, login, channel_id) DO UPDATE SET external_id = excluded.external_id,
    amocrm_source_id = excluded.amocrm_source_id, pipeline_id = excluded.pipeline_id, name = excluded.name,
    is_default = excluded.is_default, state = excluded.state, last_error = excluded.last_error,
    created_at = excluded.created_at, updated_at = excluded.updated_at`;

// COLLATE "C": byte order, as SQLite sorts, whatever the database's locale.
export function createPgAmocrmSources(pool: pg.Pool): AmocrmSourceRepo {
  const one = async (sql: string, values: unknown[]) => {
    const [r] = await run(pool, sql, values);
    return r ? toSource(r) : null;
  };
  const many = async (sql: string, values: unknown[]) => (await run(pool, sql, values)).map(toSource);
  return {
    async save(s) {
      await run(
        pool,
        SAVE_SOURCE,
        [
          s.amocrmAccountId,
          s.login,
          s.channelId,
          s.externalId,
          s.amocrmSourceId,
          s.pipelineId,
          s.name,
          s.isDefault,
          s.state,
          s.lastError,
          s.createdAt,
          s.updatedAt,
        ],
        `a source with external_id ${s.externalId}`,
      );
    },
    get: (accountId, login, channelId) =>
      one('SELECT * FROM amocrm_sources WHERE amocrm_account_id = $1 AND login = $2 AND channel_id = $3', [accountId, login, channelId]),
    getByExternalId: (accountId, externalId) => one('SELECT * FROM amocrm_sources WHERE amocrm_account_id = $1 AND external_id = $2', [accountId, externalId]),
    listByAccount: (accountId) =>
      many('SELECT * FROM amocrm_sources WHERE amocrm_account_id = $1 ORDER BY login COLLATE "C", channel_id COLLATE "C"', [accountId]),
    listByLogin: (login) => many('SELECT * FROM amocrm_sources WHERE login = $1 ORDER BY amocrm_account_id, channel_id COLLATE "C"', [login]),
    async remove(accountId, login, channelId) {
      const rows = await run(pool, 'DELETE FROM amocrm_sources WHERE amocrm_account_id = $1 AND login = $2 AND channel_id = $3 RETURNING 1', [
        accountId,
        login,
        channelId,
      ]);
      return rows.length > 0;
    },
    async removeByAccount(accountId) {
      return (await run(pool, 'DELETE FROM amocrm_sources WHERE amocrm_account_id = $1 RETURNING 1', [accountId])).length;
    },
  };
}
