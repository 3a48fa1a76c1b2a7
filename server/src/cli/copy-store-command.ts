import { copySqliteToPostgres } from '../storage/copy-store';
import { UsageError, type CliCommand } from './types';

/** `copy-store --from sqlite:<path> --to postgres://…`: move a single-box deployment to PostgreSQL. */
export const copyStoreCommand: CliCommand = {
  path: ['copy-store'],
  args: '--from sqlite:<path> --to postgres://…',
  summary: 'copy every table of a SQLite database into PostgreSQL (upserts: safe to re-run)',
  async run(ctx, argv) {
    const flags = new Map<string, string>();
    for (let i = 0; i < argv.length; i += 2) {
      const [name, value] = [argv[i]!, argv[i + 1]];
      if ((name !== '--from' && name !== '--to') || value === undefined) throw new UsageError(`unexpected argument ${name}`);
      flags.set(name, value);
    }
    const from = flags.get('--from');
    const to = flags.get('--to');
    if (!from || !to) throw new UsageError('both --from and --to are required');
    let last = '';
    const summary = await copySqliteToPostgres({
      from,
      to,
      onProgress: ({ table, copied, total }) => {
        const line = `copying ${table}: ${copied}/${total}`;
        if (line !== last) ctx.stderr.write(`${line}\n`);
        last = line;
      },
    });
    for (const { table, rows } of summary) ctx.stdout.write(`${table}: ${rows} rows\n`);
    return 0;
  },
};
