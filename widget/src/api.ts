import { classifyFailure, WidgetError } from './errors';
import type { AjaxOptions, Thenable } from './host';

/** Sends one request: the host's `$authorizedAjax` (adds X-Auth-Token) or plain `$.ajax`. */
export type Send = (options: AjaxOptions) => Thenable;

// ---- Widget API types (begin) -------------------------------------------------------------
// The requests and answers of the /widget/v1 routes as agreed with the server. Kept in this one
// block so they can move, as they are, into the server's contract module and be imported from
// there type-only. Every field a newer server added is optional here: older servers omit them.

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
}

export interface WidgetPipeline {
  id: number;
  name: string;
  is_main: boolean;
}

/** The integration's install in amoCRM: active, or its tokens were refused and it must be re-authorized. */
export type InstallationState = 'active' | 'reauthorization_required';

export interface StatusReply {
  status: 'connected' | 'disconnected';
  login?: string;
  channels?: WidgetChannel[];
  /** null: the server holds no amoCRM tokens for this account, so it cannot list pipelines. */
  pipelines?: WidgetPipeline[] | null;
  installation?: InstallationState | null;
}

/** `amojo_id` is still sent: older servers require it, newer ones check it against amoCRM's word. */
export interface ConnectRequest {
  login: string;
  password: string;
  amojo_id?: string;
  title?: string;
}

export interface ConnectReply {
  status: 'connected';
  scope_id?: string;
}

/** Without login and password the host's X-Auth-Token is the proof (the server decides if it is enough). */
export interface DisconnectRequest {
  amojo_id: string;
  login?: string;
  password?: string;
}

export interface DisconnectReply {
  status: 'disconnected';
}

/** Without `channel` every source of the account moves (onAddAsSource); with it, that channel's only. */
export interface SourceRequest {
  amojo_id: string;
  pipeline_id: string | number;
  channel?: string | null;
}

export interface SourceReply {
  status: 'ok';
  pipeline_id?: number;
  channels?: WidgetChannel[];
}
// ---- Widget API types (end) ---------------------------------------------------------------

// Long enough for a slow amojo round trip behind the server, short enough that a dead server
// turns into an "unreachable" message instead of a spinner forever.
const TIMEOUT_MS = 20000;

/** The widget routes of the amochan server (DESIGN.md, "Public contract"). */
export function createApi(baseUrl: string, send: Send) {
  const root = baseUrl.replace(/\/+$/, '');

  function request<T>(type: 'GET' | 'POST', path: string, body?: object): Promise<T> {
    const options: AjaxOptions = { url: root + path, type, dataType: 'json', timeout: TIMEOUT_MS };
    if (body) {
      options.contentType = 'application/json';
      options.data = JSON.stringify(body);
    }
    return new Promise<T>((resolve, reject) => {
      const onDone = (data: unknown) => resolve(data as T);
      const onFail = (xhr: unknown) => {
        const status = statusOf(xhr);
        // A 2xx whose body is empty or not JSON still succeeded (jQuery reports a parsererror).
        if (status >= 200 && status < 300) return resolve(undefined as T);
        reject(new WidgetError(classifyFailure(status, bodyOf(xhr)), status, { cause: xhr }));
      };
      try {
        send(options).then(onDone, onFail);
      } catch (error) {
        reject(new WidgetError('unexpected', 0, { cause: error }));
      }
    });
  }

  return {
    status: (amojoId: string) =>
      request<StatusReply>('GET', `/widget/v1/status?amojo_id=${encodeURIComponent(amojoId)}`),
    connect: (body: ConnectRequest) =>
      request<ConnectReply>('POST', '/widget/v1/connect', body),
    disconnect: (body: DisconnectRequest) =>
      request<DisconnectReply>('POST', '/widget/v1/disconnect', body),
    addSource: (body: SourceRequest) =>
      request<SourceReply | undefined>('POST', '/widget/v1/source', body),
  };
}

export type Api = ReturnType<typeof createApi>;

function statusOf(xhr: unknown): number {
  const status = (xhr as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : 0;
}

function bodyOf(xhr: unknown): unknown {
  const x = xhr as { responseJSON?: unknown; responseText?: unknown } | null;
  return x?.responseJSON ?? x?.responseText;
}
