#!/usr/bin/env node
/**
 * The two newcomer commands, `npm start` and `npm test` (and `npm run bench`), land here.
 * A machine with only Node >= 20 and npm is enough: this script gets pnpm, installs the workspace
 * when the lock file changed, builds every package, then runs the job. Plain Node, no deps, so it
 * works before anything is installed.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const PNPM_VERSION = '12.4.2';
const [job = 'test', ...args] = process.argv.slice(2);

function fail(message) {
  console.error(`\n✖ ${message}`);
  process.exit(1);
}

function run(cmd, cmdArgs, opts = {}) {
  const res = spawnSync(cmd, cmdArgs, { cwd: ROOT, stdio: 'inherit', env: process.env, ...opts });
  if (res.error) fail(`${cmd} ${cmdArgs.join(' ')} could not start: ${res.error.message}`);
  return res.status ?? 1;
}

function must(cmd, cmdArgs, what) {
  const status = run(cmd, cmdArgs);
  if (status !== 0) fail(`${what} failed (exit ${status}). Fix the error above and run the command again.`);
}

const major = Number(process.versions.node.split('.')[0]);
if (major < 20) fail(`Node.js >= 20 is required (this is ${process.version}).`);

/** pnpm on PATH at our pinned major, else a pinned copy through npm exec (cached by npm after first use). */
function findPnpm() {
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  if (probe.status === 0 && probe.stdout.trim().split('.')[0] === PNPM_VERSION.split('.')[0]) return ['pnpm'];
  console.log(`• pnpm ${PNPM_VERSION} not on PATH; using it through npm exec (first run downloads it)`);
  return ['npm', 'exec', '--yes', `--package=pnpm@${PNPM_VERSION}`, '--', 'pnpm'];
}

// better-sqlite3 compiles a native addon. Where Node's headers are installed locally, point
// node-gyp at them so the build works without downloading headers.
if (!process.env.npm_config_nodedir && fs.existsSync('/usr/include/node/node.h')) {
  process.env.npm_config_nodedir = '/usr';
}

const [pnpmCmd, ...pnpmPre] = findPnpm();
const pnpm = (pnpmArgs, what) => must(pnpmCmd, [...pnpmPre, ...pnpmArgs], what);

function installIfNeeded() {
  const stamp = path.join(ROOT, 'node_modules', '.amochan-install-stamp');
  const lock = path.join(ROOT, 'pnpm-lock.yaml');
  const fresh = fs.existsSync(stamp) && fs.statSync(stamp).mtimeMs >= fs.statSync(lock).mtimeMs;
  if (fresh) return;
  console.log('• installing dependencies (first run compiles better-sqlite3, ~1-2 min)');
  pnpm(['install', '--frozen-lockfile'], 'pnpm install');
  fs.writeFileSync(stamp, new Date().toISOString());
}

function build() {
  console.log('• building packages');
  pnpm(['-r', 'build'], 'build');
}

function runJest() {
  const report = path.join(ROOT, 'node_modules', '.amochan-jest-report.json');
  fs.rmSync(report, { force: true });
  const status = run(process.execPath, [require.resolve('jest/bin/jest', { paths: [ROOT] }), '--json', `--outputFile=${report}`, ...args]);
  // A plain closing line that any CI can read, whatever the runner prints above it.
  if (fs.existsSync(report)) {
    const r = JSON.parse(fs.readFileSync(report, 'utf8'));
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`\ntests: ${r.numPassedTests} passed, ${r.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`);
    if (r.numTotalTests === 0) fail('no test ran');
    if (r.numFailedTestSuites > 0 && r.numFailedTests === 0) console.error('✖ a test suite failed to run (see above)');
  }
  process.exit(status);
}

installIfNeeded();
switch (job) {
  case 'test':
    build();
    runJest();
    break;
  case 'start':
    build();
    // glibc's per-thread malloc arenas (scrypt runs on libuv's pool) inflate RSS for nothing;
    // docs/operations.md recommends the same setting for production.
    process.env.MALLOC_ARENA_MAX = process.env.MALLOC_ARENA_MAX || '2';
    process.exit(run(process.execPath, [path.join(ROOT, 'server/dist/main.js'), ...args]));
    break;
  case 'bench':
    build();
    process.exit(run(process.execPath, [path.join(ROOT, 'bench/run.js'), ...args]));
    break;
  case 'install':
    break;
  default:
    fail(`unknown job "${job}" (use start, test or bench)`);
}
