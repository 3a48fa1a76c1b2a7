import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { startCluster, type Cluster } from '../support/cluster';
import { sleep } from '../support/wait';

/**
 * Unauthenticated and slow senders against the built server: a hook without a signature or for an
 * unknown scope is answered before its body is read, bodies in flight are capped (503 at once past
 * the cap), stalled senders are cut off by the header and request timeouts, and 150 slow senders of
 * 1 MB bodies leave the server's memory flat.
 */
jest.setTimeout(120_000);

const MB = 1024 * 1024;

/** The server process's resident memory, from /proc. */
function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.replace(/\D+/g, '')) * 1024;
}

interface Sender {
  socket: Socket;
  /** The status line's code, once an answer came. */
  status: () => number | null;
  answer: () => string;
  answeredAfterBytes: () => number | null;
  sent: () => number;
  closed: () => boolean;
  /** Sends n more body bytes. */
  send(bytes: Buffer): void;
}

/** Opens a connection and sends the request head; the body is sent by the caller, slowly. */
function openSender(port: number, path: string, headers: Record<string, string>): Sender {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  let sent = 0;
  let answeredAt: number | null = null;
  let closed = false;
  socket.on('data', (c: Buffer) => {
    if (answeredAt === null) answeredAt = sent;
    text += c.toString('latin1');
  });
  socket.on('error', () => undefined);
  socket.on('close', () => (closed = true));
  const head = [`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
  socket.write(head);
  return {
    socket,
    status: () => (/^HTTP\/1\.1 (\d{3})/.exec(text) ? Number(/^HTTP\/1\.1 (\d{3})/.exec(text)![1]) : null),
    answer: () => text,
    answeredAfterBytes: () => answeredAt,
    sent: () => sent,
    closed: () => closed,
    send(bytes) {
      sent += bytes.length;
      socket.write(bytes);
    },
  };
}

async function trickle(sender: Sender, total: number, chunk: number, everyMs: number): Promise<void> {
  const piece = Buffer.alloc(chunk, 0x7b);
  while (sender.sent() < total && !sender.closed() && sender.status() === null) {
    sender.send(piece.subarray(0, Math.min(chunk, total - sender.sent())));
    await sleep(everyMs);
  }
}

describe('slow senders, default limits', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster('e2e-slow', { RECONCILE_INTERVAL_MS: '0' });
  });
  afterAll(() => cluster?.close());

  it('150 slow 1 MB senders: unauthenticated ones refused unread, the rest capped; RSS stays flat', async () => {
    const { port, child } = cluster.server!;
    const hook = (scope: string) => `/amojo/v1/webhook/${scope}`;
    const bodyHeaders = { 'Content-Type': 'application/json', 'Content-Length': String(MB) };
    // Warm up, then the baseline.
    for (let i = 0; i < 20; i++) await fetch(`${cluster.url()}/healthz`).then((r) => r.text());
    await sleep(500);
    const baseline = rssBytes(child.pid!);

    const unsigned = Array.from({ length: 50 }, () => openSender(port, hook(cluster.scopeId), bodyHeaders));
    const unknownScope = Array.from({ length: 50 }, (_, i) =>
      openSender(port, hook(`${cluster.emulator.channelId}_nobody-${i}`), { ...bodyHeaders, 'X-Signature': 'ab'.repeat(20) }),
    );
    const forged = Array.from({ length: 50 }, () => openSender(port, hook(cluster.scopeId), { ...bodyHeaders, 'X-Signature': 'cd'.repeat(20) }));
    const all = [...unsigned, ...unknownScope, ...forged];
    let peak = baseline;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, rssBytes(child.pid!));
        await sleep(100);
      }
    })();
    // A second with nothing but the request heads sent: whatever can be refused unread is, now.
    await sleep(1000);
    const refusedUnread = (senders: Sender[]) => senders.filter((s) => s.status() !== null && s.answeredAfterBytes() === 0);
    const early = { unsigned: refusedUnread(unsigned), unknownScope: refusedUnread(unknownScope), forged: refusedUnread(forged) };
    // Then every sender still waiting sends all but the last byte of its body, slowly, and stalls.
    await Promise.all(all.map((s) => trickle(s, MB - 1, 64 * 1024, 50)));
    await sleep(2000);
    sampling = false;
    await sampler;
    const growthMb = (peak - baseline) / MB;
    process.stdout.write(
      `slow senders: baseline RSS ${(baseline / MB).toFixed(1)} MB, peak ${(peak / MB).toFixed(1)} MB, growth ${growthMb.toFixed(1)} MB; ` +
        `refused unread: ${early.unsigned.length}/50 unsigned, ${early.unknownScope.length}/50 unknown scope, ${early.forged.length}/50 signed for a known scope\n`,
    );

    expect(early.unsigned.map((s) => s.status())).toEqual(Array(50).fill(401));
    expect(early.unknownScope.map((s) => s.status())).toEqual(Array(50).fill(404));
    // Signed (forged) for a real scope: these must be read to be checked, up to the cap; past it,
    // 503 overloaded with Retry-After, unread.
    expect(early.forged.length).toBeGreaterThan(0);
    for (const s of early.forged) {
      expect(s.status()).toBe(503);
      expect(s.answer()).toMatch(/retry-after: \d+/i);
      expect(s.answer()).toContain('"code":"overloaded"');
    }
    expect(growthMb).toBeLessThan(30);
    for (const s of all) s.socket.destroy();
  });
});

describe('slow senders, short timeouts', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster('e2e-slow-timeouts', { RECONCILE_INTERVAL_MS: '0', HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_BODY_TIMEOUT_MS: '2000' });
  });
  afterAll(() => cluster?.close());

  it('cuts off a sender that stalls in its headers, or in its body', async () => {
    const port = cluster.server!.port;
    const started = Date.now();
    const inHeaders = connect(port, '127.0.0.1');
    inHeaders.on('error', () => undefined);
    // Read what comes (the 408): an unread socket never sees its end, so never closes.
    inHeaders.on('data', () => undefined);
    inHeaders.write('POST /api/v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const inBody = openSender(port, `/amojo/v1/webhook/${cluster.scopeId}`, { 'Content-Length': '1000', 'X-Signature': 'ef'.repeat(20) });
    inBody.send(Buffer.from('{"account_id":'));
    // Polled rather than awaited as events: what counts is that the socket is gone, and when.
    const closedAfter = async (gone: () => boolean): Promise<number> => {
      while (!gone() && Date.now() - started < 15_000) await sleep(50);
      return gone() ? Date.now() - started : Infinity;
    };
    const [headersMs, bodyMs] = await Promise.all([closedAfter(() => inHeaders.destroyed), closedAfter(() => inBody.closed())]);
    process.stdout.write(`stalled headers cut after ${headersMs} ms (limit 1000), stalled body after ${bodyMs} ms (limit 2000)\n`);
    expect(headersMs).toBeLessThan(4_000);
    expect(bodyMs).toBeLessThan(5_000);
    expect(inBody.status()).toBe(408);
    inHeaders.destroy();
    inBody.socket.destroy();
  });
});
