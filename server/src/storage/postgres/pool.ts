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

// BIGINT (int8, oid 20) and NUMERIC counts come back as JS numbers: every value we store is an
// epoch-ms time, a count or a seq, all far below 2^53.
const INT8 = 20;
const parseInt8 = (v: string) => Number(v);
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8 ? parseInt8 : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export function createPgPool(options: PgPoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    statement_timeout: options.statementTimeoutMs ?? 15_000,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    types,
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
