'use strict';
/**
 * 2. Relay: customer → amoCRM. Provider POST /api/v1/messages → (server stores, answers 202,
 * outbox signs and sends) → the emulator accepts new_message. SQLite, empty database.
 * - sustained messages/s end to end (closed loop, `connections` in flight);
 * - p50/p99 end-to-end latency at a fixed offered 200 msg/s (open loop).
 * Baseline: the naive synchronous relay (lib/naive-relay.js: parse, sign, fetch, answer; stores
 * nothing) against the same emulator, same load, same process layout.
 */
const path = require('node:path');
const { sustained, atRate, newPrefix } = require('./lib/relay-load');
const { startChild, freePort, BENCH_TOKEN } = require('./lib/proc');
const { startWorld, dropDatabase } = require('./lib/world');
const { ratio } = require('./lib/stats');

const CONVERSATIONS = 1000;

function params(quick) {
  return {
    count: quick ? 4000 : 20000,
    rounds: quick ? 1 : 2,
    rateCount: quick ? 1000 : 3000, // 5 s / 15 s at 200 msg/s
    warm: quick ? 1500 : 3000,
  };
}

async function startNaive(bench, accounts) {
  const scopes = Object.fromEntries(accounts.map((a) => [a.login, a.scopeId]));
  return startChild({
    name: 'naive-relay',
    script: path.join(__dirname, 'lib', 'naive-relay.js'),
    port: await freePort(),
    env: { AMOJO_BASE_URL: bench.url, AMOJO_CHANNEL_SECRET: bench.secret, PROVIDER_API_TOKEN: BENCH_TOKEN, NAIVE_SCOPES: JSON.stringify(scopes) },
  });
}

module.exports = async function relay(ctx) {
  const { quick, bench, sink, template, log } = ctx;
  const p = params(quick);
  const world = await startWorld({ template, name: 'relay', emulator: bench, sink, cpuProfDir: ctx.cpuProfDir, env: ctx.serverEnv });
  const naive = await startNaive(bench, world.accounts);
  const accountOf = (c) => world.accounts[c % world.accounts.length].login;
  const job = (url, tag, count) => ({
    url,
    bench,
    prefix: newPrefix(tag),
    accountOf,
    conversations: CONVERSATIONS,
    count,
    server: url === world.server.url ? world.server : naive,
  });
  let handedOff = false;
  try {
    await sustained(job(naive.url, 'nw', p.warm));
    await sustained(job(world.server.url, 'ow', p.warm));

    const rounds = [];
    for (let r = 0; r < p.rounds; r += 1) {
      const n = await sustained(job(naive.url, 'ns', p.count));
      const o = await sustained(job(world.server.url, 'os', p.count));
      log(`relay round ${r + 1}: naive ${n.mps} msg/s, ours ${o.mps} msg/s (received ${o.received}/${o.count}, e2e p99 ${o.e2e.p99} ms)`);
      rounds.push({ naive: n, ours: o });
    }
    const pick = (side) => rounds.map((x) => x[side]).reduce((a, b) => ((b.mps ?? -1) > (a.mps ?? -1) ? b : a));
    const ours = pick('ours');
    const naiveBest = pick('naive');

    const oursRate = await atRate({ ...job(world.server.url, 'or', p.rateCount), rate: 200 });
    const naiveRate = await atRate({ ...job(naive.url, 'nr', p.rateCount), rate: 200 });
    if (ctx.handoff) {
      // The memory benchmark continues on this server: its RSS counts these messages too.
      ctx.handoff.relayWorld = { world, relayed: p.warm + p.rounds * p.count + p.rateCount };
      handedOff = true;
    }
    log(`relay at 200 msg/s: ours p50 ${oursRate.e2e.p50} / p99 ${oursRate.e2e.p99} ms, naive p50 ${naiveRate.e2e.p50} / p99 ${naiveRate.e2e.p99} ms`);
    return {
      ours_mps: ours.mps,
      naive_mps: naiveBest.mps,
      ratio: ratio(ours.mps, naiveBest.mps),
      p50_ms_at_200: oursRate.e2e.p50,
      p99_ms_at_200: oursRate.complete ? oursRate.e2e.p99 : null,
      naive_p50_ms_at_200: naiveRate.e2e.p50,
      naive_p99_ms_at_200: naiveRate.e2e.p99,
      messages_per_round: p.count,
      conversations: CONVERSATIONS,
      accounts: world.accounts.length,
      rounds,
      at_200: { ours: oursRate, naive: naiveRate },
    };
  } finally {
    await naive.stop();
    if (!handedOff) {
      await world.server.stop();
      dropDatabase(world.file);
    }
  }
};

module.exports.CONVERSATIONS = CONVERSATIONS;
module.exports.params = params;
