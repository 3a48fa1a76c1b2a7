/**
 * What the emulated amoCRM keeps. Field names of the records that go on the wire follow amoCRM's
 * snake_case, so serializers stay thin; everything internal is camelCase.
 */

export interface AmocrmStatusRecord {
  id: number;
  name: string;
  sort: number;
  pipeline_id: number;
  color: string;
  type: number;
  is_editable: boolean;
}

export interface AmocrmPipelineRecord {
  id: number;
  name: string;
  sort: number;
  is_main: boolean;
  is_unsorted_on: boolean;
  is_archive: boolean;
  statuses: AmocrmStatusRecord[];
}

export interface AmocrmAccountRecord {
  id: number;
  name: string;
  subdomain: string;
  /** The account's host, e.g. `shop.amocrm.ru` or `shop.kommo.com` (what amoCRM sends as `referer`). */
  domain: string;
  amojoId: string;
  pipelines: AmocrmPipelineRecord[];
  createdAt: number;
}

/** A registered integration: amoCRM's "Integration ID", "secret key" and redirect URI. */
export interface AmocrmIntegrationRecord {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  /** Where the disable hook goes when a test does not name a URL. */
  disableUrl: string | null;
}

export interface AuthorizationCodeRecord {
  code: string;
  clientId: string;
  accountId: number;
  expiresAt: number;
  used: boolean;
}

/** One installation of an integration in an account: its live token pair and history. */
export interface GrantRecord {
  clientId: string;
  accountId: number;
  accessToken: string | null;
  accessExpiresAt: number;
  refreshToken: string | null;
  refreshExpiresAt: number;
  /** How many refresh_token grants succeeded (tests prove single-flight refreshes with it). */
  refreshes: number;
  /** authorization_code grants that succeeded (installs and reinstalls). */
  installs: number;
}

export interface SourceRecord {
  id: number;
  accountId: number;
  clientId: string;
  name: string;
  external_id: string;
  pipeline_id: number;
  default: boolean;
  origin_code: string | null;
  services: unknown[];
  createdAt: number;
  updatedAt: number;
}
