'use strict';
/**
 * 6. PostgreSQL: the relay of bench 2 on a PostgreSQL database, in the same run as the same relay
 * on SQLite, and then on two instances sharing that database.
 * - relay_mps: sustained msg/s end to end, one instance on PostgreSQL;
 * - relay_ratio: that ÷ the same load on SQLite (measured here, back to back);
 * - instances2_ratio: two instances on one database (load split over both) ÷ one instance;
 * - p99_ms_at_200: end-to-end p99 at an offered 200 msg/s, one instance on PostgreSQL.
 * The database: BENCH_DATABASE_URL, else TEST_DATABASE_URL, else the local server
 * (postgres://postgres@127.0.0.1:5432/postgres); a fresh database is created and dropped.
 */
const crypto = require('node:crypto');
const { performance } = require('node:perf_hooks');
const { sustained, atRate, newPrefix } = require('./lib/relay-load');
const { runAutocannon, summarizeAutocannon } = require('./lib/load');
const { providerMessage } = require('./lib/fixtures');
const { startServer, runCli, BENCH_TOKEN } = require('./lib/proc');
const { startWorld, dropDatabase, postJson, LIVE_PASSWORD } = require('./lib/world');
const { SERVER_DIR } = require('./lib/paths');
const { ratio, round, summarize } = require('./lib/stats');
const { cpuReading, perMessage } = require('./lib/cpu');

const pg = require(require.resolve('pg', { paths: [SERVER_DIR] }));
const CONVERSATIONS = 1000;
const POOL_SIZE = 10;

function params(quick) {
  return { count: quick ? 4000 : 20000, rateCount: quick ? 1000 : 3000, warm: quick ? 1500 : 3000 };
}

const adminUrl = () => process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

