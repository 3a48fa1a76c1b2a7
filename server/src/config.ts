import { z } from 'zod';
import { decodeEncryptionKey } from './amocrm/token-crypto';
import { ConfigError } from './lib/config-error';

/**
 * Configuration comes from the environment only and is validated once at start; every problem is
 * reported together so an operator fixes them in one pass. Only main.ts (the composition root)
 * calls loadConfig; everything else receives the parsed Config.
 */

export const DAY_MS = 86_400_000;

/** Also used by the CLI, which reads only DATABASE_URL. */
export const DEFAULT_DATABASE_URL = 'sqlite:./data/amochan.sqlite';

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());
const optionalUrl = z.preprocess(emptyToUndefined, z.string().url().optional());
const int = (def: number, min: number, max: number) => z.preprocess(emptyToUndefined, z.coerce.number().int().min(min).max(max).default(def));
const bool = (def: boolean) =>
  z.preprocess(
    emptyToUndefined,
    z
      .enum(['1', '0', 'true', 'false', 'yes', 'no'])
      .default(def ? 'true' : 'false')
      .transform((v) => ['1', 'true', 'yes'].includes(v)),
  );

const envSchema = z.object({
  PORT: int(3000, 0, 65535),
  HOST: z.preprocess(emptyToUndefined, z.string().default('0.0.0.0')),
  DATABASE_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .default(DEFAULT_DATABASE_URL)
      .refine((v) => v.startsWith('sqlite:') || v.startsWith('postgres://') || v.startsWith('postgresql://') || v === 'memory:', {
        message: 'must be sqlite:<path>, memory: or postgres://…',
      }),
  ),
  // PostgreSQL only: connections per instance, and the per-statement cap.
  DATABASE_POOL_SIZE: int(10, 1, 1000),
  DATABASE_STATEMENT_TIMEOUT_MS: int(15_000, 100, 600_000),
  AMOJO_BASE_URL: z.preprocess(emptyToUndefined, z.string().url().default('https://amojo.amocrm.ru')),
  AMOJO_CHANNEL_ID: optionalString,
  AMOJO_CHANNEL_SECRET: optionalString,
  AMOJO_CHANNEL_TITLE: optionalString,
  // The channel's bot id (from amoCRM support): only needed to import messages the business sent outside amoCRM.
  AMOJO_BOT_ID: optionalString,
  PROVIDER_API_TOKEN: optionalString,
  PROVIDER_WEBHOOK_URL: optionalUrl,
  PROVIDER_WEBHOOK_SECRET: optionalString,
  CREDENTIALS_VERIFIER: z.preprocess(emptyToUndefined, z.enum(['local', 'http']).default('local')),
  PROVIDER_AUTH_URL: optionalUrl,
  AMOCRM_CLIENT_SECRET: optionalString,
  AMOCRM_CLIENT_ID: optionalString,
  AMOCRM_TOKEN_AUDIENCE: optionalString,
  // With the client id and secret: OAuth install, bindings amoCRM vouches for (README "Going live").
  AMOCRM_REDIRECT_URI: optionalUrl,
  AMOCRM_API_BASE_URL: optionalUrl,
  TOKEN_ENCRYPTION_KEY: optionalString,
  ALLOW_UNVERIFIED_BINDINGS: bool(false),
  // How often stored amoCRM tokens close to expiry are refreshed (0: only when a call needs one).
  AMOCRM_TOKEN_CHECK_INTERVAL_MS: int(600_000, 0, 86_400_000),
  ALLOWED_ORIGINS: z.preprocess(emptyToUndefined, z.string().default('')),
  // Operational knobs (documented in README "Going live"); defaults suit a single small server.
  LOG_LEVEL: z.preprocess(emptyToUndefined, z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
  TRUST_PROXY: z.preprocess(emptyToUndefined, z.string().default('loopback')),
  // Widget connect/disconnect limits: per client IP (all attempts) and per login (failed attempts only).
  WIDGET_RATE_WINDOW_MS: int(900_000, 1_000, 86_400_000),
  WIDGET_RATE_LIMIT_PER_IP: int(60, 1, 1_000_000),
  WIDGET_RATE_LIMIT_PER_LOGIN: int(10, 1, 1_000_000),
  PROVIDER_AUTH_TIMEOUT_MS: int(5_000, 100, 120_000),
  // 32: deliveries are I/O-bound; at 8 the worker, not amojo, capped relay throughput (bench/README.md).
  OUTBOX_CONCURRENCY: int(32, 1, 256),
  OUTBOX_MAX_ATTEMPTS: int(10, 1, 100),
  OUTBOX_MAX_PENDING: int(100_000, 1, 100_000_000),
  OUTBOX_POLL_MS: int(200, 5, 60_000),
  // Retry backoff: base doubles per attempt up to max, with jitter; lease = how long a claim is ours.
  OUTBOX_BASE_DELAY_MS: int(1_000, 1, 3_600_000),
  OUTBOX_MAX_DELAY_MS: int(300_000, 1, 86_400_000),
  // A lease must outlive the slowest delivery (checked below), and is how long a
  // crashed worker's in-flight entries wait before they are claimed again after a restart.
  OUTBOX_LEASE_MS: int(60_000, 1_000, 3_600_000),
  PROVIDER_WEBHOOK_TIMEOUT_MS: int(10_000, 100, 120_000),
  // Per request to amojo (the SDK's own default is the same 10 s).
  AMOJO_TIMEOUT_MS: int(10_000, 100, 120_000),
  SHUTDOWN_TIMEOUT_MS: int(10_000, 0, 600_000),
  // A client has this long to send its request headers, and its whole request (headers and body);
  // a slow or stalled sender is answered 408 and cut off instead of holding a socket and a buffer.
  HTTP_HEADERS_TIMEOUT_MS: int(10_000, 100, 600_000),
  HTTP_BODY_TIMEOUT_MS: int(30_000, 100, 600_000),
  // Request bodies being received at once, by count and by declared size (a chunked body counts
  // as 1 MiB, the largest any route takes); past either, 503 at once without reading the body.
  HTTP_MAX_BODIES_IN_FLIGHT: int(256, 1, 100_000),
  HTTP_MAX_BODY_BYTES_IN_FLIGHT: int(8 * 1024 * 1024, 1024 * 1024, 1024 * 1024 * 1024),
  // 0 turns the reconciler off. It re-reads chat history of conversations active within the
  // lookback window to recover manager messages whose hook never reached us.
  RECONCILE_INTERVAL_MS: int(60_000, 0, 86_400_000),
  // Single-runner jobs (reconciler, retention): lease length; a dead instance's job moves within it.
  JOB_LEASE_MS: int(15_000, 300, 600_000),
  RECONCILE_LOOKBACK_MS: int(86_400_000, 60_000, 30 * 86_400_000),
  // Periodic passes leave messages younger than this to their hook, which may still be in flight.
  RECONCILE_GRACE_MS: int(30_000, 0, 3_600_000),
  // Retention (services/retention.ts, hourly): 0 keeps rows forever. Receipts are the reconciler's
  // memory of what was relayed, so they must outlive RECONCILE_LOOKBACK_MS (checked below).
  RETENTION_DONE_OUTBOX_DAYS: int(7, 0, 3650),
  RETENTION_RECEIPTS_DAYS: int(30, 0, 3650),
  SANDBOX_CONSOLE: bool(true),
});

