#!/usr/bin/env node
'use strict';
/**
 * Summarises a V8 .cpuprofile (from `node bench/run.js --profile`): self time by function and by
 * package/file, so "what limits this figure" is one command away.
 * usage: node bench/lib/profile-top.js bench/profiles/<file>.cpuprofile [topN]
 */
const fs = require('node:fs');

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/lib/profile-top.js <file.cpuprofile> [topN]');
  process.exit(2);
}
const top = Number(topArg) || 30;
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = profile.timeDeltas;
for (let i = 0; i < profile.samples.length; i += 1) self.set(profile.samples[i], (self.get(profile.samples[i]) || 0) + (dt[i] || 0));
const total = [...self.values()].reduce((a, b) => a + b, 0);

const where = (url) => {
  if (!url) return '(native/vm)';
  const m = url.match(/node_modules\/\.pnpm\/([^/]+)\/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (m) return m[2];
  const s = url.match(/\/(server|packages\/[^/]+)\/dist\/(.*)$/);
  if (s) return `${s[1]}/${s[2]}`;
  return url.replace(/^file:\/\//, '').replace(/^node:/, 'node:');
};

const fn = new Map();
const pkg = new Map();
for (const [id, t] of self) {
  const n = byId.get(id);
  const cf = n.callFrame;
  const loc = where(cf.url);
  const key = `${cf.functionName || '(anonymous)'}  ${loc}:${cf.lineNumber + 1}`;
  fn.set(key, (fn.get(key) || 0) + t);
  const group = loc.startsWith('node:')
    ? 'node core'
    : loc
        .split('/')
        .slice(0, loc.startsWith('server/') ? 2 : 1)
        .join('/');
  pkg.set(group, (pkg.get(group) || 0) + t);
}
const pct = (t) => `${((t / total) * 100).toFixed(1).padStart(5)}%`;
const print = (title, map, n) => {
  console.log(`\n${title}`);
  for (const [k, t] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${pct(t)}  ${k}`);
};
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`);
print('self time by package / file', pkg, 25);
print('self time by function', fn, top);
