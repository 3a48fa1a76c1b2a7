import { classifyFailure, WidgetError } from './errors';
import type { AjaxOptions, Thenable } from './host';
import type {
  ConnectReply,
  ConnectRequest,
  DisconnectReply,
  DisconnectRequest,
  SourceReply,
  SourceRequest,
  StatusReply,
} from '../../server/src/contract/widget-api';

/** Sends one request: the host's `$authorizedAjax` (adds X-Auth-Token) or plain `$.ajax`. */
export type Send = (options: AjaxOptions) => Thenable;

// The server's widget API types, type-only: erased from the bundle, so no zod ships with the widget.
// Fields newer servers added are optional there, so older servers' answers still fit.
export type {
  ChannelState,
  ConnectReply,
  ConnectRequest,
  DisconnectReply,
  DisconnectRequest,
  InstallationState,
  SourceReply,
  SourceRequest,
  StatusReply,
  WidgetChannel,
  WidgetPipeline,
} from '../../server/src/contract/widget-api';

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
    status: (amojoId: string) => request<StatusReply>('GET', `/widget/v1/status?amojo_id=${encodeURIComponent(amojoId)}`),
    connect: (body: ConnectRequest) => request<ConnectReply>('POST', '/widget/v1/connect', body),
    disconnect: (body: DisconnectRequest) => request<DisconnectReply>('POST', '/widget/v1/disconnect', body),
    addSource: (body: SourceRequest) => request<SourceReply | undefined>('POST', '/widget/v1/source', body),
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
