import { fetchWithTimeout } from '@amochan/amojo';

/**
 * The demo provider's HTTP client for our own /api/v1, called over loopback with the provider API
 * token — the same requests a real provider makes, so they show up in the event log as such.
 */

export interface ApiReply {
  ok: boolean;
  status: number;
  body: unknown;
  /** What went wrong, said for the console (the server's error message when it gave one). */
  error: string | null;
}

export interface ProviderApiClient {
  call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<ApiReply>;
}

export function createProviderApiClient(baseUrl: string, token: string | undefined, timeoutMs = 10_000): ProviderApiClient {
  return {
    async call(method, path, body) {
      try {
        const headers = {
          Accept: 'application/json',
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        };
        const init = { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) };
        const res = await fetchWithTimeout((url, i) => fetch(url, i), baseUrl + path, init, timeoutMs);
        const ok = res.status >= 200 && res.status < 300;
        const text = res.text;
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : null;
        } catch {
          // Not JSON: keep the text.
        }
        const message = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
        const error = ok ? null : message?.message ? `${res.status} ${message.code ?? ''}: ${message.message}`.replace(' :', ':') : `HTTP ${res.status}`;
        return { ok, status: res.status, body: parsed, error };
      } catch (err) {
        return { ok: false, status: 0, body: null, error: `could not reach ${baseUrl}: ${(err as Error).message}` };
      }
    },
  };
}
