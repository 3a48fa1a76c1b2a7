'use strict';
/** The printed summary: one row per target, fixed columns, plain ASCII so CI logs stay readable. */

const HEADERS = ['benchmark', 'ours', 'baseline', 'ratio', 'target', 'result'];

function fmt(value) {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 2 : 1);
  return String(value);
}

function verdict(pass) {
  if (pass === 'info') return '';
  if (pass === 'missing') return 'MISSING';
  if (pass === 'error') return 'ERROR';
  if (pass === null || pass === undefined) return 'N/A';
  return pass ? 'PASS' : 'MISS';
}

/** rows: [{benchmark, ours, baseline, ratio, target, pass}] where pass is true/false/null (not measured). */
function renderTable(rows) {
  const cells = rows.map((r) => [r.benchmark, fmt(r.ours), fmt(r.baseline), fmt(r.ratio), r.target, verdict(r.pass)]);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) => c.map((v, i) => v.padEnd(widths[i])).join('  ');
  return [line(HEADERS), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

module.exports = { renderTable };
