import { conflictError, StorageError } from '../errors';
import type { AmocrmSource, AmocrmSourceRepo, Installation, InstallationRepo, ProviderChannel, ProviderChannelRepo } from '../amocrm-types';

/** In-memory twins of sqlite/amocrm-*.ts; orderings copy their ORDER BY clauses. */
const copy = <T>(v: T): T => structuredClone(v);
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const conflict = (what: string) => conflictError(what);

export function createMemoryInstallations(): InstallationRepo {
  const rows = new Map<number, Installation>();
  return {
    async save(i) {
      for (const other of rows.values()) {
        if (other.amojoId === i.amojoId && other.amocrmAccountId !== i.amocrmAccountId) throw conflict(`an installation with amojo_id ${i.amojoId}`);
      }
      rows.set(i.amocrmAccountId, copy(i));
    },
    async get(id) {
      const i = rows.get(id);
      return i ? copy(i) : null;
    },
    async getByAmojoId(amojoId) {
      const i = [...rows.values()].find((r) => r.amojoId === amojoId);
      return i ? copy(i) : null;
    },
    async list() {
      return [...rows.values()].sort((a, b) => a.amocrmAccountId - b.amocrmAccountId).map(copy);
    },
    async updateTokens(id, tokens, expected, now) {
      const i = rows.get(id);
      if (!i || i.refreshTokenEnc !== expected) return false;
      rows.set(id, { ...i, ...tokens, status: 'active', updatedAt: now });
      return true;
    },
    async setStatus(id, status, now) {
      const i = rows.get(id);
      if (!i) return false;
      const dropTokens = status === 'uninstalled' ? { accessTokenEnc: null, refreshTokenEnc: null } : {};
      rows.set(id, { ...i, ...dropTokens, status, updatedAt: now });
      return true;
    },
  };
}

export function createMemoryProviderChannels(): ProviderChannelRepo {
  const byLogin = new Map<string, ProviderChannel[]>();
  const list = (login: string) => (byLogin.get(login) ?? []).map(copy);
  return {
    async replace(login, channels, now) {
      const seen = new Set<string>();
      for (const c of channels) {
        if (seen.has(c.id)) throw new StorageError('invalid_request', `channel id ${c.id} appears twice`);
        seen.add(c.id);
      }
      const before = new Map((byLogin.get(login) ?? []).map((c) => [c.channelId, c]));
      const next = channels.map((c, position): ProviderChannel => {
        const old = before.get(c.id);
        return {
          login,
          channelId: c.id,
          name: c.name,
          position,
          createdAt: old?.createdAt ?? now,
          updatedAt: old && old.name === c.name && old.position === position ? old.updatedAt : now,
        };
      });
      if (next.length === 0) byLogin.delete(login);
      else byLogin.set(login, next);
      return list(login);
    },
    async list(login) {
      return list(login);
    },
  };
}

export function createMemoryAmocrmSources(): AmocrmSourceRepo {
  const rows = new Map<string, AmocrmSource>();
  const key = (accountId: number, login: string, channelId: string) => JSON.stringify([accountId, login, channelId]);
  const all = () => [...rows.values()];
  return {
    async save(s) {
      const k = key(s.amocrmAccountId, s.login, s.channelId);
      const clash = all().find(
        (o) => o.amocrmAccountId === s.amocrmAccountId && o.externalId === s.externalId && key(o.amocrmAccountId, o.login, o.channelId) !== k,
      );
      if (clash) throw conflict(`a source with external_id ${s.externalId}`);
      rows.set(k, copy(s));
    },
    async get(accountId, login, channelId) {
      const s = rows.get(key(accountId, login, channelId));
      return s ? copy(s) : null;
    },
    async getByExternalId(accountId, externalId) {
      const s = all().find((o) => o.amocrmAccountId === accountId && o.externalId === externalId);
      return s ? copy(s) : null;
    },
    async listByAccount(accountId) {
      return all()
        .filter((s) => s.amocrmAccountId === accountId)
        .sort((a, b) => cmp(a.login, b.login) || cmp(a.channelId, b.channelId))
        .map(copy);
    },
    async listByLogin(login) {
      return all()
        .filter((s) => s.login === login)
        .sort((a, b) => a.amocrmAccountId - b.amocrmAccountId || cmp(a.channelId, b.channelId))
        .map(copy);
    },
    async remove(accountId, login, channelId) {
      return rows.delete(key(accountId, login, channelId));
    },
    async removeByAccount(accountId) {
      let n = 0;
      for (const [k, s] of rows) {
        if (s.amocrmAccountId === accountId) {
          rows.delete(k);
          n += 1;
        }
      }
      return n;
    },
  };
}
