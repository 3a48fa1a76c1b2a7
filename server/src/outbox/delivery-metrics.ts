import type { Metrics } from '../lib/metrics';
import type { OutboxWorker } from './worker';

/**
 * Feeds delivery outcomes and latencies into the metrics. A success that amojo answered with
 * "duplicate msgid" counts as `duplicate`, not `delivered`: it shows how often a crash (or a lease
 * taken over) made us send something twice, which should stay near zero.
 */
export function observeDeliveries(worker: Pick<OutboxWorker, 'onOutcome'>, metrics: Metrics): () => void {
  return worker.onOutcome((entry, outcome, info) => {
    const destination = entry.destination;
    const label = outcome === 'retry' ? 'retried' : outcome === 'delivered' && info?.duplicate ? 'duplicate' : outcome;
    metrics.deliveries.inc({ destination, outcome: label });
    if (info) metrics.deliveryDuration.observe({ destination }, info.durationMs / 1000);
  });
}
