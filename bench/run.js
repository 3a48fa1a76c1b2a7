#!/usr/bin/env node
'use strict';
/**
 * amochan benchmarks: `npm run bench` (everything), `npm run bench -- --quick` (< 3 min),
 * `--only=ingest,relay,scale,widget,memory,postgres`, `--profile` (CPU profiles of the server children in
 * bench/profiles/). Prints a table and writes bench/results.json.
 *
 * Every figure is a ratio against a baseline measured in the same run, on the same machine, with
 * the same load generator: absolute numbers on shared machines are noise, ratios are not.
 * Everything listens on 127.0.0.1; every load loop is bounded in count and in time.
 */
const fs = require('node:fs');
const os = require('node:os');
const { startBenchEmulator } = require('./lib/emulator');
const { createTemplate, startSink } = require('./lib/world');
const { renderTable } = require('./lib/table');
const { RESULTS, PROFILES, SERVER_MAIN } = require('./lib/paths');

// memory right after relay: it continues on the relay server (see memory.js).
const BENCHES = ['widget', 'ingest', 'relay', 'memory', 'scale', 'postgres'];
const LIVE_ACCOUNTS = 4;
const WIDGET_MAX_BYTES = 15 * 1024;

function parseArgs(argv) {
  const opts = { quick: false, only: BENCHES, profile: false };
  for (const arg of argv) {
    if (arg === '--quick') opts.quick = true;
    else if (arg === '--profile') opts.profile = true;
    else if (arg.startsWith('--only=')) {
      opts.only = arg
        .slice(7)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const unknown = opts.only.filter((b) => !BENCHES.includes(b));
      if (unknown.length) usage(`unknown benchmark ${unknown.join(', ')}`);
    } else if (arg === '--help' || arg === '-h') usage();
    else usage(`unknown option ${arg}`);
  }
  return opts;
}

function usage(problem) {
  if (problem) console.error(`error: ${problem}`);
  console.error(`usage: node bench/run.js [--quick] [--only=${BENCHES.join(',')}] [--profile]`);
  process.exit(problem ? 2 : 0);
}

const log = (line) => console.log(`  · ${line}`);

/** The performance targets the bench holds us to (README), evaluated on the results (null pass = not measured / missing). */
function evaluate(r) {
  const has = (x) => x !== null && x !== undefined && !(typeof x === 'number' && Number.isNaN(x));
  const check = (value, ok) => (has(value) ? ok(value) : false);
  const t = {};
  if (r.ingest) {
    t.ingest_ratio = { target: 'ours/bare ≥ 0.5', value: r.ingest.ratio, pass: check(r.ingest.ratio, (v) => v >= 0.5) };
    t.ingest_durable_ratio = { target: 'ours/durable ≥ 0.5', value: r.ingest.durable_ratio, pass: check(r.ingest.durable_ratio, (v) => v >= 0.5) };
  }
  if (r.relay) {
    t.relay_mps = { target: '≥ 1000 msg/s end to end', value: r.relay.ours_mps, pass: check(r.relay.ours_mps, (v) => v >= 1000) };
    t.relay_ratio = { target: 'ours/naive ≥ 0.8', value: r.relay.ratio, pass: check(r.relay.ratio, (v) => v >= 0.8) };
    t.relay_p99_at_200 = { target: 'p99 < 50 ms at 200 msg/s', value: r.relay.p99_ms_at_200, pass: check(r.relay.p99_ms_at_200, (v) => v < 50) };
  }
  if (r.scale) t.scale_ratio = { target: 'seeded/empty ≥ 0.8', value: r.scale.ratio, pass: check(r.scale.ratio, (v) => v >= 0.8) };
  if (r.widget) {
    t.widget_gzip = {
      target: `≤ 15 KB gzip (${WIDGET_MAX_BYTES} B)`,
      value: r.widget.gzip_bytes,
      pass: r.widget.missing ? null : check(r.widget.gzip_bytes, (v) => v <= WIDGET_MAX_BYTES),
    };
  }
  if (r.postgres) {
    t.postgres_relay_ratio = { target: 'PostgreSQL/SQLite relay ≥ 0.6', value: r.postgres.relay_ratio, pass: check(r.postgres.relay_ratio, (v) => v >= 0.6) };
    t.postgres_instances2_ratio = {
      target: '2 instances/1 ≥ 1.0',
      value: r.postgres.instances2_ratio,
      pass: check(r.postgres.instances2_ratio, (v) => v >= 1.0),
    };
    t.postgres_p99_at_200 = {
      target: 'p99 < 50 ms at 200 msg/s on PostgreSQL',
      value: r.postgres.p99_ms_at_200,
      pass: check(r.postgres.p99_ms_at_200, (v) => v < 50),
    };
  }
  if (r.memory) t.memory_rss = { target: '≤ 250 MB RSS', value: r.memory.rss_mb, pass: check(r.memory.rss_mb, (v) => v <= 250) };
  return t;
}