export type Env = z.infer<typeof envSchema>;

export interface Config extends Env {
  /** No channel configured: the embedded emulator plays amojo. */
  sandbox: boolean;
  /**
   * OAuth install is configured (client id + secret + redirect URI + key): the server learns each amoCRM
   * account's amojo_id from amoCRM and checks the widget's claim against it.
   */
  oauth: boolean;
  allowedOrigins: string[];
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.')}: ${issue.message}`);
  }
  // The cross-field checks below only test presence, so they run on the raw strings even when the
  // schema failed: the operator then sees every problem in one pass, not in two rounds.
  const raw = (key: keyof Env): string | undefined => (typeof env[key] === 'string' && env[key]!.trim() !== '' ? env[key] : undefined);
  const e = parsed.success
    ? parsed.data
    : ({ ...Object.fromEntries(Object.keys(envSchema.shape).map((k) => [k, raw(k as keyof Env)])), DATABASE_URL: raw('DATABASE_URL') ?? '' } as unknown as Env);
  const sandbox = !e.AMOJO_CHANNEL_ID;
  if (e.AMOJO_CHANNEL_ID && !e.AMOJO_CHANNEL_SECRET) problems.push('AMOJO_CHANNEL_SECRET: required when AMOJO_CHANNEL_ID is set');
  if (!e.AMOJO_CHANNEL_ID && e.AMOJO_CHANNEL_SECRET) problems.push('AMOJO_CHANNEL_ID: required when AMOJO_CHANNEL_SECRET is set');
  if (!sandbox && !e.PROVIDER_API_TOKEN) problems.push('PROVIDER_API_TOKEN: required outside sandbox mode (the provider authenticates with it)');
  if (e.PROVIDER_WEBHOOK_URL && !e.PROVIDER_WEBHOOK_SECRET && !sandbox)
    problems.push('PROVIDER_WEBHOOK_SECRET: required when PROVIDER_WEBHOOK_URL is set (events are signed with it)');
  if (e.CREDENTIALS_VERIFIER === 'http' && !e.PROVIDER_AUTH_URL) problems.push('PROVIDER_AUTH_URL: required when CREDENTIALS_VERIFIER=http');
  // Without an expected audience, a token minted for any other integration that shares nothing but
  // the signing algorithm would be checked on signature alone; the sandbox mints its own tokens.
  const oauthConfigured = Boolean(e.AMOCRM_CLIENT_ID && e.AMOCRM_CLIENT_SECRET && e.AMOCRM_REDIRECT_URI);
  problems.push(...oauthProblems(e, sandbox, oauthConfigured));
  // Tokens need a key to be stored: a sandbox without one runs without OAuth (config refuses this elsewhere).
  const oauth = oauthConfigured && Boolean(e.TOKEN_ENCRYPTION_KEY);
  if (!sandbox && e.AMOCRM_CLIENT_SECRET && !e.AMOCRM_TOKEN_AUDIENCE && !e.AMOCRM_REDIRECT_URI)
    problems.push(
      "AMOCRM_TOKEN_AUDIENCE: required when AMOCRM_CLIENT_SECRET is set without AMOCRM_REDIRECT_URI (the scheme://host of the integration's redirect URI, the widget token's aud)",
    );
  // A lease shorter than the slowest delivery (createChat + new_message to amojo, or one provider
  // POST) would let the same entry be claimed again while its first delivery is still running.
  if (parsed.success) {
    // Node refuses a headers timeout longer than the whole-request timeout.
    if (e.HTTP_HEADERS_TIMEOUT_MS > e.HTTP_BODY_TIMEOUT_MS)
      problems.push(`HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_BODY_TIMEOUT_MS (${e.HTTP_BODY_TIMEOUT_MS}), which bounds the whole request`);
    const slowest = Math.max(2 * e.AMOJO_TIMEOUT_MS, e.PROVIDER_WEBHOOK_TIMEOUT_MS);
    if (e.OUTBOX_LEASE_MS < 2 * slowest)
      problems.push(`OUTBOX_LEASE_MS: must be at least ${2 * slowest} (twice the slowest delivery: 2 × AMOJO_TIMEOUT_MS or PROVIDER_WEBHOOK_TIMEOUT_MS)`);
    // A receipt purged while its message is still inside the lookback window looks unrelayed to the
    // reconciler, which would send that old manager message to the provider again.
    if (e.RETENTION_RECEIPTS_DAYS > 0 && e.RETENTION_RECEIPTS_DAYS * DAY_MS <= e.RECONCILE_LOOKBACK_MS)
      problems.push(
        `RETENTION_RECEIPTS_DAYS: must be longer than RECONCILE_LOOKBACK_MS (${e.RECONCILE_LOOKBACK_MS} ms = ${+(e.RECONCILE_LOOKBACK_MS / DAY_MS).toFixed(2)} days), ` +
          'or the reconciler would resend manager messages whose receipts were purged; raise it (or 0 = keep forever) or lower RECONCILE_LOOKBACK_MS',
      );
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  const allowedOrigins = e.ALLOWED_ORIGINS.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  // amoCRM's widget tokens carry the redirect URI's scheme://host as aud: the default audience.
  const audience = e.AMOCRM_TOKEN_AUDIENCE ?? (e.AMOCRM_CLIENT_SECRET && e.AMOCRM_REDIRECT_URI ? new URL(e.AMOCRM_REDIRECT_URI).origin : undefined);
  return { ...e, AMOCRM_TOKEN_AUDIENCE: audience, sandbox, oauth, allowedOrigins };
}

