import { z } from 'zod';
import { LOGIN_PATTERN, MAX_LOGIN_LENGTH, MAX_PASSWORD_LENGTH } from './credential-limits';

/**
 * The widget API (/widget/v1): request schemas, and the types of requests and answers. The server
 * validates with the schemas; the widget imports the types only (`import type`), so its bundle
 * carries no zod and the two sides cannot drift apart.
 */

const amojoId = z.guid({ message: 'must be the amoCRM account amojo_id (a uuid)' });
const login = z
  .string({ message: 'is required' })
  .min(1, 'must not be empty')
  .max(MAX_LOGIN_LENGTH)
  .regex(LOGIN_PATTERN, 'must not contain spaces or control characters');
// Passwords are taken byte for byte: never trimmed.
const password = z.string({ message: 'is required' }).min(1, 'must not be empty').max(MAX_PASSWORD_LENGTH);

// amojo_id may be omitted once the account installed the integration with OAuth: the server then
// knows it from amoCRM (and checks it when sent); without that the service answers 400 naming it.
export const connectSchema = z.object({ login, password, amojo_id: amojoId.optional(), title: z.string().trim().min(1).max(255).optional() });
// Password first: without tokens it is what a caller most likely left out (the widget disabling itself).
export const disconnectSchema = z.object({ password, login, amojo_id: amojoId });
// With widget tokens a token may stand in for the credentials; the connection service decides
// whether it does (only for the amoCRM account bound to that amojo account).
export const tokenDisconnectSchema = z.object({ login: login.optional(), password: password.optional(), amojo_id: amojoId.optional() });
export const statusQuerySchema = z.object({ amojo_id: amojoId.optional() });
export const sourceSchema = z.object({
  amojo_id: amojoId.optional(),
  pipeline_id: z.coerce.number({ message: 'must be a number' }).int().positive(),
  /** One channel's source only; absent = every source of the account. '' or null = the implicit channel. */
  channel: z.string().max(64).nullable().optional(),
});

export type ConnectRequest = z.input<typeof connectSchema>;
/** Without login and password the host's X-Auth-Token is the proof (the server decides if it is enough). */
export type DisconnectRequest = z.input<typeof tokenDisconnectSchema>;
/**
 * pipeline_id as amoCRM's settings form gives it: a number, or its digits as a string. Without
 * `channel` every source of the account moves (onAddAsSource); with it, that channel's only
 * (null names the default channel of a login that declared none).
 */
export type SourceRequest = { amojo_id: string; pipeline_id: string | number; channel?: string | null };

/** Where a channel's amoCRM source stands: created in amoCRM, still being created, or refused. */
export type ChannelState = 'created' | 'pending' | 'error';

/** One channel of the provider account and its amoCRM source, as the server read it from amoCRM. */
export interface WidgetChannel {
  /** null: the default channel of a login that declared none. */
  id: string | null;
  name: string;
  external_id: string | null;
  source_id: number | null;
  /** The pipeline amoCRM reports for the source; null when there is no source (yet). */
  pipeline_id: number | null;
  state: ChannelState;
  /** With state error: why amoCRM refused the source (e.g. the source limit). */
  error?: string;
}

export interface WidgetPipeline {
  id: number;
  name: string;
  is_main: boolean;
}

/** The integration's install in amoCRM: active, or its tokens were refused and it must be re-authorized. */
export type InstallationState = 'active' | 'reauthorization_required';

export interface ConnectReply {
  status: 'connected';
  scope_id: string;
  login: string;
  connected_at: number;
}
export interface DisconnectReply {
  status: 'disconnected';
}
/**
 * channels/pipelines/installation come from servers with the amoCRM integration configured; null
 * pipelines: the server holds no amoCRM tokens for this account, so it cannot list them.
 */
export type StatusReply =
  | {
      status: 'connected';
      login: string;
      scope_id: string;
      connected_at: number;
      pipeline_id: number | null;
      channels?: WidgetChannel[];
      pipelines?: WidgetPipeline[] | null;
      installation?: InstallationState | null;
      /** amoCRM could not be read just now: channels show what the server last knew. */
      amocrm_error?: string;
    }
  | { status: 'disconnected'; login?: undefined; channels?: undefined; pipelines?: undefined; installation?: InstallationState | null };
export interface SourceReply {
  status: 'ok';
  pipeline_id: number;
  channels?: WidgetChannel[];
  pipelines?: WidgetPipeline[] | null;
  amocrm_error?: string;
}
