import type { Services } from '../services/build-services';
import type { Store } from '../storage/types';

/**
 * The admin CLI's plug-in shape. Each command is a row in the table of cli.ts; command modules
 * (accounts, outbox, …) export arrays of these.
 */
export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
}

export interface CliContext extends CliIo {
  env: NodeJS.ProcessEnv;
  /** The DATABASE_URL in effect (default applied). */
  databaseUrl: string;
  /** Opens the store lazily (commands like --help never touch the database); closed by cli.ts. */
  store(): Promise<Store>;
  /**
   * The domain services over that store, built once (lazily) by the same builder as the server's,
   * from the server's configuration in the environment: an invalid one fails the command.
   */
  services(): Promise<Services>;
  now(): number;
}

export interface CliCommand {
  /** Words that select the command, e.g. ['accounts', 'add']. */
  path: string[];
  /** Argument synopsis shown in usage, e.g. '<login>'. */
  args: string;
  summary: string;
  /** Exit code: 0 ok, 1 failed, 2 usage error. `argv` holds what follows the command words. */
  run(ctx: CliContext, argv: string[]): Promise<number>;
}

/** Thrown by commands for a bad invocation: cli.ts prints it with the usage and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
