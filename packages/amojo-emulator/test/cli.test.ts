import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createAmojoClient, noRetry } from '@amochan/amojo';

/** The built CLI, run as an operator would: `node dist/cli.js --port 0 ...`. */

const CLI = join(__dirname, '..', 'dist', 'cli.js');

function startCli(args: string[]): { child: ChildProcessWithoutNullStreams; output: () => string; waitFor: (re: RegExp) => Promise<RegExpMatchArray> } {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: 'pipe' });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const waitFor = (re: RegExp) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`CLI did not print ${re}; output so far:\n${out}`)), 10_000);
      const check = (): void => {
        const m = out.match(re);
        if (m) {
          clearTimeout(timer);
          child.stdout.off('data', check);
          resolve(m);
        }
      };
      child.stdout.on('data', check);
      check();
    });
  return { child, output: () => out, waitFor };
}

const exited = (child: ChildProcessWithoutNullStreams): Promise<number | null> =>
  new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`pnpm --filter @amochan/amojo build && pnpm --filter @amochan/amojo-emulator build\` first`);
});

test('prints URL, channel id, secret and the server env, serves signed requests, and exits 0 on SIGTERM', async () => {
  const cli = startCli([
    '--port',
    '0',
    '--channel-id',
    'c0ffee00-0000-4000-8000-000000000001',
    '--secret',
    'a'.repeat(40),
    '--webhook-url',
    'http://127.0.0.1:9/hook/:scope_id',
  ]);
  try {
    const [, url] = await cli.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    await cli.waitFor(/AMOJO_CHANNEL_SECRET=/);
    const out = cli.output();
    expect(out).toContain('channel id:     c0ffee00-0000-4000-8000-000000000001');
    expect(out).toContain(`channel secret: ${'a'.repeat(40)}`);
    expect(out).toContain(`AMOJO_BASE_URL=${url} AMOJO_CHANNEL_ID=c0ffee00-0000-4000-8000-000000000001 AMOJO_CHANNEL_SECRET=${'a'.repeat(40)}`);
    const client = createAmojoClient({ channelId: 'c0ffee00-0000-4000-8000-000000000001', secret: 'a'.repeat(40), baseUrl: url!, retry: noRetry });
    await expect(client.connect({ account_id: 'acc-cli' })).resolves.toMatchObject({ scope_id: 'c0ffee00-0000-4000-8000-000000000001_acc-cli' });
    const channels = (await (await fetch(`${url}/_emulator/channels`)).json()) as Array<{ webhookUrl: string }>;
    expect(channels[0]!.webhookUrl).toBe('http://127.0.0.1:9/hook/:scope_id');
  } finally {
    cli.child.kill('SIGTERM');
  }
  expect(await exited(cli.child)).toBe(0);
});

test('without arguments it makes up a uuid channel and a 40-hex secret; SIGINT closes it', async () => {
  const cli = startCli([]);
  try {
    const [, id] = await cli.waitFor(/channel id:\s+([0-9a-f-]{36})/);
    const [, secret] = await cli.waitFor(/channel secret:\s+(\S+)/);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4/);
    expect(secret).toMatch(/^[0-9a-f]{40}$/);
  } finally {
    cli.child.kill('SIGINT');
  }
  expect(await exited(cli.child)).toBe(0);
});

test('a bad --port is refused with exit code 2', async () => {
  const cli = startCli(['--port', 'eighty']);
  expect(await exited(cli.child)).toBe(2);
  expect(cli.output()).toContain('--port must be an integer');
});

test('--msgid-uniqueness per_channel is applied and shown; an unknown mode exits 2', async () => {
  const cli = startCli(['--msgid-uniqueness', 'per_channel']);
  try {
    const [, url] = await cli.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    await cli.waitFor(/msgid unique:\s+per_channel/);
    expect(await (await fetch(`${url}/_emulator/msgid-uniqueness`)).json()).toEqual({ mode: 'per_channel' });
  } finally {
    cli.child.kill('SIGTERM');
  }
  expect(await exited(cli.child)).toBe(0);
  const bad = startCli(['--msgid-uniqueness', 'global']);
  expect(await exited(bad.child)).toBe(2);
  expect(bad.output()).toContain('--msgid-uniqueness must be one of per_account, per_channel');
});
