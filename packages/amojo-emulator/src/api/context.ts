import type { IdGenerator } from '../ids';
import type { EmulatorSettings } from '../settings';
import type { EmulatorStore } from '../state/store';
import type { ChannelRecord, ScopeRecord } from '../state/types';

/** Everything an endpoint handler may touch: no express, so handlers stay plain functions. */
export interface ChannelContext {
  store: EmulatorStore;
  ids: IdGenerator;
  settings: EmulatorSettings;
  now: number;
  channel: ChannelRecord;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body; undefined for a body-less GET. */
  body: unknown;
}

export interface ScopeContext extends ChannelContext {
  scope: ScopeRecord;
}

export interface ApiResult {
  status: number;
  /** Serialised as JSON; undefined answers with an empty body (amojo's "200, empty"). */
  body?: unknown;
}
