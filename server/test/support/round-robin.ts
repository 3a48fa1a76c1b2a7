import http from 'node:http';
import { listenOnLoopback, readBody } from './loopback';

/**
 * A small round-robin front on loopback, like nginx with `proxy_next_upstream error`: each request
 * goes to the next upstream; one that refuses the connection is skipped. A request whose upstream
 * dies mid-way gets 502 (the outcome is unknown to the caller, as behind a real balancer).
 */
export interface RoundRobin {
  url: string;
  setUpstreams(urls: string[]): void;
  close(): Promise<void>;
}

function forward(target: string, req: http.IncomingMessage, body: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const out = http.request(
      `${target}${req.url ?? '/'}`,
      { method: req.method, headers: { ...req.headers, host: new URL(target).host }, timeout: 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    out.on('error', reject);
    out.on('timeout', () => out.destroy(new Error('upstream timeout')));
    out.end(body);
  });
}

export async function startRoundRobin(initial: string[] = []): Promise<RoundRobin> {
  let upstreams = [...initial];
  let next = 0;
  const listening = await listenOnLoopback(async (req, res) => {
    const body = await readBody(req);
    const list = upstreams;
    for (let tries = 0; tries < list.length; tries++) {
      const target = list[next++ % list.length]!;
      try {
        const answer = await forward(target, req, body);
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
        return;
      } catch (err) {
        // Only a refused connection is safe to retry elsewhere: the request never arrived.
        if ((err as NodeJS.ErrnoException).code !== 'ECONNREFUSED') break;
      }
    }
    res.writeHead(502, { 'Content-Type': 'application/json' }).end('{"error":{"code":"bad_gateway"}}');
  });
  return {
    url: listening.url,
    setUpstreams: (urls) => {
      upstreams = [...urls];
    },
    close: listening.close,
  };
}
