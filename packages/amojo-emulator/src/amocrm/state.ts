import { randomBytes } from 'node:crypto';
import type { AmocrmAccountRecord, AmocrmIntegrationRecord, AuthorizationCodeRecord, GrantRecord, SourceRecord } from './types';

/** All of the emulated amoCRM's memory, with the lookups the routes and the control API share. */
export class AmocrmState {
  readonly integrations = new Map<string, AmocrmIntegrationRecord>();
  readonly accounts = new Map<number, AmocrmAccountRecord>();
  readonly codes = new Map<string, AuthorizationCodeRecord>();
  readonly grants = new Map<string, GrantRecord>();
  /**
   * Access tokens stay valid until they expire even after a refresh issued a newer one (requests in
   * flight keep working); revoking the grant drops them all.
   */
  readonly accessIndex = new Map<string, { key: string; expiresAt: number }>();
  /** Refresh token → grant key; only the grant's current refresh token is accepted. */
  readonly refreshIndex = new Map<string, string>();
  readonly sources = new Map<number, SourceRecord>();
  private nextIds = { account: 30_000_000, pipeline: 7_000_000, status: 60_000_000, source: 1_000 };

  nextId(kind: keyof AmocrmState['nextIds']): number {
    this.nextIds[kind] += 1;
    return this.nextIds[kind];
  }

  grantKey(clientId: string, accountId: number): string {
    return `${clientId}:${accountId}`;
  }

  grant(clientId: string, accountId: number): GrantRecord | undefined {
    return this.grants.get(this.grantKey(clientId, accountId));
  }

  /** The grant a bearer token belongs to, if the token is known and unexpired. */
  grantByAccessToken(token: string, now: number): GrantRecord | undefined {
    const entry = this.accessIndex.get(token);
    if (!entry || entry.expiresAt <= now) return undefined;
    return this.grants.get(entry.key);
  }

  /** Makes every access token of a grant expired now (the next API call gets 401). */
  expireAccessTokens(key: string, now: number): void {
    for (const entry of this.accessIndex.values()) if (entry.key === key) entry.expiresAt = Math.min(entry.expiresAt, now);
    const grant = this.grants.get(key);
    if (grant) grant.accessExpiresAt = Math.min(grant.accessExpiresAt, now);
  }

  /** Drops every token of a grant: what uninstalling the integration does. */
  revokeGrant(key: string): void {
    for (const [token, entry] of this.accessIndex) if (entry.key === key) this.accessIndex.delete(token);
    const grant = this.grants.get(key);
    if (grant?.refreshToken) this.refreshIndex.delete(grant.refreshToken);
    if (grant) {
      grant.accessToken = null;
      grant.refreshToken = null;
    }
  }

  ownSources(clientId: string, accountId: number): SourceRecord[] {
    return [...this.sources.values()].filter((s) => s.clientId === clientId && s.accountId === accountId).sort((a, b) => a.id - b.id);
  }
}

export const randomToken = (prefix: string): string => `${prefix}${randomBytes(32).toString('base64url')}`;
