import { classifyFailure, WidgetError } from './errors';
import type { AjaxOptions, Thenable } from './host';

/** Sends one request: the host's `$authorizedAjax` (adds X-Auth-Token) or plain `$.ajax`. */
export type Send = (options: AjaxOptions) => Thenable;

export interface StatusReply {
  status: 'connected' | 'disconnected';
  login?: string;
}

export interface ConnectRequest {
  login: string;
  password: string;
  amojo_id: string;
  title?: string;
}

/** Without login and password the host's X-Auth-Token is the proof (the server decides if it is enough). */
export interface DisconnectRequest {
  amojo_id: string;
  login?: string;
  password?: string;
}

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
      request<{ status: 'connected'; scope_id?: string }>('POST', '/widget/v1/connect', body),
    disconnect: (body: DisconnectRequest) =>
      request<{ status: 'disconnected' }>('POST', '/widget/v1/disconnect', body),
    addSource: (body: { amojo_id: string; pipeline_id: string | number }) =>
      request<unknown>('POST', '/widget/v1/source', body),
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
