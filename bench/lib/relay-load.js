'use strict';
/**
 * Relay measurements shared by the relay, scale and memory benchmarks. A relay "target" is any
 * HTTP server that accepts POST /api/v1/messages and makes new_message reach the emulator: ours
 * (which answers 202 first and delivers from its outbox) or the naive synchronous relay.
 * End to end = from the moment a POST leaves the bench until the emulator has accepted that msgid.
 */
const { performance } = require('node:perf_hooks');
const { fixedRate, runAutocannon, summarizeAutocannon } = require('./load');
const { providerMessage } = require('./fixtures');
const { BENCH_TOKEN } = require('./proc');
const { summarize, round } = require('./stats');

const HEADERS = { authorization: `Bearer ${BENCH_TOKEN}`, 'content-type': 'application/json' };

/**
 * Closed loop: autocannon posts `count` messages over `connections`; throughput = count / (last
 * arrival at the emulator − first POST). Bounded by maxSeconds for the posting and the draining each.
 */
async function sustained({ url, bench, prefix, accountOf, conversations, count, connections = 32, maxSeconds = 120, server = null }) {
  const tracker = bench.track(prefix);
  let next = 0;
  const requests = [
    {
      method: 'POST',
      path: '/api/v1/messages',
      setupRequest(req) {
        const i = next;
        next += 1;
        req.body = providerMessage(i, { prefix, conversations, accountOf });
        req.headers = HEADERS;
        tracker.sentAt(`${prefix}-${i}`, performance.now());
        return req;
      },
    },
  ];
  const posted = summarizeAutocannon(await runAutocannon({ url, connections, pipelining: 1, amount: count, requests }, maxSeconds * 1000));
  const all = await waitOrDie(tracker, count, maxSeconds * 1000, server);
  bench.untrack();
  const elapsed = (tracker.lastReceived - tracker.firstSent) / 1000;
  return {
    count,
    received: tracker.count,
    complete: all,
    elapsed_s: round(elapsed, 3),
    mps: all ? round(count / elapsed, 0) : null,
    accepted_rps: round(posted.rps, 0),
    post_p99_ms: posted.p99_ms,
    post_failures: posted.non2xx + posted.errors + posted.timeouts,
    e2e: summarize(tracker.latencies()),
  };
}

/** Open loop at a fixed offered rate: end-to-end latency percentiles of every message. */
async function atRate({ url, bench, prefix, accountOf, conversations, rate, count, server = null }) {
  const tracker = bench.track(prefix);
  const sent = await fixedRate({
    url,
    path: '/api/v1/messages',
    headers: HEADERS,
    body: (i) => providerMessage(i, { prefix, conversations, accountOf }),
    rate,
    count,
    onSent: (i, t) => tracker.sentAt(`${prefix}-${i}`, t),
    deadlineMs: (count / rate) * 1000 + 30000,
  });
  const all = await waitOrDie(tracker, count, 30000, server);
  bench.untrack();
  return { rate, count, received: tracker.count, complete: all, statuses: sent.statuses, e2e: summarize(tracker.latencies()) };
}

/**
 * waitAll, but a server that dies meanwhile fails the measurement at once, with its last output,
 * instead of leaving the bench waiting out its deadline.
 */
async function waitOrDie(tracker, count, ms, server) {
  if (!server) return tracker.waitAll(count, ms);
  const died = server.exited.then(({ code, signal }) => {
    throw new Error(`${server.name} exited (code ${code}, signal ${signal}) during the run\n--- output tail ---\n${server.output()}`);
  });
  return Promise.race([tracker.waitAll(count, ms), died]);
}

let seq = 0;
/** A fresh msgid/conversation prefix per measurement: ids never collide across runs or phases. */
const newPrefix = (tag) => `${tag}${Date.now().toString(36)}x${(seq += 1)}`;

module.exports = { sustained, atRate, newPrefix };
