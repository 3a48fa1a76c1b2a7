import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { call } from './http-client';

/** Runs the built server and CLI as real processes, exactly as an operator would. */

export const SERVER_DIST = path.resolve(__dirname, '../../dist/main.js');
export const CLI_DIST = path.resolve(__dirname, '../../dist/cli.js');

export function assertBuilt(): void {
  if (!existsSync(SERVER_DIST) || !existsSync(CLI_DIST)) {
    throw new Error(
      'server/dist is missing: run `pnpm --filter @amochan/amojo build && pnpm --filter @amochan/amojo-emulator build && pnpm --filter @amochan/server build` first',
    );
  }
}

export interface ServerProcess {
  child: ChildProcessWithoutNullStreams;
  url: string;
  port: number;
  /** Every JSON log line so far. */
  logs: Array<Record<string, unknown>>;
  stdout(): string;
  stderr(): string;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const baseEnv = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production' });

export function startServerProcess(env: Record<string, string>, timeoutMs = 15_000): Promise<ServerProcess> {
  const child = spawn(process.execPath, [SERVER_DIST], { env: { ...baseEnv(), PORT: '0', HOST: '127.0.0.1', ...env } });
  let out = '';
  let err = '';
  const logs: Array<Record<string, unknown>> = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not log "listening" in ${timeoutMs} ms\n${out}\n${err}`)), timeoutMs);
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const lines = out.split('\n');
      logs.length = 0;
      for (const line of lines.slice(0, -1)) {
        try {
          logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          /* not JSON: ignore */
        }
      }
      const listening = logs.find((l) => l.msg === 'listening');
      if (listening) {
        clearTimeout(timer);
        const port = listening.port as number;
        resolve({
          child,
          port,
          url: `http://127.0.0.1:${port}`,
          logs,
          stdout: () => out,
          stderr: () => err,
          stop(signal = 'SIGTERM') {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening\n${out}\n${err}`));
    });
  });
}

export function runCliProcess(args: string[], env: Record<string, string>, stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_DIST, ...args], { env: { ...baseEnv(), ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** A fresh directory for one test file's database. */
export const makeTempDir = (name: string): string => mkdtempSync(path.join(tmpdir(), `amochan-${name}-`));

export interface ServerEnvInput {
  /** The SQLite file goes here, and survives restarts of the process. */
  dir: string;
  emulator: { url: string; channelId: string; secret: string };
  apiToken: string;
  providerUrl: string;
  providerSecret: string;
}

/** The environment of a built server on its own SQLite file, against this emulator and provider. */
export function serverEnv(input: ServerEnvInput, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: `sqlite:${path.join(input.dir, 'amochan.sqlite')}`,
    AMOJO_BASE_URL: input.emulator.url,
    AMOJO_CHANNEL_ID: input.emulator.channelId,
    AMOJO_CHANNEL_SECRET: input.emulator.secret,
    PROVIDER_API_TOKEN: input.apiToken,
    PROVIDER_WEBHOOK_URL: input.providerUrl,
    PROVIDER_WEBHOOK_SECRET: input.providerSecret,
    LOG_LEVEL: 'info',
    // The relay tests do not exercise OAuth install; tests of it override this.
    ALLOW_UNVERIFIED_BINDINGS: 'true',
    ...extra,
  };
}

/** Points the emulator's hooks (amojo → us) at a running server. */
export const pointHooksAt = (emulator: { control: { setWebhookUrl(url: string): void } }, baseUrl: string): void =>
  emulator.control.setWebhookUrl(`${baseUrl}/amojo/v1/webhook/:scope_id`);

/**
 * The usual start of a relay end-to-end test: account `alice` added with the built CLI, the built
 * server started on `env`, the emulator's hooks pointed at it, and alice connected as the widget
 * would. Returns the process and the scope id of the binding.
 */
export async function startConnectedServer(
  env: Record<string, string>,
  emulator: { control: { setWebhookUrl(url: string): void } },
): Promise<{ server: ServerProcess; scopeId: string }> {
  expect((await runCliProcess(['accounts', 'add', 'alice'], env, 'alice-pass\n')).code).toBe(0);
  const server = await startServerProcess(env);
  pointHooksAt(emulator, server.url);
  const connected = await call(`${server.url}/widget/v1/connect`, 'POST', { login: 'alice', password: 'alice-pass', amojo_id: randomUUID() });
  expect(connected.status).toBe(200);
  return { server, scopeId: connected.body!.scope_id as string };
}
