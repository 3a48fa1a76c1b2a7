import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { createServer, type RequestListener, type Server } from 'node:http';
import { createAmojoClient, noRetry } from '@amochan/amojo';
import { buildAppDeps } from './build-deps';
import { loadConfig, type Config } from './config';
import type { AppDeps } from './deps';
import { createRequestListener } from './http/app';
import { createGracefulClose } from './http/graceful-close';
import { ConfigError } from './lib/config-error';
import { createHttpFetch } from './lib/http-fetch';
import { createId } from './lib/ids';
import { createLifecycle } from './lib/lifecycle';
import { createLogger, type Logger } from './lib/logger';
import { createMetrics } from './lib/metrics';
import { observeDeliveries } from './outbox/delivery-metrics';
import { createRelayWorker } from './outbox/relay-worker';
import type { SandboxMode } from './sandbox';
import { createReconciler } from './services/reconciler';
import { createRetentionJob } from './services/retention';
import { createSingleRunner, type LeadJob } from './services/single-runner';
import { createTokenKeeper } from './services/token-keeper';
import { openStore } from './storage/open-store';

/**
 * The composition root: the only module that reads the environment. It opens the store, picks the
 * amojo target (the configured channel or the sandbox's emulator), has build-deps.ts put AppDeps
 * together (the same builder the CLI and the tests use) and starts the worker and the jobs.
 */

export interface RunningServer {
  deps: AppDeps;
  server: Server;
  port: number;
  url: string;
  /** Stops accepting, runs shutdown hooks, closes the store. Idempotent. */
  stop(): Promise<void>;
}

/** Loaded on demand: a production start never loads the sandbox's emulator, templates or twig. */
async function loadSandboxMode(input: Parameters<typeof import('./sandbox').startSandboxMode>[0]): Promise<SandboxMode> {
  const { startSandboxMode } = await import('./sandbox');
  return startSandboxMode(input);
}

export async function startServer(config: Config, logger: Logger = createLogger({ level: config.LOG_LEVEL })): Promise<RunningServer> {
  const lifecycle = createLifecycle();
  const store = openStore(config.DATABASE_URL, {
    poolSize: config.DATABASE_POOL_SIZE,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    // A dropped idle connection (database restart, failover) is expected: the pool reconnects.
    onConnectionError: (err) => logger.warn({ err: err.message }, 'database connection lost; reconnecting on next use'),
  });
  const instanceId = `${hostname()}:${process.pid}:${createId('inst').slice(-6)}`;
  try {
    const sandbox = config.sandbox ? await loadSandboxMode({ config, logger, store, lifecycle }) : null;
    const target = sandbox?.target ?? { baseUrl: config.AMOJO_BASE_URL, channelId: config.AMOJO_CHANNEL_ID!, secret: config.AMOJO_CHANNEL_SECRET! };
    const effectiveConfig: Config = sandbox?.config ?? config;
    const amojoOptions = { baseUrl: target.baseUrl, channelId: target.channelId, secret: target.secret, timeoutMs: config.AMOJO_TIMEOUT_MS };

    const deps = buildAppDeps({
      config: effectiveConfig,
      store,
      logger,
      amojo: createAmojoClient(amojoOptions),
      lifecycle,
      // A registry per app (never prom-client's global one), with process metrics.
      metrics: createMetrics({ outbox: store.outbox, installations: store.installations, defaultMetrics: true }),
    });
    // Work committed by another instance wakes this one's worker too (LISTEN/NOTIFY on PostgreSQL).
    const unlisten = store.onOutboxWork?.(() => deps.outboxSignal.wake());
    if (unlisten) lifecycle.onShutdown('outbox listener', async () => unlisten());
    warnAboutBindings(effectiveConfig, logger);
    await sandbox?.prepare(deps);
    // Built before we listen: from the first live hook on, a chat's messages recovered at start
    // are committed before its later live ones (services/recovery-gate.ts).
    const reconciler =
      config.RECONCILE_INTERVAL_MS > 0
        ? createReconciler({
            store,
            amojo: deps.amojo,
            hooks: deps.services.hooks,
            gate: deps.services.recovery,
            clock: deps.clock,
            logger,
            metrics: deps.metrics,
            lookbackMs: config.RECONCILE_LOOKBACK_MS,
            intervalMs: config.RECONCILE_INTERVAL_MS,
            graceMs: config.RECONCILE_GRACE_MS,
          })
        : null;
    const graceful = createGracefulClose(createRequestListener(deps, sandbox?.http(deps)));
    const server = await listen(graceful.listener, config);
    const port = (server.address() as AddressInfo).port;
    const url = `http://${config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST}:${port}`;
    // Created after listen because in sandbox mode PROVIDER_WEBHOOK_URL defaults to our own demo
    // provider, which needs the port.
    // The outbox owns retries (with backoff, across restarts), so its client never retries inline;
    // its HTTP goes through keep-alive node:http, far cheaper per request than the global fetch.
    const outboxFetch = createHttpFetch();
    const worker = createRelayWorker(
      { ...deps, config: sandbox ? sandbox.workerConfig(effectiveConfig, url) : effectiveConfig },
      { amojo: createAmojoClient({ ...amojoOptions, retry: noRetry, fetch: outboxFetch }), fetch: outboxFetch },
    );
    // Exactly one instance on the database runs each job; another takes over when it dies.
    const leadOnly = (job: string, run: LeadJob) => {
      const runner = createSingleRunner({ leaders: store.shared.leaders, clock: deps.clock, logger, job, holder: instanceId, ttlMs: config.JOB_LEASE_MS, run });
      runner.start();
      return () => runner.stop();
    };
    lifecycle.onShutdown('outbox worker', async () => {
      await worker.stop();
      outboxFetch.destroy();
    });
    observeDeliveries(worker, deps.metrics!);
    sandbox?.attach({ worker, port });
    worker.start();
    // Recovers manager messages whose hook never reached us (first pass at start: hooks sent while
    // we were down), on the one instance that leads the job. Registered after the worker, so it
    // stops first on shutdown.
    if (reconciler) {
      lifecycle.onShutdown('reconciler', leadOnly('reconciler', reconciler));
    }
    // Keeps amoCRM tokens (and so their refresh tokens) alive even when no REST call needs them.
    const amocrm = deps.amocrm;
    if (amocrm && config.AMOCRM_TOKEN_CHECK_INTERVAL_MS > 0) {
      const keeper = createTokenKeeper({
        installations: store.installations,
        tokens: amocrm.tokens,
        clock: deps.clock,
        logger,
        intervalMs: config.AMOCRM_TOKEN_CHECK_INTERVAL_MS,
      });
      // On one instance only: refreshes racing across instances would spend a single-use refresh token twice.
      lifecycle.onShutdown('amoCRM token keeper', leadOnly('amocrm-token-keeper', keeper));
    }
    // Purges done outbox entries and old webhook receipts (first pass a minute after start, then hourly).
    const retention = createRetentionJob({
      store,
      clock: deps.clock,
      logger,
      metrics: deps.metrics,
      doneOutboxDays: config.RETENTION_DONE_OUTBOX_DAYS,
      receiptsDays: config.RETENTION_RECEIPTS_DAYS,
    });
    lifecycle.onShutdown('retention', leadOnly('retention', retention));
    logger.info({ instance: instanceId, port, url, sandbox: config.sandbox, verifier: deps.verifier.kind }, 'listening');
    sandbox?.announce(url);

    let stopping: Promise<void> | null = null;
    const stop = () =>
      (stopping ??= (async () => {
        sandbox?.close();
        await graceful.close(server);
        await lifecycle.shutdown((name, err) => logger.error({ err, hook: name }, 'shutdown hook failed'));
        await store.close();
      })());
    return { deps, server, port, url, stop };
  } catch (err) {
    await lifecycle.shutdown();
    await store.close();
    throw err;
  }
}

