import http from 'node:http';
import https from 'node:https';

/**
 * A small fetch-compatible function over node:http(s) with keep-alive agents, for the outbox's hot
 * path (every relayed message is one or two POSTs). Node 20's built-in fetch costs about three times
 * the CPU per request, which alone would eat most of a 1,000 msg/s budget on a small server.
 *
 * It supports what the outbox uses and no more: method, string/Buffer body, plain-object headers,
 * an AbortSignal, never follows redirects (like `redirect: 'manual'`), and answers with a buffered
 * Response stand-in (status, ok, headers.get/has, text, json, arrayBuffer).
 */

export type FetchFn = (url: string, init?: RequestInit) => Promise<Response>;

export interface HttpFetchOptions {
  /** Sockets kept per host; bounds the outbox's parallelism toward one remote. */
  maxSockets?: number;
}

/**
 * The part of Response the SDK transport and the provider delivery read (status, headers.get,
 * text/json). Building a real undici Response (web streams underneath) cost more CPU than the whole
 * request on the outbox's hot path, so answers are handed back in this buffered stand-in.
 */
class BufferedHeaders {
  constructor(private readonly raw: http.IncomingHttpHeaders) {}
  get(name: string): string | null {
    const v = this.raw[name.toLowerCase()];
    return v === undefined ? null : Array.isArray(v) ? v.join(', ') : String(v);
  }
  has(name: string): boolean {
    return this.raw[name.toLowerCase()] !== undefined;
  }
  forEach(fn: (value: string, key: string) => void): void {
    for (const key of Object.keys(this.raw)) fn(this.get(key)!, key);
  }
}

class BufferedResponse {
  readonly ok: boolean;
  readonly redirected = false;
  readonly type = 'basic';
  bodyUsed = false;
  constructor(
    readonly status: number,
    readonly statusText: string,
    readonly headers: BufferedHeaders,
    readonly url: string,
    private readonly body: Buffer,
  ) {
    this.ok = status >= 200 && status <= 299;
  }
  async text(): Promise<string> {
    this.bodyUsed = true;
    return this.body.toString('utf8');
  }
  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }
  async arrayBuffer(): Promise<ArrayBuffer> {
    this.bodyUsed = true;
    return this.body.buffer.slice(this.body.byteOffset, this.body.byteOffset + this.body.byteLength) as ArrayBuffer;
  }
}

function toHeaderRecord(headers: RequestInit['headers']): Record<string, string> {
  if (!headers) return {};
  if (headers instanceof Headers) return Object.fromEntries(headers.entries());
  if (Array.isArray(headers)) return Object.fromEntries(headers);
  return { ...(headers as Record<string, string>) };
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const err = new Error('the request was aborted');
  err.name = 'AbortError';
  return err;
}

export function createHttpFetch(options: HttpFetchOptions = {}): FetchFn & { destroy(): void } {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 64, scheduling: 'lifo' as const };
  const agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };

  function once(url: URL, init: RequestInit, retryOnStaleSocket: boolean): Promise<Response> {
    return new Promise<Response>((resolve, reject) => {
      const signal = init.signal ?? undefined;
      if (signal?.aborted) {
        reject(abortError(signal));
        return;
      }
      const secure = url.protocol === 'https:';
      const req = (secure ? https : http).request(url, {
        method: init.method ?? 'GET',
        headers: toHeaderRecord(init.headers),
        agent: secure ? agents.https : agents.http,
      });
      const onAbort = () => req.destroy(abortError(signal!));
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      req.on('error', (err: NodeJS.ErrnoException) => {
        done();
        // A kept-alive socket the server closed meanwhile fails before any answer: try a fresh one.
        if (retryOnStaleSocket && req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE') && !signal?.aborted) {
          once(url, init, false).then(resolve, reject);
          return;
        }
        reject(Object.assign(new TypeError(`fetch failed: ${err.message}`), { cause: err }));
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => {
          done();
          reject(Object.assign(new TypeError(`fetch failed while reading the body: ${err.message}`), { cause: err }));
        });
        res.on('end', () => {
          done();
          const response = new BufferedResponse(
            res.statusCode ?? 0,
            res.statusMessage ?? '',
            new BufferedHeaders(res.headers),
            url.href,
            Buffer.concat(chunks),
          );
          resolve(response as unknown as Response);
        });
      });
      const body = init.body;
      if (body === undefined || body === null) req.end();
      else if (typeof body === 'string' || Buffer.isBuffer(body) || body instanceof Uint8Array) req.end(body);
      else req.destroy(new TypeError('createHttpFetch supports string and Buffer bodies only'));
    });
  }

  const fetchFn = ((input: string, init: RequestInit = {}) => once(new URL(input), init, true)) as FetchFn & { destroy(): void };
  fetchFn.destroy = () => {
    agents.http.destroy();
    agents.https.destroy();
  };
  return fetchFn;
}
