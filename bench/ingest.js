'use strict';
/**
 * 1. Webhook ingest: amojo posts each hook once, waits at most 5 s and never retries, so the
 * server must verify, store and answer fast under load.
 * Ours: signed v2 message hooks (each with a distinct amojo message id, or the server dedups)
 * → POST /amojo/v1/webhook/:scope_id → 200, answering chats created beforehand through the server.
 * Baseline: a bare node:http server that reads the body and answers 200, same bodies, same
 * autocannon settings, same process layout. Rounds alternate bare/ours; the best round of each
 * counts (on a shared machine the best round is the least disturbed one).
 */
const path = require('node:path');
const { runAutocannon, summarizeAutocannon } = require('./lib/load');
const { signedHook } = require('./lib/fixtures');
const { primeChats } = require('./lib/prime');
const { startChild, freePort } = require('./lib/proc');
const { startWorld, dropDatabase } = require('./lib/world');
const { ratio, round } = require('./lib/stats');

const CONNECTIONS = 16;

function hookRequests(pool, baseHeaders) {
  let next = 0;
  return [
    {
      method: 'POST',
      setupRequest(req) {
        const hook = pool[next % pool.length];
        next += 1;
        req.path = hook.path;
        req.body = hook.body;
        req.headers = { ...baseHeaders, 'x-signature': hook.signature };
        return req;
      },
    },
  ];
}

/** `cycles` > 1 only for the bare baseline, which does not dedup: it then runs the whole window. */
async function load(url, pool, seconds, cycles = 1) {
  const result = await runAutocannon(
    {
      url,
      connections: CONNECTIONS,
      pipelining: 1,
      amount: pool.length * cycles,
      requests: hookRequests(pool, { 'content-type': 'application/json', 'user-agent': 'amoCRM amoJo/1.0' }),
    },
    seconds * 1000,
  );
  return summarizeAutocannon(result);
}

module.exports = async function ingest(ctx) {
  const { quick, bench, sink, template, log } = ctx;
  const seconds = quick ? 4 : 8;
  const rounds = quick ? 1 : 2;
  // Enough distinct hooks for the fastest plausible server; autocannon stops at the pool's end.
  const perRound = quick ? 40000 : 80000;

  const bare = await startChild({ name: 'bare-http', script: path.join(__dirname, 'lib', 'bare-server.js'), port: await freePort(), healthPath: '/' });
  const world = await startWorld({ template, name: 'ingest', emulator: bench, sink, cpuProfDir: ctx.cpuProfDir, env: ctx.serverEnv });
  try {
    const prefix = `ing${Date.now().toString(36)}`;
    const chats = await primeChats({ serverUrl: world.server.url, bench, accounts: world.accounts, count: 40, prefix: `${prefix}-p` });
    log(`ingest: ${chats.length} chats primed; signing ${perRound * rounds + 3000} hooks`);
    const pools = [];
    let i = 0;
    const makePool = (n) => Array.from({ length: n }, () => signedHook(i++, { prefix, chats, secret: bench.secret }));
    const warm = makePool(3000);
    for (let r = 0; r < rounds; r += 1) pools.push(makePool(perRound));

    // Warm-up: JIT, connection pools, SQLite page cache. Not measured.
    await load(bare.url, warm, 2, 10);
    await load(world.server.url, warm, 2);

    const bareRuns = [];
    const ourRuns = [];
    for (let r = 0; r < rounds; r += 1) {
      bareRuns.push(await load(bare.url, pools[r], seconds, 10));
      ourRuns.push(await load(world.server.url, pools[r], seconds));
      log(`ingest round ${r + 1}: bare ${round(bareRuns[r].rps, 0)} req/s, ours ${round(ourRuns[r].rps, 0)} req/s (p99 ${ourRuns[r].p99_ms} ms, non-2xx ${ourRuns[r].non2xx})`);
    }
    const best = (runs) => runs.reduce((a, b) => (b.rps > a.rps ? b : a));
    const ours = best(ourRuns);
    const base = best(bareRuns);
    const failed = ourRuns.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0);
    return {
      ours_rps: round(ours.rps, 0),
      baseline_rps: round(base.rps, 0),
      ratio: ratio(ours.rps, base.rps),
      p50_ms: ours.p50_ms,
      p99_ms: ours.p99_ms,
      baseline_p50_ms: base.p50_ms,
      baseline_p99_ms: base.p99_ms,
      connections: CONNECTIONS,
      seconds_per_round: seconds,
      rounds,
      failed_requests: failed,
      status_codes: ours.status,
      runs: { ours: ourRuns.map(slim), baseline: bareRuns.map(slim) },
    };
  } finally {
    await bare.stop();
    await world.server.stop();
    dropDatabase(world.file);
  }
};

const slim = (r) => ({ rps: round(r.rps, 0), p50_ms: r.p50_ms, p99_ms: r.p99_ms, requests: r.requests, non2xx: r.non2xx, errors: r.errors });
