import { rmSync } from 'node:fs';
import { startEmulator, type RunningEmulator } from '@amochan/amojo-emulator';
import { startRecordingProvider, WEBHOOK_SECRET, type RecordingProvider } from './provider-server';
import { assertBuilt, makeTempDir, pointHooksAt, serverEnv, startConnectedServer, startServerProcess, type ServerProcess } from './server-process';
import { sleep, waitFor } from './wait';

/**
 * The crash / reconcile / shutdown end-to-end set-up: the built server as a real process over one
 * SQLite file that survives restarts, the emulator in this process, and a provider that records
 * every raw delivery (it deduplicates nothing, so a repeated delivery is visible).
 */

export const TOKEN = 'e2e-cluster-token';
export const bearer = { Authorization: `Bearer ${TOKEN}` };

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

/** `dir`: where the database goes (e.g. a small filesystem the test mounted); a fresh temp directory by default. */
export async function startCluster(name: string, extraEnv: Record<string, string> = {}, providerDelayMs = 0, options: { dir?: string } = {}): Promise<Cluster> {
  assertBuilt();
  const dir = options.dir ?? makeTempDir(name);
  const emulator = await startEmulator();
  const provider = await startRecordingProvider(providerDelayMs);
  const env = serverEnv({ dir, emulator, apiToken: TOKEN, providerUrl: provider.url, providerSecret: WEBHOOK_SECRET }, extraEnv);

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
      pointHooksAt(emulator, server.url);
      return server;
    },
    async kill() {
      const s = cluster.server;
      if (!s) return;
      // Hooks sent from now on fail, as amojo's would against a dead server.
      pointHooksAt(emulator, 'http://127.0.0.1:1');
      await s.stop('SIGKILL');
    },
    async terminate() {
      const s = cluster.server;
      if (!s) return null;
      const code = await s.stop('SIGTERM');
      pointHooksAt(emulator, 'http://127.0.0.1:1');
      return code;
    },
    async close() {
      if (cluster.server && cluster.server.child.exitCode === null && cluster.server.child.signalCode === null) await cluster.server.stop('SIGKILL');
      await emulator.close();
      await provider.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const started = await startConnectedServer(env, emulator);
  cluster.server = started.server;
  cluster.scopeId = started.scopeId;
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
      const res = await fetch(`${cluster.url()}/api/v1/messages`, {
        method: 'POST',
        headers: { ...bearer, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(5000),
      });
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

/** Polls until `fn` holds; the e2e default waits up to 30 s (a restart, a lease expiring). */
export const eventually = <T>(fn: () => T | false | undefined | null | Promise<T | false | undefined | null>, what: string, timeoutMs = 30_000): Promise<T> =>
  waitFor(fn, what, timeoutMs, 50);
