#!/usr/bin/env node
import { accountCommands } from './cli/account-commands';
import { channelCommands } from './cli/channel-commands';
import { copyStoreCommand } from './cli/copy-store-command';
import { outboxCommands } from './cli/outbox-commands';
import { UsageError, type CliCommand, type CliContext, type CliIo } from './cli/types';
import { DEFAULT_DATABASE_URL } from './config';
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
    `environment: DATABASE_URL (default ${DEFAULT_DATABASE_URL})`,
    '',
  ].join('\n');
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
  const ctx: CliContext = {
    ...io,
    env,
    databaseUrl,
    store: async () => (store ??= await openStore(databaseUrl)),
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
