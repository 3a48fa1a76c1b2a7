import type { OutboxEntry, OutboxState, Store } from '../storage/types';
import { UsageError, type CliCommand, type CliContext } from './types';

/**
 * `outbox list [--dead]` and `outbox retry <id>|--dead`: inspect the delivery queue and give dead
 * entries another chance once the cause (provider down for hours, wrong secret…) is fixed. A running
 * server picks retried entries up at its next poll.
 */

const DEFAULT_LIST_LIMIT = 100;
const MAX_REQUEUE = 100_000;

interface Flags {
  flags: Set<string>;
  positional: string[];
  limit?: number;
}

function parseArgs(argv: string[], allowed: string[]): Flags {
  const flags = new Set<string>();
  const positional: string[] = [];
  let limit: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--limit' && allowed.includes('--limit')) {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < 1) throw new UsageError('--limit needs a positive integer');
      limit = value;
    } else if (arg.startsWith('--')) {
      if (!allowed.includes(arg)) throw new UsageError(`unknown option ${arg}`);
      flags.add(arg);
    } else {
      positional.push(arg);
    }
  }
  return { flags, positional, ...(limit !== undefined ? { limit } : {}) };
}

const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString());
const oneLine = (s: string | null, max = 120): string => {
  if (!s) return '';
  const flat = s.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

function entryJson(e: OutboxEntry): Record<string, unknown> {
  return {
    id: e.id,
    state: e.state,
    destination: e.destination,
    kind: e.kind,
    ordering_key: e.orderingKey,
    message_id: e.messageId,
    attempts: e.attempts,
    next_attempt_at: e.nextAttemptAt,
    last_error: e.lastError,
    created_at: e.createdAt,
    updated_at: e.updatedAt,
  };
}

function formatTable(entries: OutboxEntry[]): string {
  const header = ['ID', 'STATE', 'DEST', 'KIND', 'TRIES', 'NEXT ATTEMPT', 'ORDERING KEY', 'LAST ERROR'];
  const rows = entries.map((e) => [
    e.id,
    e.state,
    e.destination,
    e.kind,
    String(e.attempts),
    e.state === 'done' || e.state === 'dead' ? '-' : iso(e.nextAttemptAt),
    e.orderingKey,
    oneLine(e.lastError),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

async function summary(store: Store): Promise<string> {
  const counts = await store.outbox.countByState();
  if (counts.length === 0) return 'outbox is empty\n';
  return counts.map((c) => `${c.destination}/${c.state}: ${c.count}`).join(', ') + '\n';
}

const list: CliCommand = {
  path: ['outbox', 'list'],
  args: '[--dead] [--pending] [--json] [--limit N]',
  summary: 'list undelivered outbox entries (pending and in flight), or dead ones with --dead',
  async run(ctx, argv) {
    const { flags, positional, limit = DEFAULT_LIST_LIMIT } = parseArgs(argv, ['--dead', '--pending', '--json', '--limit']);
    if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]}`);
    const store = await ctx.store();
    const states: OutboxState[] = flags.has('--dead') ? ['dead'] : flags.has('--pending') ? ['pending'] : ['pending', 'leased'];
    const entries: OutboxEntry[] = [];
    for (const state of states) entries.push(...(await store.outbox.list({ state, limit })));
    entries.sort((a, b) => a.seq - b.seq);
    const shown = entries.slice(0, limit);
    if (flags.has('--json')) {
      for (const e of shown) ctx.stdout.write(`${JSON.stringify(entryJson(e))}\n`);
      return 0;
    }
    if (shown.length === 0) ctx.stdout.write(flags.has('--dead') ? 'no dead entries\n' : 'nothing waiting for delivery\n');
    else ctx.stdout.write(formatTable(shown));
    ctx.stderr.write(await summary(store));
    return 0;
  },
};

/** The message a dead entry carried goes back to `queued`, so GET /api/v1/messages/:id tells the truth. */
async function requeueMessage(ctx: CliContext, store: Store, entry: OutboxEntry): Promise<void> {
  if (!entry.messageId) return;
  const message = await store.messages.get(entry.messageId);
  if (message && (message.status === 'dead' || message.status === 'failed')) {
    await store.messages.update(message.id, { status: 'queued', lastError: null }, ctx.now());
  }
}

const retry: CliCommand = {
  path: ['outbox', 'retry'],
  args: '<id>|--dead',
  summary: 'make a dead entry (or every dead entry) pending again, with its attempts reset',
  async run(ctx, argv) {
    const { flags, positional } = parseArgs(argv, ['--dead']);
    const all = flags.has('--dead');
    if (all === positional.length > 0 || positional.length > 1) throw new UsageError('give exactly one entry <id>, or --dead for every dead entry');
    const store = await ctx.store();
    if (all) {
      // Messages first: once an entry is pending again a running worker may deliver it at once.
      const dead = await store.outbox.list({ state: 'dead', limit: MAX_REQUEUE });
      for (const entry of dead) await requeueMessage(ctx, store, entry);
      const count = await store.outbox.retryAllDead(ctx.now());
      ctx.stdout.write(count === 0 ? 'no dead entries\n' : `${count} dead ${count === 1 ? 'entry' : 'entries'} queued for retry\n`);
      return 0;
    }
    const id = positional[0]!;
    const entry = await store.outbox.get(id);
    if (!entry) {
      ctx.stderr.write(`error: no outbox entry "${id}" (see \`outbox list --dead\`)\n`);
      return 1;
    }
    if (entry.state !== 'dead') {
      ctx.stderr.write(`error: entry ${id} is ${entry.state}, not dead; only dead entries can be retried\n`);
      return 1;
    }
    await requeueMessage(ctx, store, entry);
    if (!(await store.outbox.retry(id, ctx.now()))) {
      ctx.stderr.write(`error: entry ${id} changed state meanwhile; run \`outbox list --dead\` again\n`);
      return 1;
    }
    ctx.stdout.write(`entry ${id} queued for retry\n`);
    return 0;
  },
};

export const outboxCommands: CliCommand[] = [list, retry];
