/** Reading GET /metrics in tests: the text format, and single samples. */

/** Minimal check of the Prometheus text exposition format (0.0.4). */
export function assertPrometheusText(text: string): void {
  const sample = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? (-?[0-9.]+(e[+-]?[0-9]+)?|[Nn]a[Nn]|[+-]Inf)( -?[0-9]+)?$/;
  // (prom-client prints NaN as "Nan"; Prometheus parses floats case-insensitively, as Go does.)
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    if (!sample.test(line)) throw new Error(`not a Prometheus sample line: ${line}`);
  }
}

/** The value of one sample, e.g. metricValue(text, 'amochan_x_total', {kind: 'message'}). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([^{ ]+)(\{(.*)\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[3] ?? '').matchAll(/([a-zA-Z_]+)="((?:\\.|[^"\\])*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[4]);
  }
  return undefined;
}
