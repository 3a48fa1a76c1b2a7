'use strict';
/**
 * Percentiles by nearest rank on a sorted copy. Latency samples here are at most a few hundred
 * thousand numbers, so sorting is cheaper and more exact than a histogram.
 */

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** {count, p50, p90, p99, max, mean} in the unit of the samples (ms everywhere in the bench). */
function summarize(samples) {
  const sorted = Float64Array.from(samples).sort();
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.length ? sorted[sorted.length - 1] : null),
    mean: round(sorted.length ? sum / sorted.length : null),
  };
}

function round(x, digits = 2) {
  if (x === null || x === undefined || !Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** ours / baseline, or null when either side is missing (a failed run must not look like a ratio). */
function ratio(ours, baseline) {
  if (!Number.isFinite(ours) || !Number.isFinite(baseline) || baseline <= 0) return null;
  return round(ours / baseline, 3);
}

module.exports = { percentile, summarize, round, ratio };
