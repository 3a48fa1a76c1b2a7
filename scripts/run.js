#!/usr/bin/env node
/**
 * The two newcomer commands, `npm start` and `npm test` (and `npm run bench`), land here.
 * A machine with only Node >= 20 and npm is enough: this script gets pnpm, installs the workspace
 * when the lock file or a package.json changed, builds the packages whose sources changed since
 * their last good build, then runs the job (`test` lints first). Plain Node, no deps, so it works
 * before anything is installed.
 *
 * What was installed and built is remembered as content hashes under node_modules/.cache/amochan
 * (gone with node_modules, so a fresh install always rebuilds). AMOCHAN_REBUILD=1 rebuilds every
 * package whatever the hashes say.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const PNPM_VERSION = '12.4.2';
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'amochan');
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

// Probing for pnpm costs a process start (~0.3 s): only done when something must be installed or built.
let pnpmCommand;
function pnpm(pnpmArgs, what) {
  pnpmCommand ??= findPnpm();
  const [cmd, ...pre] = pnpmCommand;
  must(cmd, [...pre, ...pnpmArgs], what);
}

// ---- what changed since the last install / build: content hashes, not mtimes, so a checkout or
// a `git stash` round trip that leaves the bytes as they were rebuilds nothing.

/** The workspace's packages in build order (each after the workspace packages it depends on). */
const PACKAGES = [
  { dir: 'packages/amojo', output: 'dist/index.js' },
  { dir: 'packages/amojo-emulator', output: 'dist/index.js' },
  { dir: 'server', output: 'dist/main.js' },
  // The server URL is baked into the widget's script at build time.
  {
    dir: 'widget',
    output: 'dist/widget.zip',
    extra: ['templates', 'i18n', 'images', 'manifest.json', 'scripts', 'webpack.config.js'],
    env: ['WIDGET_SERVER_URL'],
  },
  { dir: 'bench', output: null },
].map((p) => ({ ...p, manifest: JSON.parse(fs.readFileSync(path.join(ROOT, p.dir, 'package.json'), 'utf8')) }));

const SKIP = new Set(['node_modules', 'dist', 'coverage', '.DS_Store']);

/** Adds every file under `rel` (a file or a folder, relative to ROOT) to the hash, in a stable order. */
function hashTree(hash, rel) {
  const abs = path.join(ROOT, rel);
  let stat;
  try {
    stat = fs.statSync(abs);
  } catch {
    return; // an optional input (the widget's images/) that this checkout does not have
  }
  if (stat.isDirectory()) {
    for (const name of fs.readdirSync(abs).sort()) if (!SKIP.has(name)) hashTree(hash, path.join(rel, name));
  } else {
    hash.update(`${rel}\0${stat.size}\0`);
    hash.update(fs.readFileSync(abs));
  }
}

function digest(parts, files) {
  const hash = crypto.createHash('sha256');
  for (const part of parts) hash.update(`${part}\0`);
  for (const rel of files) hashTree(hash, rel);
  return hash.digest('hex');
}

function readStamp(name) {
  try {
    return fs.readFileSync(path.join(CACHE, name), 'utf8');
  } catch {
    return null;
  }
}

function writeStamp(name, value) {
  fs.mkdirSync(CACHE, { recursive: true });
  fs.writeFileSync(path.join(CACHE, name), value);
}

// The native addon (better-sqlite3) is built for one Node ABI: another Node needs a reinstall.
const installKey = digest(
  [process.versions.modules, process.platform, process.arch],
  ['pnpm-lock.yaml', 'pnpm-workspace.yaml', '.npmrc', 'package.json', ...PACKAGES.map((p) => path.join(p.dir, 'package.json'))],
);

function installIfNeeded() {
  if (fs.existsSync(path.join(ROOT, 'node_modules')) && readStamp('install') === installKey) return;
  console.log('• installing dependencies (first run compiles better-sqlite3, ~1-2 min)');
  pnpm(['install', '--frozen-lockfile'], 'pnpm install');
  writeStamp('install', installKey);
}

/**
 * Builds each package whose inputs (its sources, configs, package.json, the workspace packages it
 * depends on, the lock file) changed since its last successful build, or whose output is missing.
 * Only a successful build writes its stamp.
 */