async function admin(sql) {
  const c = new pg.Client({ connectionString: adminUrl(), connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

async function createDatabase() {
  const name = `amochan_bench_${crypto.randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const u = new URL(adminUrl());
  u.pathname = `/${name}`;
  return { url: u.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

async function connectLive(url, logins) {
  const accounts = [];
  for (const login of logins) {
    const res = await postJson(`${url}/widget/v1/connect`, { login, password: LIVE_PASSWORD, amojo_id: crypto.randomUUID() });
    if (res.status !== 200) throw new Error(`connect ${login} → ${res.status} ${res.text}`);
    accounts.push({ login, scopeId: res.json.scope_id });
  }
  return accounts;
}

const HEADERS = { authorization: `Bearer ${BENCH_TOKEN}`, 'content-type': 'application/json' };

/** sustained() over several servers at once: one msgid sequence, the connections split between them. */
async function sustainedSpread({ urls, bench, prefix, accountOf, count, connections = 32, maxSeconds = 120 }) {
  const tracker = bench.track(prefix);
  let next = 0;
  const per = Math.ceil(count / urls.length);
  const runs = urls.map((url, k) => {
    const amount = Math.min(per, count - k * per);
    const requests = [
      {
        method: 'POST',
        path: '/api/v1/messages',
        setupRequest(req) {
          const i = next;
          next += 1;
          req.body = providerMessage(i, { prefix, conversations: CONVERSATIONS, accountOf });
          req.headers = HEADERS;
          tracker.sentAt(`${prefix}-${i}`, performance.now());
          return req;
        },
      },
    ];
    return runAutocannon({ url, connections: Math.max(1, Math.floor(connections / urls.length)), pipelining: 1, amount, requests }, maxSeconds * 1000).then(
      summarizeAutocannon,
    );
  });
  const posted = await Promise.all(runs);
  const all = await tracker.waitAll(count, maxSeconds * 1000);
  bench.untrack();
  const elapsed = (tracker.lastReceived - tracker.firstSent) / 1000;
  return {
    count,
    received: tracker.count,
    complete: all,
    mps: all ? round(count / elapsed, 0) : null,
    post_failures: posted.reduce((n, p) => n + p.non2xx + p.errors + p.timeouts, 0),
    e2e: summarize(tracker.latencies()),
  };
}

module.exports = async function postgres(ctx) {
  const { quick, bench, sink, template, log } = ctx;
  const p = params(quick);
  const db = await createDatabase();
  const servers = [];
  try {
    for (const login of template.logins) runCli(['accounts', 'add', login], { databaseUrl: db.url, input: `${LIVE_PASSWORD}\n` });
    const env = { ...ctx.serverEnv, DATABASE_POOL_SIZE: String(POOL_SIZE) };
    const start = async (label) => {
      const s = await startServer({ emulator: bench, databaseUrl: db.url, providerWebhookUrl: sink.url, cpuProfDir: ctx.cpuProfDir, label, env });
      servers.push(s);
      return s;
    };
    const first = await start('postgres-1');
    const accounts = await connectLive(first.url, template.logins);
    const accountOf = (c) => accounts[c % accounts.length].login;
    const job = (server, tag, count) => ({ url: server.url, bench, prefix: newPrefix(tag), accountOf, conversations: CONVERSATIONS, count, server });

    // SQLite, the same load, right before: the ratio compares like with like on this machine now.
    const sqlite = await startWorld({ template, name: 'postgres-vs-sqlite', emulator: bench, sink, cpuProfDir: ctx.cpuProfDir, env: ctx.serverEnv });
    let sqliteRun;
    try {
      const sqliteAccountOf = (c) => sqlite.accounts[c % sqlite.accounts.length].login;
      const sqliteJob = (tag, count) => ({
        url: sqlite.server.url,
        bench,
        prefix: newPrefix(tag),
        accountOf: sqliteAccountOf,
        conversations: CONVERSATIONS,
        count,
        server: sqlite.server,
      });
      await sustained(sqliteJob('sw', p.warm));
      sqliteRun = await sustained(sqliteJob('ss', p.count));
    } finally {
      await sqlite.server.stop();
      dropDatabase(sqlite.file);
    }
    log(`postgres: sqlite relay ${sqliteRun.mps} msg/s`);

    await sustained(job(first, 'pw', p.warm));
    const oneBefore = cpuReading([first.pid]);
    const one = await sustained(job(first, 'p1', p.count));
    const oneCost = perMessage(oneBefore, cpuReading([first.pid]), p.count);
    log(`postgres: one instance ${one.mps} msg/s (e2e p99 ${one.e2e.p99} ms)`);
    const rate = await atRate({ ...job(first, 'pr', p.rateCount), rate: 200 });
    log(`postgres at 200 msg/s: p50 ${rate.e2e.p50} / p99 ${rate.e2e.p99} ms`);

    const second = await start('postgres-2');
    // The same load on the first instance alone while the second runs beside it (its worker
    // claiming, listening, standing for the jobs): what the coordination itself costs, apart from
    // splitting the load over two processes on the same cores.
    const withPeer = await sustained(job(first, 'pc', p.count));
    log(`postgres: one instance loaded, a second running beside it: ${withPeer.mps} msg/s`);
    await sustainedSpread({ urls: [first.url, second.url], bench, prefix: newPrefix('p2w'), accountOf, count: p.warm });
    const twoBefore = cpuReading([first.pid, second.pid]);
    const two = await sustainedSpread({ urls: [first.url, second.url], bench, prefix: newPrefix('p2'), accountOf, count: p.count });
    const twoCost = perMessage(twoBefore, cpuReading([first.pid, second.pid]), p.count);
    log(`postgres: CPU per message, one instance ${JSON.stringify(oneCost)}, two ${JSON.stringify(twoCost)}`);
    log(`postgres: two instances ${two.mps} msg/s (e2e p99 ${two.e2e.p99} ms)`);

    return {
      relay_mps: one.mps,
      sqlite_relay_mps: sqliteRun.mps,
      relay_ratio: ratio(one.mps, sqliteRun.mps),
      instances2_mps: two.mps,
      instances2_ratio: ratio(two.mps, one.mps),
      with_peer_mps: withPeer.mps,
      coordination_ratio: ratio(withPeer.mps, one.mps),
      p50_ms_at_200: rate.e2e.p50,
      p99_ms_at_200: rate.complete ? rate.e2e.p99 : null,
      pool_size: POOL_SIZE,
      // What a message cost in CPU with one instance and with two (bench/lib/cpu.js): the figures that
      // say where instances2_ratio goes on a machine whose cores the instances share.
      cost_per_message: { one: oneCost, two: twoCost },
      messages_per_run: p.count,
      conversations: CONVERSATIONS,
      runs: { sqlite: sqliteRun, one, with_peer: withPeer, two, at_200: rate },
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await db.drop().catch(() => undefined);
  }
};
