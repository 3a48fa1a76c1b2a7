import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { runCli, usage } from '../../src/cli';
import { verifyPassword } from '../../src/services/credentials/password-hash';
import { openStore } from '../../src/storage/open-store';
import { connection } from '../support/fixtures';

describe('admin CLI (in process, SQLite file)', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'amochan-cli-accounts-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => {
    env = { DATABASE_URL: `sqlite:${path.join(dir, `${expect.getState().currentTestName!.replace(/\W+/g, '-')}.sqlite`)}` };
  });

  async function cli(argv: string[], stdin = '') {
    let stdout = '';
    let stderr = '';
    const code = await runCli(
      argv,
      { stdin: Readable.from([stdin]), stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } },
      env,
    );
    return { code, stdout, stderr };
  }

  it('accounts add reads the password from stdin and stores a scrypt hash', async () => {
    const r = await cli(['accounts', 'add', 'alice'], 's3cret pass\n');
    expect(r).toMatchObject({ code: 0, stdout: 'account alice added\n' });
    const store = openStore(env.DATABASE_URL!);
    const account = await store.accounts.get('alice');
    await store.close();
    expect(account!.passwordHash).toMatch(/^scrypt\$/);
    expect(await verifyPassword('s3cret pass', account!.passwordHash)).toBe(true);
  });

  it('accounts add again changes the password', async () => {
    await cli(['accounts', 'add', 'alice'], 'one\n');
    const r = await cli(['accounts', 'add', 'alice'], 'two\r\n');
    expect(r.stdout).toBe('password changed for alice\n');
    const store = openStore(env.DATABASE_URL!);
    const hash = (await store.accounts.get('alice'))!.passwordHash;
    await store.close();
    expect(await verifyPassword('two', hash)).toBe(true);
  });

  it('accounts add refuses an empty password (exit 1) and a bad login (exit 2)', async () => {
    expect((await cli(['accounts', 'add', 'alice'], '\n')).code).toBe(1);
    expect((await cli(['accounts', 'add', 'alice'], '')).code).toBe(1);
    const bad = await cli(['accounts', 'add', 'a\tb'], 'pw\n');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/usage: amochan accounts add <login>/);
    expect((await cli(['accounts', 'add'], 'pw\n')).code).toBe(2);
    expect((await cli(['accounts', 'add', 'a', 'b'], 'pw\n')).code).toBe(2);
  });

  it('accounts add notes that the http verifier ignores local accounts', async () => {
    env.CREDENTIALS_VERIFIER = 'http';
    expect((await cli(['accounts', 'add', 'alice'], 'pw\n')).stderr).toMatch(/CREDENTIALS_VERIFIER=http/);
  });

  it('accounts list shows each account with its connection state', async () => {
    await cli(['accounts', 'add', 'alice'], 'pw\n');
    await cli(['accounts', 'add', 'bob'], 'pw\n');
    await cli(['accounts', 'add', 'carol'], 'pw\n');
    const store = openStore(env.DATABASE_URL!);
    await store.connections.save(connection({ amojoAccountId: 'a1', login: 'alice', scopeId: 'ch_a1', connectedAt: Date.UTC(2025, 0, 2) }));
    await store.connections.save(
      connection({ amojoAccountId: 'b1', login: 'bob', scopeId: 'ch_b1', status: 'disconnected', disconnectedAt: Date.UTC(2025, 0, 3), updatedAt: 2 }),
    );
    await store.close();

    const table = await cli(['accounts', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^LOGIN\s+CONNECTION$/m);
    expect(table.stdout).toMatch(/^alice\s+connected amojo_id=a1 scope_id=ch_a1 since 2025-01-02T00:00:00.000Z$/m);
    expect(table.stdout).toMatch(/^bob\s+disconnected amojo_id=b1 scope_id=ch_b1 since 2025-01-03T00:00:00.000Z$/m);
    expect(table.stdout).toMatch(/^carol\s+never connected$/m);

    const json = JSON.parse((await cli(['accounts', 'list', '--json'])).stdout) as Array<Record<string, unknown>>;
    expect(json.map((r) => [r.login, r.status, r.amojo_id])).toEqual([
      ['alice', 'connected', 'a1'],
      ['bob', 'disconnected', 'b1'],
      ['carol', 'never_connected', null],
    ]);
    expect(JSON.stringify(json)).not.toContain('scrypt');
  });

  it('accounts list on an empty database', async () => {
    expect((await cli(['accounts', 'list'])).stdout).toMatch(/no accounts/);
    expect((await cli(['accounts', 'list', '--bogus'])).code).toBe(2);
  });

  it('accounts remove: refused while connected unless --force; unknown login exit 1', async () => {
    await cli(['accounts', 'add', 'alice'], 'pw\n');
    const store = openStore(env.DATABASE_URL!);
    await store.connections.save(connection({ amojoAccountId: 'a1', login: 'alice', scopeId: 'ch_a1' }));
    await store.close();
    const refused = await cli(['accounts', 'remove', 'alice']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/disconnect it from the widget first, or pass --force/);
    expect(await cli(['accounts', 'remove', 'alice', '--force'])).toMatchObject({ code: 0, stdout: 'account alice removed\n' });
    expect((await cli(['accounts', 'remove', 'alice'])).code).toBe(1);
  });

  it('migrate', async () => {
    const first = await cli(['migrate']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/applied migrations|schema up to date/);
    expect((await cli(['migrate'])).stdout).toMatch(/schema up to date/);
    expect((await cli(['migrate', 'extra'])).code).toBe(2);
  });

  it('usage: no command exits 2, help exits 0, unknown command exits 2', async () => {
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('accounts add <login>');
    expect((await cli(['--help'])).code).toBe(0);
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
    expect(usage()).toMatch(/migrate/);
    expect(usage()).toMatch(/DATABASE_URL/);
  });

  it('a bad DATABASE_URL is an operational error (exit 1) with a clear message', async () => {
    env.DATABASE_URL = 'mysql://x';
    const r = await cli(['accounts', 'list']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/DATABASE_URL/);
  });
});