/**
 * Without OAuth nothing ties a widget token's amoCRM account to the amojo_id it claims, so a
 * production server refuses to start that way unless the operator accepts it explicitly; with OAuth
 * the stored tokens must be encrypted with a key the operator keeps (a random one would be lost on
 * restart, and every account would have to reinstall).
 */
function oauthProblems(e: Env, sandbox: boolean, oauth: boolean): string[] {
  const problems: string[] = [];
  if (e.AMOCRM_REDIRECT_URI && (!e.AMOCRM_CLIENT_ID || !e.AMOCRM_CLIENT_SECRET))
    problems.push("AMOCRM_REDIRECT_URI: needs AMOCRM_CLIENT_ID and AMOCRM_CLIENT_SECRET (the integration's id and secret key) to turn on OAuth install");
  if (e.TOKEN_ENCRYPTION_KEY) {
    try {
      decodeEncryptionKey(e.TOKEN_ENCRYPTION_KEY);
    } catch (err) {
      problems.push(err instanceof Error ? err.message.replace(/^TOKEN_ENCRYPTION_KEY:? ?/, 'TOKEN_ENCRYPTION_KEY: ') : String(err));
    }
  }
  if (sandbox) return problems;
  if (oauth && !e.TOKEN_ENCRYPTION_KEY)
    problems.push('TOKEN_ENCRYPTION_KEY: required with OAuth (it encrypts the stored amoCRM tokens); generate one with `openssl rand -hex 32` and keep it');
  // On the raw-strings path (schema failed) the flag is still a string.
  const allowUnverified = ['true', '1', 'yes'].includes(String(e.ALLOW_UNVERIFIED_BINDINGS));
  if (!oauth && !e.AMOCRM_REDIRECT_URI && !allowUnverified)
    problems.push(
      'AMOCRM_REDIRECT_URI: OAuth install is not configured (AMOCRM_CLIENT_ID, AMOCRM_CLIENT_SECRET, AMOCRM_REDIRECT_URI), so nothing would check which amoCRM account owns an amojo_id; ' +
        'configure it, or set ALLOW_UNVERIFIED_BINDINGS=true to accept that any provider login can bind any amojo_id',
    );
  return problems;
}
