import { channelListSchema } from '../contract/provider-api';
import { validateLogin } from '../services/credentials/rules';
import { UsageError, type CliCommand } from './types';

/**
 * `accounts channels <login> [<id>=<name> …]`: with pairs, replaces the login's channels (the full
 * list, in order: the first is the default source) and queues the source sync the running server's
 * worker then performs; without, lists them with their amoCRM sources.
 */

function parsePairs(pairs: string[]): Array<{ id: string; name: string }> {
  const channels = pairs.map((p) => {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`expected <id>=<name>, got "${p}"`);
    return { id: p.slice(0, eq), name: p.slice(eq + 1) };
  });
  const parsed = channelListSchema.safeParse(channels);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = typeof issue.path[0] === 'number' ? ` (${pairs[issue.path[0]]})` : '';
    throw new UsageError(`${issue.path.slice(1).join('.') || 'channels'}: ${issue.message}${at}`);
  }
  return parsed.data;
}

const channels: CliCommand = {
  path: ['accounts', 'channels'],
  args: '<login> [<id>=<name> …] [--json]',
  summary: "list a provider account's channels and their amoCRM sources, or replace them with the given list",
  async run(ctx, argv) {
    const json = argv.includes('--json');
    const [login, ...pairs] = argv.filter((a) => a !== '--json');
    if (!login) throw new UsageError('expected <login>');
    const problem = validateLogin(login);
    if (problem) throw new UsageError(`login ${problem}`);
    const wanted = pairs.length > 0 ? parsePairs(pairs) : null;
    const service = (await ctx.services()).channels;
    if (wanted) await service.declare(login, wanted, 'cli');
    const { channels: list } = await service.list(login).catch(async (err: unknown) => {
      // An unknown login may still declare channels ahead of its first connect (http verifier).
      if (wanted) throw err;
      ctx.stderr.write(`note: ${err instanceof Error ? err.message : String(err)}\n`);
      return { channels: [] };
    });
    if (json) {
      ctx.stdout.write(`${JSON.stringify({ channels: list }, null, 2)}\n`);
      return 0;
    }
    if (wanted) ctx.stdout.write(`channels of ${login} replaced; the server syncs the amoCRM sources\n`);
    for (const c of list) {
      const sources = c.sources.map((s) => `amocrm=${s.amocrm_account_id} ${s.state} pipeline=${s.pipeline_id ?? '-'}${s.error ? ` error="${s.error}"` : ''}`);
      ctx.stdout.write(`${c.id ?? '(default)'}\t${c.name}\t${sources.join('; ') || 'no sources'}\n`);
    }
    return 0;
  },
};

export const channelCommands: CliCommand[] = [channels];
