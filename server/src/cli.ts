#!/usr/bin/env node
import { createAmojoClient } from '@amochan/amojo';
import { buildAppDeps } from './build-deps';
import { accountCommands } from './cli/account-commands';
import { channelCommands } from './cli/channel-commands';
import { copyStoreCommand } from './cli/copy-store-command';
import { outboxCommands } from './cli/outbox-commands';
import { UsageError, type CliCommand, type CliContext, type CliIo } from './cli/types';
import { DEFAULT_DATABASE_URL, loadConfig } from './config';
import { createLifecycle, type Lifecycle } from './lib/lifecycle';
import { createSilentLogger } from './lib/logger';
import type { Services } from './services/build-services';
import { migrateDatabase, openStore } from './storage/open-store';
import type { Store } from './storage/types';

/**
 * Admin CLI: `node server/dist/cli.js <command>`. Talks to the database named by DATABASE_URL
 * directly (the server may be running; SQLite WAL and PostgreSQL allow it). Exit codes: 0 ok, 1 failed, 2 usage.
 */

const migrate: CliCommand = {
  path: ['migrate'],
  args: '',
  summary: 'create or upgrade the database schema (the server also does this at start)',
  async run(ctx, argv) {
    if (argv.length > 0) throw new UsageError(`unexpected argument ${argv[0]}`);
    const result = await migrateDatabase(ctx.databaseUrl);
    ctx.stdout.write(
      result.applied.length > 0
        ? `applied migrations ${result.applied.join(', ')}; schema version ${result.current}\n`
        : `schema up to date (version ${result.current})\n`,
    );
    return 0;
  },
};

export const COMMANDS: CliCommand[] = [...accountCommands, ...channelCommands, ...outboxCommands, migrate, copyStoreCommand];

export function usage(commands: CliCommand[] = COMMANDS): string {
  const rows = commands.map((c) => [`${c.path.join(' ')} ${c.args}`.trim(), c.summary] as const);
  const width = Math.max(...rows.map(([left]) => left.length));
  return [
    'usage: amochan <command> [arguments]',
    '',
    'commands:',
    ...rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`),
    '',
    `environment: DATABASE_URL (default ${DEFAULT_DATABASE_URL}); accounts channels also reads the server's configuration`,
    '',
  ].join('\n');
}

/**
 * The services as the server builds them (build-deps.ts), from the server's own configuration: a
 * command that changes state through a service (not the store directly) does exactly what the
 * matching API call would, outbox entries included. The CLI works on the database only, so the amojo
 * client is never called (in sandbox mode there is no channel of our own to name anyway).
 */
function buildCliServices(env: NodeJS.ProcessEnv, databaseUrl: string, store: Store, lifecycle: Lifecycle, now: () => number): Services {
  const config = loadConfig({ ...env, DATABASE_URL: databaseUrl });
  const amojo = createAmojoClient({ baseUrl: config.AMOJO_BASE_URL, channelId: config.AMOJO_CHANNEL_ID ?? '', secret: config.AMOJO_CHANNEL_SECRET ?? '' });
  return buildAppDeps({ config, store, logger: createSilentLogger(), amojo, lifecycle, clock: { now } }).services;
}

/** Longest command path that prefixes argv wins, so `outbox retry` beats a hypothetical `outbox`. */
function findCommand(argv: string[], commands: CliCommand[]): CliCommand | undefined {
  return commands.filter((c) => c.path.every((word, i) => argv[i] === word)).sort((a, b) => b.path.length - a.path.length)[0];
}

export async function runCli(argv: string[], io: CliIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (argv.length === 0 || argv[0] === 'help' || argv.includes('--help') || argv.includes('-h')) {
    (argv.length === 0 ? io.stderr : io.stdout).write(usage());
    return argv.length === 0 ? 2 : 0;
  }
  const command = findCommand(argv, COMMANDS);
  if (!command) {
    io.stderr.write(`error: unknown command "${argv.join(' ')}"\n\n${usage()}`);
    return 2;
  }
  const databaseUrl = env.DATABASE_URL?.trim() || DEFAULT_DATABASE_URL;
  let store: Store | null = null;
  let services: Promise<Services> | null = null;
  const lifecycle = createLifecycle();
  const ctx: CliContext = {
    ...io,
    env,
    databaseUrl,
    store: async () => (store ??= await openStore(databaseUrl)),
    services: () => (services ??= ctx.store().then((opened) => buildCliServices(env, databaseUrl, opened, lifecycle, ctx.now))),
    now: () => Date.now(),
  };
  try {
    return await command.run(ctx, argv.slice(command.path.length));
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`error: ${err.message}\nusage: amochan ${command.path.join(' ')} ${command.args}\n`);
      return 2;
    }
    io.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await lifecycle.shutdown();
    if (store) await (store as Store).close();
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
