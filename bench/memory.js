'use strict';
/**
 * 5. Memory: the server's resident set (VmRSS of the child, from /proc) after relaying 100,000
 * messages (20,000 with --quick). It continues on the relay benchmark's server when that ran
 * (those messages count), else on a fresh one. RSS is read after the outbox drained
 * and a short settle, so it is what the process keeps, not a transient peak; the peak (VmHWM) is
 * reported beside it. The database's page cache is part of RSS: that is what an operator pays.
 */
const { sustained, newPrefix } = require('./lib/relay-load');
const { startWorld, dropDatabase } = require('./lib/world');
const { sleep } = require('./lib/proc');
const { round } = require('./lib/stats');
const { CONVERSATIONS } = require('./relay');

module.exports = async function memory(ctx) {
  const { quick, bench, sink, template, log } = ctx;
  const total = quick ? 20000 : 100000;
  const inherited = ctx.handoff && ctx.handoff.relayWorld;
  if (inherited) ctx.handoff.relayWorld = null;
  const world = inherited ? inherited.world : await startWorld({ template, name: 'memory', emulator: bench, sink, env: ctx.serverEnv });
  const accountOf = (c) => world.accounts[c % world.accounts.length].login;
  try {
    const atStart = world.server.rss();
    // In batches, so the bench's own bookkeeping stays small between them.
    const batch = 20000;
    let relayed = inherited ? inherited.relayed : 0;
    const before = relayed;
    let elapsed = 0;
    while (relayed < total) {
      const count = Math.min(batch, total - relayed);
      const r = await sustained({
        url: world.server.url,
        bench,
        prefix: newPrefix('mem'),
        accountOf,
        conversations: CONVERSATIONS,
        count,
        maxSeconds: 180,
        server: world.server,
      });
      if (!r.complete) throw new Error(`memory: only ${r.received}/${count} messages reached the emulator`);
      relayed += count;
      elapsed += r.elapsed_s;
      log(`memory: ${relayed}/${total} relayed, server RSS ${round(world.server.rss().rssMb, 1)} MB`);
    }
    await sleep(2000);
    const end = world.server.rss();
    return {
      rss_mb: round(end.rssMb, 1),
      peak_rss_mb: round(end.hwmMb, 1),
      start_rss_mb: round(atStart.rssMb, 1),
      messages: relayed,
      continued_from_relay: inherited ? before : 0,
      relay_mps: elapsed > 0 ? round((relayed - before) / elapsed, 0) : null,
    };
  } finally {
    await world.server.stop();
    dropDatabase(world.file);
  }
};