function build() {
  const force = process.env.AMOCHAN_REBUILD === '1';
  const keys = new Map();
  const stale = [];
  for (const p of PACKAGES) {
    const deps = Object.entries({ ...p.manifest.dependencies, ...p.manifest.devDependencies })
      .filter(([, range]) => String(range).startsWith('workspace:'))
      .map(([name]) => `${name}=${keys.get(name) ?? ''}`);
    const configs = fs.readdirSync(path.join(ROOT, p.dir)).filter((f) => /^tsconfig.*\.json$/.test(f));
    const files = ['src', 'package.json', ...configs, ...(p.extra ?? [])].map((f) => path.join(p.dir, f));
    const env = (p.env ?? []).map((k) => `${k}=${process.env[k] ?? ''}`);
    const key = digest([installKey, ...deps, ...env], ['tsconfig.base.json', ...files]);
    keys.set(p.manifest.name, key);
    if (!p.manifest.scripts?.build) continue;
    const stamp = `build-${p.manifest.name.replace(/[@/]/g, '_')}`;
    const built = p.output === null || fs.existsSync(path.join(ROOT, p.dir, p.output));
    if (!force && built && readStamp(stamp) === key) continue;
    stale.push({ name: p.manifest.name, stamp, key });
  }
  if (stale.length === 0) {
    console.log('• packages up to date (AMOCHAN_REBUILD=1 to rebuild anyway)');
    return;
  }
  // A failed build may have written part of its output (tsc emits despite type errors): drop the
  // stamps first, so that even reverting the sources rebuilds next time.
  for (const { stamp } of stale) fs.rmSync(path.join(CACHE, stamp), { force: true });
  // One pnpm run for all of them keeps pnpm's topological order and its parallelism.
  console.log(`• building ${stale.map((p) => p.name).join(', ')}`);
  pnpm([...stale.flatMap((p) => ['--filter', p.name]), 'build'], 'build');
  for (const { stamp, key } of stale) writeStamp(stamp, key);
}

function lint() {
  console.log('• lint and format check (biome)');
  const status = run(process.execPath, [require.resolve('@biomejs/biome/bin/biome', { paths: [ROOT] }), 'check', '--max-diagnostics=30', '.']);
  if (status !== 0) {
    fail(
      'lint failed (see above). Formatting: `npm run format` rewrites the files. Lint errors: fix them by hand, or ' +
        '`npx biome lint --write .` for those with a safe fix; `npm run lint` checks again.',
    );
  }
  // Layers only point down (DESIGN.md): an import cycle is the first sign one started pointing up.
  console.log('• import cycles (madge)');
  const madge = require.resolve('madge/bin/cli.js', { paths: [ROOT] });
  const cycles = run(process.execPath, [
    madge,
    '--circular',
    '--extensions',
    'ts',
    'server/src',
    'packages/amojo/src',
    'packages/amojo-emulator/src',
    'widget/src',
  ]);
  if (cycles !== 0) fail('an import cycle was found (see above): move the shared piece down a layer so imports only point down.');
}

/**
 * Type-checks every package with its tests: jest transpiles each file alone (isolatedModules) and
 * never reports a type error, so a test calling a changed API wrongly would otherwise only fail at
 * run time, if at all.
 */
function typecheck() {
  console.log('• type check (tsc, sources and tests)');
  const tsc = require.resolve('typescript/bin/tsc', { paths: [ROOT] });
  for (const dir of ['packages/amojo', 'packages/amojo-emulator', 'server', 'widget']) {
    const status = run(process.execPath, [tsc, '--noEmit', '-p', path.join(ROOT, dir, 'tsconfig.json')]);
    if (status !== 0) fail(`type errors in ${dir} (see above); \`npx tsc --noEmit -p ${dir}\` checks again.`);
  }
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
    lint();
    build();
    typecheck();
    runJest();
    break;
  case 'jest':
    // The test run without the lint step: `npm run screenshots` and focused runs while editing.
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
  case 'build':
    build();
    break;
  default:
    fail(`unknown job "${job}" (use start, test, jest, bench or build)`);
}