function tableRows(all, t, quick) {
  const rows = [];
  // An errored benchmark gets one ERROR row (below), not rows of dashes.
  const r = Object.fromEntries(Object.entries(all).filter(([, v]) => v && !v.error));
  const pass = (k) => (t[k] ? t[k].pass : null);
  if (r.ingest) {
    rows.push({
      benchmark: 'ingest webhooks (req/s)',
      ours: r.ingest.ours_rps,
      baseline: r.ingest.baseline_rps,
      ratio: r.ingest.ratio,
      target: '≥ 0.5× bare http',
      pass: pass('ingest_ratio'),
    });
    rows.push({
      benchmark: 'ingest vs durable intake',
      ours: r.ingest.ours_rps,
      baseline: r.ingest.durable_baseline_rps,
      ratio: r.ingest.durable_ratio,
      target: '≥ 0.5× durable',
      pass: pass('ingest_durable_ratio'),
    });
    rows.push({
      benchmark: 'ingest p50 / p99 (ms)',
      ours: pair(r.ingest.p50_ms, r.ingest.p99_ms),
      baseline: pair(r.ingest.baseline_p50_ms, r.ingest.baseline_p99_ms),
      ratio: null,
      target: 'info',
      pass: 'info',
    });
  }
  if (r.relay) {
    rows.push({
      benchmark: 'relay end to end (msg/s)',
      ours: r.relay.ours_mps,
      baseline: r.relay.naive_mps,
      ratio: r.relay.ratio,
      target: '≥ 1000 msg/s',
      pass: pass('relay_mps'),
    });
    rows.push({
      benchmark: 'relay vs naive relay',
      ours: r.relay.ours_mps,
      baseline: r.relay.naive_mps,
      ratio: r.relay.ratio,
      target: '≥ 0.8× naive',
      pass: pass('relay_ratio'),
    });
    rows.push({
      benchmark: 'relay p99 @200 msg/s (ms)',
      ours: r.relay.p99_ms_at_200,
      baseline: r.relay.naive_p99_ms_at_200,
      ratio: null,
      target: '< 50 ms',
      pass: pass('relay_p99_at_200'),
    });
  }
  if (r.scale) {
    const size = r.scale.accounts ? `${r.scale.accounts / 1000}k acc/${r.scale.stored_messages / 1000}k msg` : '';
    rows.push({
      benchmark: `scale ${size} (msg/s)`,
      ours: r.scale.seeded_mps,
      baseline: r.scale.empty_mps,
      ratio: r.scale.ratio,
      target: '≥ 0.8× empty DB',
      pass: pass('scale_ratio'),
    });
  }
  if (r.widget) {
    rows.push({
      benchmark: 'widget script.js gzip (B)',
      ours: r.widget.missing ? 'missing' : r.widget.gzip_bytes,
      baseline: null,
      ratio: null,
      target: '≤ 15 KB',
      pass: r.widget.missing ? 'missing' : pass('widget_gzip'),
    });
  }
  if (r.memory) {
    rows.push({
      benchmark: `memory RSS after ${r.memory.messages ? r.memory.messages / 1000 + 'k' : '?'} msgs (MB)`,
      ours: r.memory.rss_mb,
      baseline: null,
      ratio: null,
      target: '≤ 250 MB',
      pass: pass('memory_rss'),
    });
  }
  if (r.postgres) {
    rows.push({
      benchmark: 'relay on PostgreSQL (msg/s)',
      ours: r.postgres.relay_mps,
      baseline: r.postgres.sqlite_relay_mps,
      ratio: r.postgres.relay_ratio,
      target: '≥ 0.6× SQLite',
      pass: pass('postgres_relay_ratio'),
    });
    rows.push({
      benchmark: '2 instances on one PostgreSQL (msg/s)',
      ours: r.postgres.instances2_mps,
      baseline: r.postgres.relay_mps,
      ratio: r.postgres.instances2_ratio,
      target: '≥ 1.0× one instance',
      pass: pass('postgres_instances2_ratio'),
    });
    rows.push({
      benchmark: '1 of 2 instances loaded (msg/s)',
      ours: r.postgres.with_peer_mps,
      baseline: r.postgres.relay_mps,
      ratio: r.postgres.coordination_ratio,
      target: 'info: coordination cost',
      pass: 'info',
    });
    rows.push({
      benchmark: 'PostgreSQL p99 @200 msg/s (ms)',
      ours: r.postgres.p99_ms_at_200,
      baseline: null,
      ratio: null,
      target: '< 50 ms',
      pass: pass('postgres_p99_at_200'),
    });
  }
  for (const [name, res] of Object.entries(all))
    if (res && res.error) rows.push({ benchmark: name, ours: null, baseline: null, ratio: null, target: res.error.split('\n')[0].slice(0, 70), pass: 'error' });
  if (quick) rows.push({ benchmark: '(--quick: reduced sizes)', ours: null, baseline: null, ratio: null, target: '', pass: 'info' });
  return rows;
}

