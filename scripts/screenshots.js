#!/usr/bin/env node
/**
 * `npm run screenshots`: refreshes the pictures in docs/images/ on purpose. The browser tests take
 * them in a temp directory on every run (tests never rewrite tracked files); here they are pointed
 * at docs/images/ instead, and the script fails if a picture was not written (Chromium missing).
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const IMAGES = path.join(ROOT, 'docs', 'images');
// The browser tests that take them, by path pattern (jest regexes, so a move into a folder still matches).
const SHOTS = [
  { file: 'sandbox.png', test: 'server/test/.*e2e.sandbox' },
  { file: 'widget-connected.png', test: 'widget/test/.*e2e.widget' },
];

const started = Date.now();
const res = spawnSync(process.execPath, [path.join(__dirname, 'run.js'), 'jest', ...SHOTS.map((s) => s.test)], {
  cwd: ROOT,
  stdio: 'inherit',
  env: { ...process.env, AMOCHAN_SCREENSHOT_DIR: IMAGES },
});
const stale = SHOTS.filter((s) => !fs.existsSync(path.join(IMAGES, s.file)) || fs.statSync(path.join(IMAGES, s.file)).mtimeMs < started);
if (res.status !== 0 || stale.length > 0) {
  console.error(`\n✖ screenshots not refreshed: ${stale.map((s) => s.file).join(', ') || 'the tests failed'} (see above)`);
  process.exit(1);
}
console.log(`\n• refreshed ${SHOTS.map((s) => `docs/images/${s.file}`).join(', ')}; review them with \`git diff --stat docs/images\``);
