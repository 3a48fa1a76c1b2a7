'use strict';
/**
 * Load generation. autocannon drives the closed-loop runs (ingest, sustained relay); a small
 * open-loop timer drives the fixed-rate latency run, because end-to-end latency needs the exact
 * moment each POST left and autocannon's rate limiter does not expose it.
 * Every loop is bounded twice: by a request count and by a wall-clock deadline.
 */
const http = require('node:http');
const { performance } = require('node:perf_hooks');
const autocannon = require('autocannon');

/**
 * autocannon with a hard deadline: `amount` makes autocannon ignore `duration`, so a stalled
 * server would otherwise hang the run. Resolves with autocannon's result plus `elapsedMs`, measured
 * here from start to the last response: autocannon's own `duration` is taken at its next sampling
 * tick after the end, which inflates short runs by up to a tick.
 */
function runAutocannon(opts, maxMs) {
  return new Promise((resolve, reject) => {
    let timer = null;
    let started = null;
    let lastResponse = null;
    const instance = autocannon({ sampleInt: 100, ...opts, renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false }, (err, result) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve({ ...result, elapsedMs: started !== null && lastResponse !== null ? lastResponse - started : result.duration * 1000 });
    });
    instance.on('start', () => {
      started = performance.now();
    });
    instance.on('response', () => {
      lastResponse = performance.now();
    });
    timer = setTimeout(() => instance.stop(), maxMs);
  });
}

/** Compact view of an autocannon result: what the tables and results.json need. */
function summarizeAutocannon(r) {
  const total = r.requests.total;
  const seconds = r.elapsedMs / 1000;
  return {
    requests: total,
    duration_s: Math.round(seconds * 1000) / 1000,
    rps: total / seconds,
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    status: r.statusCodeStats,
  };
}

/**
 * Sends `count` POSTs at `rate`/s, open loop (a slow answer never delays the next send), on a
 * keep-alive agent. onSent(i, t) gets the monotonic time each request was handed to the socket
 * layer. Resolves when every answer came back or deadlineMs passed; returns status counts.
 */
function fixedRate({ url, path, headers, body, rate, count, onSent, deadlineMs, maxSockets = 64 }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const target = new URL(url);
  const interval = 1000 / rate;
  const statuses = {};
  let answered = 0;
  let sent = 0;
  return new Promise((resolve) => {
    const t0 = performance.now();
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(deadline);
      agent.destroy();
      resolve({ sent, answered, statuses, elapsed_s: (performance.now() - t0) / 1000 });
    };
    const deadline = setTimeout(finish, deadlineMs);
    const fire = (i) => {
      const payload = body(i);
      const req = http.request(
        {
          host: target.hostname,
          port: target.port,
          path,
          method: 'POST',
          agent,
          headers: { ...headers, 'Content-Length': Buffer.byteLength(payload) },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            statuses[res.statusCode] = (statuses[res.statusCode] || 0) + 1;
            answered += 1;
            if (answered === count) finish();
          });
        },
      );
      req.on('error', () => {
        statuses.error = (statuses.error || 0) + 1;
        answered += 1;
        if (answered === count) finish();
      });
      onSent(i, performance.now());
      req.end(payload);
      sent += 1;
    };
    const tick = () => {
      if (finished) return;
      const now = performance.now();
      while (sent < count && t0 + sent * interval <= now) fire(sent);
      if (sent < count) setTimeout(tick, Math.max(0, t0 + sent * interval - performance.now()));
    };
    tick();
  });
}

module.exports = { runAutocannon, summarizeAutocannon, fixedRate };
