import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics. Every app gets its own Registry (main.ts creates one and passes it through
 * AppDeps), never prom-client's global default: tests build many apps in one process, and a global
 * registry would make them share — and collide on — the same metric names.
 *
 * Names and labels are part of the operator's contract (docs/operations.md has alert rules on them).
 */

// The outbox's destinations and states, as label values: every series exists from the first scrape.
// Kept here rather than imported so metrics (lib) never depends on storage.
export const DESTINATIONS = ['amojo', 'provider', 'amocrm'] as const;
const STATES = ['pending', 'leased', 'done', 'dead'] as const;

/** Where the outbox depth gauge reads from at scrape time (the outbox repository fits). */
export interface OutboxDepthSource {
  countByState(): Promise<Array<{ destination: string; state: string; count: number }>>;
}

/** Where the installations gauge reads from at scrape time (the installations repository fits). */
export interface InstallationStatusSource {
  list(): Promise<Array<{ status: string }>>;
}
export const INSTALLATION_STATUSES = ['active', 'reauthorization_required', 'uninstalled'] as const;

/** delivered + duplicate = arrived; duplicate = amojo already had the msgid (a send repeated after a crash). */
export type DeliveryOutcomeLabel = 'delivered' | 'retried' | 'dead' | 'duplicate';
export type ReceiptKindLabel = 'message' | 'typing' | 'reaction' | 'unknown';
export type ReceiptResultLabel = 'stored' | 'duplicate' | 'bad_signature' | 'unknown_scope' | 'malformed';

export interface Metrics {
  registry: Registry;
  deliveries: Counter<'destination' | 'outcome'>;
  deliveryDuration: Histogram<'destination'>;
  webhookReceipts: Counter<'kind' | 'result'>;
  httpDuration: Histogram<'route' | 'method' | 'status_class'>;
  reconcilerRecovered: Counter<never>;
  reconcilerRuns: Counter<'result'>;
  reconcilerChats: Counter<'result'>;
  /** Error answers by code (overloaded = backpressure, invalid_signature, …); set by http/error-handler. */
  httpErrors: Counter<'code'>;
  /** Rows deleted by services/retention.ts, by table (outbox_done, webhook_receipts). */
  retentionPurged: Counter<'table'>;
  retentionRuns: Counter<'result'>;
}

export type RetentionTableLabel = 'outbox_done' | 'webhook_receipts';

export interface MetricsOptions {
  /** Outbox depth is read from it at scrape time (countByState is a cheap counters lookup). */
  outbox?: OutboxDepthSource;
  /** amoCRM installations by status, read at scrape time (one row per amoCRM account). */
  installations?: InstallationStatusSource;
  /** Process metrics (CPU, memory, event loop lag, GC): on in main.ts, off in tests. */
  defaultMetrics?: boolean;
  registry?: Registry;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = options.registry ?? new Registry();
  const registers = [registry];
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });

  const outbox = options.outbox;
  new Gauge({
    name: 'amochan_outbox_entries',
    help: 'Outbox entries by destination and state (done entries until purged).',
    labelNames: ['destination', 'state'] as const,
    registers,
    async collect() {
      if (!outbox) return;
      const rows = await outbox.countByState();
      // Every series is written each scrape (zeros included) so alerts see 0, not a vanished series.
      for (const destination of DESTINATIONS) for (const state of STATES) this.set({ destination, state }, 0);
      for (const r of rows) this.set({ destination: r.destination, state: r.state }, r.count);
    },
  });

  const installations = options.installations;
  new Gauge({
    name: 'amochan_amocrm_installations',
    help: 'amoCRM accounts by install status (reauthorization_required: an administrator must install the integration again).',
    labelNames: ['status'] as const,
    registers,
    async collect() {
      if (!installations) return;
      const counts = new Map<string, number>(INSTALLATION_STATUSES.map((s) => [s, 0]));
      for (const i of await installations.list()) counts.set(i.status, (counts.get(i.status) ?? 0) + 1);
      for (const [status, count] of counts) this.set({ status }, count);
    },
  });

  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) => new Counter<L>({ name, help, labelNames, registers });
  const deliveries = counter('amochan_outbox_deliveries_total', 'Delivery attempts by destination and outcome (delivered, retried, dead, duplicate).', [
    'destination',
    'outcome',
  ]);
  for (const destination of DESTINATIONS) for (const outcome of ['delivered', 'retried', 'dead', 'duplicate']) deliveries.inc({ destination, outcome }, 0);
  const webhookReceipts = counter(
    'amochan_webhook_receipts_total',
    'amojo hooks received, by kind and result (stored, duplicate, bad_signature, unknown_scope, malformed).',
    ['kind', 'result'],
  );
  const reconcilerRuns = counter('amochan_reconciler_runs_total', 'Reconciler passes by result (ok, error).', ['result']);
  const reconcilerChats = counter('amochan_reconciler_chats_total', 'Chats whose history the reconciler read, by result (ok, error).', ['result']);
  const retentionPurged = counter('amochan_retention_purged_total', 'Rows deleted by the retention job, by table (outbox_done, webhook_receipts).', ['table']);
  const retentionRuns = counter('amochan_retention_runs_total', 'Retention passes by result (ok, error).', ['result']);
  for (const table of ['outbox_done', 'webhook_receipts']) retentionPurged.inc({ table }, 0);
  for (const result of ['ok', 'error']) {
    reconcilerRuns.inc({ result }, 0);
    reconcilerChats.inc({ result }, 0);
    retentionRuns.inc({ result }, 0);
  }

  return {
    registry,
    deliveries,
    webhookReceipts,
    reconcilerRuns,
    reconcilerChats,
    retentionPurged,
    retentionRuns,
    deliveryDuration: new Histogram({
      name: 'amochan_outbox_delivery_duration_seconds',
      help: 'Time of one delivery attempt (any outcome), by destination.',
      labelNames: ['destination'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    httpDuration: new Histogram({
      name: 'amochan_http_request_duration_seconds',
      help: 'HTTP requests by route pattern, method and status class (2xx, 4xx, 5xx).',
      labelNames: ['route', 'method', 'status_class'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    reconcilerRecovered: counter<never>(
      'amochan_reconciler_recovered_total',
      'Manager messages recovered from chat history because their hook never arrived.',
      [],
    ),
    httpErrors: counter('amochan_http_errors_total', 'Error answers by code (e.g. overloaded = refused by backpressure).', ['code']),
  };
}

/** Seconds since `startNs` (process.hrtime.bigint()). */
export const secondsSince = (startNs: bigint): number => Number(process.hrtime.bigint() - startNs) / 1e9;