/** Said at every start, since it is a choice an operator must keep making knowingly. */
function warnAboutBindings(config: Config, logger: Logger): void {
  if (config.sandbox) return;
  if (config.oauth) {
    logger.info({ oauth: true }, 'OAuth install on: widget connects must name the amojo_id amoCRM reported for their account');
    return;
  }
  logger.warn(
    { oauth: false, allowUnverifiedBindings: true },
    "ALLOW_UNVERIFIED_BINDINGS=true: OAuth install is not configured, so ANY provider login can bind ANY amojo_id (and take over that amoCRM account's chats); " +
      'set AMOCRM_CLIENT_ID, AMOCRM_CLIENT_SECRET, AMOCRM_REDIRECT_URI and TOKEN_ENCRYPTION_KEY to have amoCRM vouch for every binding',
  );
}

function listen(listener: RequestListener, config: Pick<Config, 'PORT' | 'HOST' | 'HTTP_HEADERS_TIMEOUT_MS' | 'HTTP_BODY_TIMEOUT_MS'>): Promise<Server> {
  return new Promise((resolve, reject) => {
    // Node checks these timeouts every connectionsCheckingInterval (30 s by default, which would
    // let a stalled sender hold its socket that much longer); once a second keeps them close to exact.
    const server = createServer(
      {
        headersTimeout: config.HTTP_HEADERS_TIMEOUT_MS,
        requestTimeout: config.HTTP_BODY_TIMEOUT_MS,
        connectionsCheckingInterval: Math.min(1_000, config.HTTP_HEADERS_TIMEOUT_MS),
      },
      listener,
    );
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, () => resolve(server));
  });
}

/** Process entry: config errors exit 1 with every problem listed; SIGTERM/SIGINT drain and exit 0. */
async function run(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger({ level: config.LOG_LEVEL });
  let running: RunningServer;
  try {
    running = await startServer(config, logger);
  } catch (err) {
    logger.fatal({ err }, 'could not start');
    logger.flush();
    process.exit(1);
  }
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal, timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out; exiting anyway');
      logger.flush();
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    // Open keep-alive sockets would hold server.close() until the timeout; drop them once idle.
    setTimeout(() => running.server.closeAllConnections(), Math.max(0, config.SHUTDOWN_TIMEOUT_MS - 1000)).unref();
    running.stop().then(
      () => {
        logger.info('stopped');
        logger.flush();
        process.exit(0);
      },
      (err) => {
        logger.error({ err }, 'shutdown failed');
        logger.flush();
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

if (require.main === module) {
  void run();
}
