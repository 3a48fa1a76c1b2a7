import { hashPassword } from '../services/credentials/password-hash';
import { validateLogin, validatePassword } from '../services/credentials/rules';
import type { Connection } from '../storage/types';
import { readSecretLine } from './read-secret';
import { UsageError, type CliCommand, type CliContext } from './types';

/** `accounts add|list|remove`: provider accounts checked by the `local` credential verifier. */

function requireLogin(argv: string[]): string {
  const positional = argv.filter((a) => !a.startsWith('--'));
  if (positional.length !== 1) throw new UsageError('expected exactly one <login>');
  const problem = validateLogin(positional[0]!);
  if (problem) throw new UsageError(`login ${problem}`);
  return positional[0]!;
}

function noteVerifier(ctx: CliContext): void {
  if ((ctx.env.CREDENTIALS_VERIFIER ?? '').trim() === 'http') {
    ctx.stderr.write('note: CREDENTIALS_VERIFIER=http, so the server checks passwords at PROVIDER_AUTH_URL and ignores local accounts\n');
  }
}

const add: CliCommand = {
  path: ['accounts', 'add'],
  args: '<login>',
  summary: 'add a provider account, or change its password (password read from stdin)',
  async run(ctx, argv) {
    const login = requireLogin(argv);
    const password = await readSecretLine(ctx, `Password for ${login}: `);
    const problem = validatePassword(password);
    if (problem) {
      ctx.stderr.write(`error: password ${problem}\n`);
      return 1;
    }
    const store = await ctx.store();
    const existing = await store.accounts.get(login);
    await store.accounts.upsert({ login, passwordHash: await hashPassword(password), createdAt: existing?.createdAt ?? ctx.now() });
    ctx.stdout.write(existing ? `password changed for ${login}\n` : `account ${login} added\n`);
    noteVerifier(ctx);
    return 0;
  },
};

function describe(connection: Connection | undefined): string {
  if (!connection) return 'never connected';
  const when = new Date(connection.status === 'connected' ? connection.connectedAt : (connection.disconnectedAt ?? connection.updatedAt)).toISOString();
  return `${connection.status} amojo_id=${connection.amojoAccountId} scope_id=${connection.scopeId} since ${when}`;
}

const list: CliCommand = {
  path: ['accounts', 'list'],
  args: '[--json]',
  summary: "list provider accounts with each one's amoCRM connection state",
  async run(ctx, argv) {
    const unknown = argv.filter((a) => a !== '--json');
    if (unknown.length > 0) throw new UsageError(`unexpected argument ${unknown[0]}`);
    const store = await ctx.store();
    const [accounts, connections] = await Promise.all([store.accounts.list(), store.connections.list()]);
    // A login's connected binding wins over older disconnected ones; otherwise the latest.
    const byLogin = new Map<string, Connection>();
    for (const c of connections) {
      const prev = byLogin.get(c.login);
      if (!prev || (c.status === 'connected' && prev.status !== 'connected') || (c.status === prev.status && c.updatedAt > prev.updatedAt))
        byLogin.set(c.login, c);
    }
    if (argv.includes('--json')) {
      const rows = accounts.map((a) => {
        const c = byLogin.get(a.login);
        return {
          login: a.login,
          created_at: a.createdAt,
          status: c?.status ?? 'never_connected',
          amojo_id: c?.amojoAccountId ?? null,
          scope_id: c?.scopeId ?? null,
          connected_at: c?.connectedAt ?? null,
          disconnected_at: c?.disconnectedAt ?? null,
        };
      });
      ctx.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return 0;
    }
    if (accounts.length === 0) {
      ctx.stdout.write('no accounts; add one with: accounts add <login>\n');
      return 0;
    }
    const width = Math.max(5, ...accounts.map((a) => a.login.length));
    ctx.stdout.write(`${'LOGIN'.padEnd(width)}  CONNECTION\n`);
    for (const a of accounts) ctx.stdout.write(`${a.login.padEnd(width)}  ${describe(byLogin.get(a.login))}\n`);
    return 0;
  },
};

const remove: CliCommand = {
  path: ['accounts', 'remove'],
  args: '<login> [--force]',
  summary: 'remove a provider account (refused while it is connected, unless --force)',
  async run(ctx, argv) {
    const login = requireLogin(argv);
    const store = await ctx.store();
    const connected = await store.connections.getConnectedByLogin(login);
    if (connected && !argv.includes('--force')) {
      ctx.stderr.write(
        `error: ${login} is connected to amoCRM account ${connected.amojoAccountId}; disconnect it from the widget first, or pass --force (the binding stays until disconnected)\n`,
      );
      return 1;
    }
    if (!(await store.accounts.remove(login))) {
      ctx.stderr.write(`error: no account ${login}\n`);
      return 1;
    }
    ctx.stdout.write(`account ${login} removed\n`);
    return 0;
  },
};

export const accountCommands: CliCommand[] = [add, list, remove];
