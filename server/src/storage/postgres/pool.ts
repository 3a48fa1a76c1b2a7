import pg from 'pg';
import { conflictError, StorageError, unavailableError } from '../errors';

/**
 * Driver: `pg` (node-postgres), chosen over `postgres` (porsager) deliberately.
 * - Named prepared statements are explicit (`{ name, text }`), so the hot paths (message and
 *   receipt insert, outbox enqueue/claim/complete) are parsed and planned once per connection and we
 *   decide which; `postgres` prepares every query implicitly, which breaks behind PgBouncer in
 *   transaction mode unless turned off globally.
 * - LISTEN needs one long-lived dedicated connection that we reconnect ourselves: `pg.Client` is
 *   exactly that, without a second pool of its own.
 * - pg.Pool's behaviour under outages is well known and small: a broken idle client emits 'error'
 *   on the pool (handled below, so the process never crashes) and is discarded; the next query opens
 *   a fresh connection, so the pool reconnects by itself. connectionTimeoutMillis bounds the wait.
 * - Maintenance: the most used Node PostgreSQL driver, one long-standing maintainer group, types
 *   in @types/pg. `postgres` pipelines and is faster in micro-benchmarks, but our transactions are
 *   short interactive round trips (read, then decide), where pipelining buys little.
 */
export interface PgPoolOptions {
  connectionString: string;
  /** Connections per instance (DATABASE_POOL_SIZE); keep N instances × size under max_connections. */
  poolSize?: number;
  /** Server-side cap on each statement (DATABASE_STATEMENT_TIMEOUT_MS). */
  statementTimeoutMs?: number;
  /** How long a query waits for a free or new connection before failing as unavailable. */
  connectTimeoutMs?: number;
  /** Told about errors on idle connections (e.g. the server restarted); they are never thrown. */
  onIdleError?: (err: Error) => void;
}

export interface PgPoolSettings {
  /**
   * Sessions for the outbox queue's own statements (store.ts: the queue pool): they commit with
   * synchronous_commit = off (a commit returns before its WAL is on disk; only for work whose loss
   * in a database crash is harmless), and they plan for a queue (see QUEUE_SESSION).
   */
  queue?: boolean;
}

/**
 * - synchronous_commit = off: store.ts says why losing the newest bookkeeping in a crash is harmless.
 * - enable_bitmapscan = off: the outbox is a queue, its indexes fill with entries of rows that were
 *   claimed or finished, until vacuum (once a minute at best) removes them. A plain index scan
 *   marks each such entry dead the first time it meets one, so the next scan steps over it without
 *   reading the table; a bitmap scan never does, and re-reads every one of them on every claim
 *   (measured: 1.5 ms and 1,000 pages per claim after 20 s of relaying, growing with the rate).
 * - plan_cache_mode = force_generic_plan: these few statements are planned once per session; with
 *   custom plans the claim was re-planned on every call (and as a bitmap scan, above).
 * - enable_seqscan = off: a plan made once is made while the table may still look empty (a fresh
 *   database, before its first analyze), and then reads the whole outbox on every claim for the
 *   session's life. Every statement here has an index made for it.
 */
const QUEUE_SESSION = 'SET synchronous_commit = off; SET enable_bitmapscan = off; SET enable_seqscan = off; SET plan_cache_mode = force_generic_plan';

// BIGINT (int8, oid 20) and NUMERIC counts come back as JS numbers: every value we store is an
// epoch-ms time, a count or a seq, all far below 2^53.
const INT8 = 20;
const parseInt8 = (v: string) => Number(v);
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8 ? parseInt8 : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export function createPgPool(options: PgPoolOptions, settings: PgPoolSettings = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    statement_timeout: options.statementTimeoutMs ?? 15_000,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    types,
    // SET on each new session, before the pool hands it out, rather than startup `options`, which
    // PgBouncer refuses. Should it fail, that session just commits synchronously and plans as usual.
    ...(settings.queue
      ? {
          onConnect: (client: pg.ClientBase) =>
            client.query(QUEUE_SESSION).then(
              () => undefined,
              () => undefined,
            ),
        }
      : {}),
  });
  pool.on('error', (err) => options.onIdleError?.(err));
  return pool;
}

export type Queryable = pg.Pool | pg.PoolClient;

// Connection-level SQLSTATE classes and codes: 08 connection exception, 57P01-03 admin/crash
// shutdown and cannot-connect-now (a restarting server), 53300 too many connections, 57014
// statement timeout (the database is too slow to answer: same 503 for the client).
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '57014', '25006']);
const NODE_NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connection is closed|Cannot use a pool after calling end/i;

export function isUnavailableError(err: unknown): boolean {
  if (err instanceof StorageError) return err.code === 'storage_unavailable';
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code) || NODE_NET_CODES.has(code)) return true;
  return typeof e?.message === 'string' && UNAVAILABLE_MESSAGES.test(e.message);
}

/** Unique violations become `conflict` (as in SQLite); lost connections `storage_unavailable`; the rest is rethrown. */
export function mapPgError(err: unknown, what = 'row'): never {
  if (err instanceof StorageError) throw err;
  const code = (err as { code?: unknown } | null)?.code;
  if (code === '23505') throw conflictError(what, err);
  if (isUnavailableError(err)) throw unavailableError(undefined, err);
  throw err;
}

/** One pooled connection; a database that cannot be reached is `storage_unavailable`, as everywhere. */
export async function connect(pool: pg.Pool, what?: string): Promise<pg.PoolClient> {
  try {
    return await pool.connect();
  } catch (err) {
    return mapPgError(err, what);
  }
}

/** Runs fn on one connection inside BEGIN … COMMIT; any error rolls back and is mapped. */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>, what?: string): Promise<T> {
  const client = await connect(pool, what);
  let broken = false;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    try {
      await client.query('ROLLBACK');
    } catch {
      broken = true; // a connection that cannot roll back is not given back to the pool
    }
    if (isUnavailableError(err)) broken = true;
    return mapPgError(err, what);
  } finally {
    client.release(broken);
  }
}

/** One statement on any pooled connection, errors mapped. */
export async function run<R extends pg.QueryResultRow = pg.QueryResultRow>(
  db: Queryable,
  query: string | pg.QueryConfig,
  values?: unknown[],
  what?: string,
): Promise<R[]> {
  try {
    const res = typeof query === 'string' ? await db.query<R>(query, values) : await db.query<R>({ ...query, values });
    return res.rows;
  } catch (err) {
    return mapPgError(err, what);
  }
}

/**
 * A hot lookup as a named prepared statement (parsed and planned once per connection instead of
 * on every call: that was ~15 % of the database's CPU in the relay) that returns each row as one
 * jsonb column, mapped by the same row mappers. Not `SELECT *`: a prepared statement whose result
 * columns change fails with "cached plan must not change result type" on every connection that
 * prepared it, which is what another instance's migration adding a column would do to this one
 * during a rolling upgrade; one jsonb column stays one jsonb column, new keys and all.
 */
export function rowLookup(name: string, table: string, condition: string): pg.QueryConfig {
  return { name, text: `SELECT to_jsonb(t) AS row FROM ${table} t WHERE ${condition}` };
}

/** Runs a rowLookup: the rows as column-name → value records (BIGINTs as numbers, as everywhere). */
export async function lookup(db: Queryable, query: pg.QueryConfig, values: unknown[]): Promise<Record<string, unknown>[]> {
  return (await run<{ row: Record<string, unknown> }>(db, query, values)).map((r) => r.row);
}
