import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * A tiny process-edge stand-in for amojo on 127.0.0.1:0. It records the exact bytes received and
 * answers from a queue of scripted replies, so client tests exercise real sockets, real timeouts
 * and real connection errors without any module mocking.
 */

export interface RecordedRequest {
  method: string;
  url: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string | object;
  /** Delay before answering, to provoke client timeouts. */
  delayMs?: number;
}

export interface MockAmojo {
  baseUrl: string;
  requests: RecordedRequest[];
  /** Queue replies in order; when the queue is empty the fallback (200 `{}`) is used. */
  reply(...replies: Reply[]): void;
  close(): Promise<void>;
}

export async function startMockAmojo(): Promise<MockAmojo> {
  const requests: RecordedRequest[] = [];
  const queue: Reply[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '/';
      requests.push({ method: req.method ?? '', url, path: url.split('?')[0] ?? url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const r: Reply = queue.shift() ?? { status: 200, body: {} };
      const send = () => {
        const body = r.body === undefined ? '' : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
        res.writeHead(r.status ?? 200, { 'Content-Type': 'application/json', ...r.headers });
        res.end(body);
      };
      if (r.delayMs) {
        const t = setTimeout(() => {
          timers.delete(t);
          if (!res.destroyed) send();
        }, r.delayMs);
        timers.add(t);
      } else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    reply: (...replies) => void queue.push(...replies),
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on: bind, note the port, close. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
