'use strict';
/**
 * Child processes the benchmarks measure: the built server, and the two baselines (bare http
 * server, naive relay). Baselines run as children too, so ours and baseline have the same process
 * layout (load generator + emulator in the bench process, system under test in its own) and
 * compete for the same two cores the same way.
 */
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { SERVER_CLI, SERVER_MAIN, ROOT } = require('./paths');

/** A port the OS just handed out. The server is started with it because at LOG_LEVEL=warn it does not print "listening". */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls GET url until 200 (bounded: timeoutMs). */
async function waitHealthy(url, timeoutMs, child) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`process exited with ${child.exitCode} before it was ready`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error(`${url} not healthy after ${timeoutMs} ms`);
}

/** VmRSS / VmHWM of a live process in MB, from /proc (Linux only; null elsewhere). */
function readRss(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name) => Number((status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm')) || [])[1]);
    return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
  } catch {
    return { rssMb: null, hwmMb: null };
  }
}

/**
 * Spawns a node script with stdout/stderr captured (tail kept for error messages), waits for
 * healthPath. Returns {url, port, pid, rss(), stop()}.
 */
async function startChild({ script, args = [], env = {}, port, healthPath = '/healthz', nodeFlags = [], name, readyTimeoutMs = 20000 }) {
  const child = spawn(process.execPath, [...nodeFlags, script, ...args], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk) => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(url + healthPath, readyTimeoutMs, child);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${name} did not start: ${err.message}\n--- output tail ---\n${tail}`);
  }
  return {
    name,
    url,
    port,
    pid: child.pid,
    child,
    output: () => tail,
    /** Resolves with {code, signal} when the process ends, however it ends. */
    exited,
    rss: () => readRss(child.pid),
    /** SIGTERM, then SIGKILL after graceMs; resolves when the process is gone (the CPU profile is written on exit). */
    async stop(graceMs = 10000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

/** `node server/dist/cli.js ...` with DATABASE_URL; input goes to stdin (passwords). */
function runCli(args, { databaseUrl, input = '' }) {
  const res = spawnSync(process.execPath, [SERVER_CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl },
    input,
    encoding: 'utf8',
    timeout: 60000,
  });
  if (res.status !== 0) throw new Error(`cli ${args.join(' ')} failed (${res.status}): ${res.stderr || res.stdout}`);
  return res.stdout;
}

/**
 * The built server against the in-process emulator. LOG_LEVEL=warn: per-request info lines would
 * measure pino + the pipe to us rather than the server (operators ship at info; see README).
 */
async function startServer({ emulator, databaseUrl, providerWebhookUrl, env = {}, cpuProfDir = null, label = 'server' }) {
  if (!fs.existsSync(SERVER_MAIN)) throw new Error(`${SERVER_MAIN} is missing: build the server first (pnpm --filter @amochan/server build)`);
  const port = await freePort();
  const nodeFlags = [];
  if (cpuProfDir) {
    fs.mkdirSync(cpuProfDir, { recursive: true });
    nodeFlags.push('--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`, `--cpu-prof-name=${label}-${Date.now()}.cpuprofile`);
  }
  return startChild({
    name: label,
    script: SERVER_MAIN,
    port,
    nodeFlags,
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      AMOJO_BASE_URL: emulator.url,
      AMOJO_CHANNEL_ID: emulator.channelId,
      AMOJO_CHANNEL_SECRET: emulator.secret,
      PROVIDER_API_TOKEN: BENCH_TOKEN,
      PROVIDER_WEBHOOK_URL: providerWebhookUrl,
      PROVIDER_WEBHOOK_SECRET: 'bench-provider-secret',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL || 'warn',
      // The production setting docs/operations.md recommends: glibc keeps one malloc arena per thread
      // (scrypt runs on the libuv pool), which inflates RSS without helping throughput.
      MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX || '2',
      // The bench connects accounts from one address in a burst; the per-IP limit is for browsers.
      WIDGET_RATE_LIMIT_PER_IP: '1000000',
      WIDGET_RATE_LIMIT_PER_LOGIN: '1000000',
      SANDBOX_CONSOLE: 'false',
      // The bench measures relaying, not OAuth install; bindings are made by the bench itself.
      ALLOW_UNVERIFIED_BINDINGS: 'true',
      ...env,
    },
  });
}

const BENCH_TOKEN = 'bench-provider-token';

module.exports = {
  freePort,
  startChild,
  startServer,
  runCli,
  readRss,
  waitHealthy,
  sleep,
  BENCH_TOKEN,
  BASELINES_DIR: path.join(__dirname, '..', 'baselines'),
};
