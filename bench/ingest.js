'use strict';
/**
 * 1. Webhook ingest: amojo posts each hook once, waits at most 5 s and never retries, so the
 * server must verify, store and answer fast under load.
 * Ours: signed v2 message hooks (each with a distinct amojo message id, or the server dedups)
 * → POST /amojo/v1/webhook/:scope_id → 200, answering chats created beforehand through the server.
 * Baselines, same bodies, same autocannon settings, same process layout:
 * - bare: a node:http server that reads the body and answers 200 (lib/bare-server.js);
 * - durable: a node:http server that checks the signature and commits one row per hook to SQLite
 *   with our durability settings and group commit before its 200 (lib/durable-server.js) — the
 *   least a receiver with our guarantee can do.
 * Rounds alternate bare/durable/ours; the best round of each counts (on a shared machine the best
 * round is the least disturbed one).
 */
const fs = require('node:fs');
const os = require('node:os');
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

/** `cycles` > 1 only for the baselines, which do not dedup: they then run the whole window. */
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
  const durableDir = fs.mkdtempSync(path.join(os.tmpdir(), 'amochan-bench-durable-'));
  const durable = await startChild({
    name: 'durable-http',
    script: path.join(__dirname, 'lib', 'durable-server.js'),
    port: await freePort(),
    healthPath: '/',
    env: { SECRET: bench.secret, DB_FILE: path.join(durableDir, 'hooks.sqlite') },
  });
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
    await load(durable.url, warm, 2, 10);
    await load(world.server.url, warm, 2);

    const bareRuns = [];
    const durableRuns = [];
    const ourRuns = [];
    for (let r = 0; r < rounds; r += 1) {
      bareRuns.push(await load(bare.url, pools[r], seconds, 10));
      durableRuns.push(await load(durable.url, pools[r], seconds, 10));
      ourRuns.push(await load(world.server.url, pools[r], seconds));
      log(
        `ingest round ${r + 1}: bare ${round(bareRuns[r].rps, 0)} req/s, durable ${round(durableRuns[r].rps, 0)} req/s (non-2xx ${durableRuns[r].non2xx}), ` +
          `ours ${round(ourRuns[r].rps, 0)} req/s (p99 ${ourRuns[r].p99_ms} ms, non-2xx ${ourRuns[r].non2xx})`,
      );
    }
    const best = (runs) => runs.reduce((a, b) => (b.rps > a.rps ? b : a));
    const ours = best(ourRuns);
    const base = best(bareRuns);
    const dur = best(durableRuns);
    const failed = ourRuns.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0);
    // A baseline that refused hooks (bad signature, storage) would look fast for the wrong reason.
    const durableFailed = durableRuns.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0);
    if (durableFailed > 0) throw new Error(`the durable baseline failed ${durableFailed} requests: its figure would not be comparable`);
    return {
      ours_rps: round(ours.rps, 0),
      baseline_rps: round(base.rps, 0),
      ratio: ratio(ours.rps, base.rps),
      durable_baseline_rps: round(dur.rps, 0),
      durable_ratio: ratio(ours.rps, dur.rps),
      p50_ms: ours.p50_ms,
      p99_ms: ours.p99_ms,
      baseline_p50_ms: base.p50_ms,
      baseline_p99_ms: base.p99_ms,
      durable_baseline_p50_ms: dur.p50_ms,
      durable_baseline_p99_ms: dur.p99_ms,
      connections: CONNECTIONS,
      seconds_per_round: seconds,
      rounds,
      failed_requests: failed,
      status_codes: ours.status,
      runs: { ours: ourRuns.map(slim), baseline: bareRuns.map(slim), durable_baseline: durableRuns.map(slim) },
    };
  } finally {
    await bare.stop();
    await durable.stop();
    fs.rmSync(durableDir, { recursive: true, force: true });
    await world.server.stop();
    dropDatabase(world.file);
  }
};

const slim = (r) => ({ rps: round(r.rps, 0), p50_ms: r.p50_ms, p99_ms: r.p99_ms, requests: r.requests, non2xx: r.non2xx, errors: r.errors });