/** BENCH_SERVER_X=v in the bench's environment becomes X=v for every server child (experiments: OUTBOX_CONCURRENCY...). */
function serverEnvOverrides() {
  const out = {};
  for (const [k, v] of Object.entries(process.env)) if (k.startsWith('BENCH_SERVER_')) out[k.slice('BENCH_SERVER_'.length)] = v;
  if (Object.keys(out).length) console.log(`server env overrides: ${JSON.stringify(out)}`);
  return out;
}

const pair = (a, b) => (a === null || a === undefined ? null : `${a} / ${b}`);

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const machine = {
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model ?? null,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadavg_start: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
  console.log(
    `amochan bench${opts.quick ? ' --quick' : ''}: ${opts.only.join(', ')} on ${machine.cpus} cpus, node ${machine.node}, load ${machine.loadavg_start.join(' ')}`,
  );

  const needsServer = opts.only.some((b) => b !== 'widget');
  const results = {};
  let ctx = null;
  if (needsServer) {
    try {
      if (!fs.existsSync(SERVER_MAIN)) throw new Error('server/dist/main.js is missing: build the server (pnpm --filter @amochan/server build)');
      const bench = await startBenchEmulator();
      const sink = await startSink();
      const template = createTemplate(LIVE_ACCOUNTS);
      ctx = {
        quick: opts.quick,
        bench,
        sink,
        template,
        log,
        cpuProfDir: opts.profile ? PROFILES : null,
        serverEnv: serverEnvOverrides(),
        handoff: opts.only.includes('memory') ? {} : null,
      };
    } catch (err) {
      for (const b of opts.only) if (b !== 'widget') results[b] = { error: err.message };
      console.error(`✖ setup failed: ${err.message}`);
    }
  }

  for (const name of BENCHES.filter((b) => opts.only.includes(b))) {
    if (results[name]) continue;
    if (name !== 'widget' && !ctx) continue;
    const t = Date.now();
    console.log(`▸ ${name}`);
    try {
      results[name] = await require(`./${name}`)(ctx ?? { quick: opts.quick, log });
      console.log(`  ✓ ${name} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    } catch (err) {
      results[name] = { error: err.message };
      console.error(`  ✖ ${name} failed: ${err.stack || err.message}`);
    }
  }
  if (ctx) {
    const left = ctx.handoff && ctx.handoff.relayWorld;
    if (left) await left.world.server.stop();
    await ctx.sink.close();
    await ctx.bench.close();
    fs.rmSync(ctx.template.dir, { recursive: true, force: true });
  }

  const targets = evaluate(results);
  machine.loadavg_end = os.loadavg().map((x) => Math.round(x * 100) / 100);
  const out = {
    date: new Date().toISOString(),
    quick: opts.quick,
    only: opts.only,
    machine,
    duration_s: Math.round((Date.now() - started) / 100) / 10,
    ...results,
    targets,
  };
  fs.writeFileSync(RESULTS, JSON.stringify(out, null, 2) + '\n');
  console.log('\n' + renderTable(tableRows(results, targets, opts.quick)));
  const misses = Object.entries(targets)
    .filter(([, v]) => v.pass === false)
    .map(([k]) => k);
  console.log(`\n${misses.length ? `missed: ${misses.join(', ')}` : 'all measured targets met'} — ${out.duration_s} s, results in bench/results.json`);
  process.exit(Object.values(results).some((r) => r && r.error) ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
