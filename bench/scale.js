'use strict';
/**
 * 3. Scale: the relay figure again with 10,000 connected accounts and 1,000,000 stored messages
 * (--quick: 1,000 / 100,000). Two servers run side by side, one on an empty database and one on
 * the seeded one, and sustained rounds alternate between them so both see the same machine.
 * The seeded server's traffic is spread over 1,000 of the seeded accounts (conversation c →
 * account c·7919 mod N), the empty server's over its live accounts: same conversations, same
 * messages, so the ratio isolates what the big tables and many bindings cost. Both servers keep
 * running between rounds, and the order within a round alternates.
 */
const { sustained, atRate, newPrefix } = require('./lib/relay-load');
const { startWorld, dropDatabase } = require('./lib/world');
const { seedDatabase, connectEmulator, seededLogin } = require('./lib/seed');
const { ratio } = require('./lib/stats');
const { CONVERSATIONS, params } = require('./relay');

module.exports = async function scale(ctx) {
  const { quick, bench, sink, template, log } = ctx;
  const size = quick ? { accounts: 1000, messages: 100000 } : { accounts: 10000, messages: 1000000 };
  const p = params(quick);
  let seedInfo = null;
  const seededWorld = await startWorld({
    template,
    name: 'scale',
    emulator: bench,
    sink,
    cpuProfDir: ctx.cpuProfDir,
    env: ctx.serverEnv,
    prepare: async (file) => {
      seedInfo = seedDatabase(file, { channelId: bench.channelId, ...size });
      log(
        `scale: seeded ${size.accounts} accounts, ${seedInfo.messages} messages, ${seedInfo.conversations} conversations in ${seedInfo.seconds.toFixed(1)} s`,
      );
      const t = Date.now();
      await connectEmulator(bench, seedInfo.accounts);
      log(`scale: ${size.accounts} accounts connected in the emulator in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    },
  });
  const emptyWorld = await startWorld({ template, name: 'scale-empty', emulator: bench, sink, env: ctx.serverEnv });
  const seededOf = (c) => seededLogin((c * 7919) % size.accounts);
  const liveOf = (c) => emptyWorld.accounts[c % emptyWorld.accounts.length].login;
  const job = (world, accountOf, tag, count) => ({
    url: world.server.url,
    bench,
    prefix: newPrefix(tag),
    accountOf,
    conversations: CONVERSATIONS,
    count,
    server: world.server,
  });
  try {
    await sustained(job(emptyWorld, liveOf, 'ew', p.warm));
    await sustained(job(seededWorld, seededOf, 'sw', p.warm));
    const rounds = [];
    for (let r = 0; r < p.rounds; r += 1) {
      // Alternate which side goes first, so neither always gets the calmer half of a round.
      let empty;
      let seeded;
      if (r % 2 === 0) {
        empty = await sustained(job(emptyWorld, liveOf, 'es', p.count));
        seeded = await sustained(job(seededWorld, seededOf, 'ss', p.count));
      } else {
        seeded = await sustained(job(seededWorld, seededOf, 'ss', p.count));
        empty = await sustained(job(emptyWorld, liveOf, 'es', p.count));
      }
      log(`scale round ${r + 1}: empty ${empty.mps} msg/s, seeded ${seeded.mps} msg/s (received ${seeded.received}/${seeded.count})`);
      rounds.push({ empty, seeded });
    }
    const best = (side) => rounds.map((x) => x[side]).reduce((a, b) => ((b.mps ?? -1) > (a.mps ?? -1) ? b : a));
    // Latency on the big database too (full run only: --quick keeps under its 3 minutes).
    const seededRate = quick ? null : await atRate({ ...job(seededWorld, seededOf, 'sr', p.rateCount), rate: 200 });
    if (seededRate) log(`scale at 200 msg/s (seeded): p50 ${seededRate.e2e.p50} / p99 ${seededRate.e2e.p99} ms`);
    return {
      ratio: ratio(best('seeded').mps, best('empty').mps),
      seeded_mps: best('seeded').mps,
      empty_mps: best('empty').mps,
      seeded_p99_ms_at_200: seededRate && seededRate.complete ? seededRate.e2e.p99 : null,
      accounts: size.accounts,
      stored_messages: seedInfo.messages,
      conversations_seeded: seedInfo.conversations,
      receipts_seeded: seedInfo.receipts,
      done_outbox_seeded: seedInfo.outbox_done,
      seed_seconds: seedInfo.seconds,
      reduced: quick,
      rounds,
    };
  } finally {
    await emptyWorld.server.stop();
    await seededWorld.server.stop();
    dropDatabase(emptyWorld.file);
    dropDatabase(seededWorld.file);
  }
};
