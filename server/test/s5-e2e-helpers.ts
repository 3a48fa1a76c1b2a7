import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmulator, type RunningEmulator } from '@amochan/amojo-emulator';
import { assertBuilt, call, runCliProcess, startServerProcess, type ServerProcess } from './e2e-connect-process';
import { newAmojoId } from './s1-helpers';
import { sleep, WEBHOOK_SECRET } from './s2-helpers';

/**
 * The crash / reconcile / shutdown end-to-end set-up: the built server as a real process over one
 * SQLite file that survives restarts, the emulator in this process, and a provider that records
 * every raw delivery (it deduplicates nothing, so a repeated delivery is visible).
 */

export const TOKEN = 'e2e-s5-token';
export const bearer = { Authorization: `Bearer ${TOKEN}` };

export interface RawDelivery {
  eventId: string;
  type: string;
  dataId: string | undefined;
  conversationId: string | null | undefined;
  at: number;
}

export interface RecordingProvider {
  url: string;
  deliveries: RawDelivery[];
  /** Raw deliveries of message.created by amojo message id. */
  countFor(amojoMsgId: string): number;
  close(): Promise<void>;
}

/** Answers 200 after `delayMs` (a slow provider keeps deliveries in flight when we kill the server). */
export async function startRecordingProvider(delayMs = 0): Promise<RecordingProvider> {
  const deliveries: RawDelivery[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string; type: string; data?: { id?: string; conversation?: { id?: string | null } } };
        deliveries.push({ eventId: body.id, type: body.type, dataId: body.data?.id, conversationId: body.data?.conversation?.id, at: Date.now() });
      } catch {
        /* recorded nothing: not JSON */
      }
      setTimeout(() => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}'), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`,
    deliveries,
    countFor: (id) => deliveries.filter((d) => d.type === 'message.created' && d.dataId === id).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface Cluster {
  dir: string;
  env: Record<string, string>;
  emulator: RunningEmulator;
  provider: RecordingProvider;
  server: ServerProcess | null;
  scopeId: string;
  url(): string;
  /** Starts the server on the same database and points the emulator's hooks at it. */
  start(): Promise<ServerProcess>;
  /** SIGKILL: no shutdown hook runs. */
  kill(): Promise<void>;
  /** SIGTERM and wait; the exit code. */
  terminate(): Promise<number | null>;
  close(): Promise<void>;
}

export async function startCluster(name: string, extraEnv: Record<string, string> = {}, providerDelayMs = 0): Promise<Cluster> {
  assertBuilt();
  const dir = mkdtempSync(path.join(tmpdir(), `amochan-${name}-`));
  const emulator = await startEmulator();
  const provider = await startRecordingProvider(providerDelayMs);
  const env: Record<string, string> = {
    DATABASE_URL: `sqlite:${path.join(dir, 'amochan.sqlite')}`,
    AMOJO_BASE_URL: emulator.url,
    AMOJO_CHANNEL_ID: emulator.channelId,
    AMOJO_CHANNEL_SECRET: emulator.secret,
    PROVIDER_API_TOKEN: TOKEN,
    PROVIDER_WEBHOOK_URL: provider.url,
    PROVIDER_WEBHOOK_SECRET: WEBHOOK_SECRET,
    LOG_LEVEL: 'info',
    ...extraEnv,
  };
  expect((await runCliProcess(['accounts', 'add', 'alice'], env, 'alice-pass\n')).code).toBe(0);

  const cluster: Cluster = {
    dir,
    env,
    emulator,
    provider,
    server: null,
    scopeId: '',
    url: () => cluster.server?.url ?? 'http://127.0.0.1:1',
    async start() {
      const server = await startServerProcess(env);
      cluster.server = server;
      emulator.control.setWebhookUrl(`${server.url}/amojo/v1/webhook/:scope_id`);
      return server;
    },
    async kill() {
      const s = cluster.server;
      if (!s) return;
      // Hooks sent from now on fail, as amojo's would against a dead server.
      emulator.control.setWebhookUrl('http://127.0.0.1:1/amojo/v1/webhook/:scope_id');
      await s.stop('SIGKILL');
    },
    async terminate() {
      const s = cluster.server;
      if (!s) return null;
      const code = await s.stop('SIGTERM');
      emulator.control.setWebhookUrl('http://127.0.0.1:1/amojo/v1/webhook/:scope_id');
      return code;
    },
    async close() {
      if (cluster.server && cluster.server.child.exitCode === null && cluster.server.child.signalCode === null) await cluster.server.stop('SIGKILL');
      await emulator.close();
      await provider.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await cluster.start();
  const connected = await call(`${cluster.url()}/widget/v1/connect`, 'POST', { login: 'alice', password: 'alice-pass', amojo_id: newAmojoId() });
  expect(connected.status).toBe(200);
  cluster.scopeId = connected.body!.scope_id as string;
  return cluster;
}

/**
 * What a well-behaved provider does: POST, and on a network error or a 5xx, retry the very same
 * body (same msgid) until it is accepted. Returns once the answer is 202.
 */
export async function sendUntilAccepted(cluster: Cluster, body: Record<string, unknown>, timeoutMs = 60_000): Promise<{ id: string; msgid: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${cluster.url()}/api/v1/messages`, { method: 'POST', headers: { ...bearer, 'Content-Type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(5000) });
      const text = await res.text();
      if (res.status === 202) return JSON.parse(text) as { id: string; msgid: string };
      if (res.status < 500) throw new Error(`refused ${res.status}: ${text}`);
    } catch (err) {
      if ((err as Error).message.startsWith('refused')) throw err;
    }
    if (Date.now() > deadline) throw new Error(`message ${String(body.msgid)} never accepted`);
    await sleep(30);
  }
}

export async function eventually<T>(fn: () => T | false | undefined | null | Promise<T | false | undefined | null>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(50);
  }
}
