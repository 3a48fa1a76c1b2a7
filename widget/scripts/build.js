#!/usr/bin/env node
// Builds dist/widget.zip: webpack → script.js, manifest stamped with the package version, i18n,
// templates, generated logos; zips them at the archive root, prints script.js's gzipped size
// and validates the result.
//   WIDGET_SERVER_URL=https://amochan.example.com node scripts/build.js [--out-dir <dir>]
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const webpack = require('webpack');
const JSZip = require('jszip');
const makeConfig = require('../webpack.config');
const { writeLogos } = require('./logo/draw-logo');
const { validateZip } = require('./validate');

const ROOT = path.join(__dirname, '..');
const GZIP_BUDGET = 15 * 1024; // amoCRM loads script.js on every page of the account: keep it small.
const ZIP_DATE = new Date('2024-01-01T00:00:00Z'); // fixed, so equal inputs give an identical zip

function parseArgs(argv) {
  const outIndex = argv.indexOf('--out-dir');
  return { outDir: path.resolve(outIndex >= 0 ? argv[outIndex + 1] : path.join(ROOT, 'dist')) };
}

function serverUrlFromEnv() {
  const raw = process.env.WIDGET_SERVER_URL || 'http://localhost:3000';
  let url;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`WIDGET_SERVER_URL "${raw}" is not a URL (example: https://amochan.example.com)`);
  }
  if (!/^https?:$/.test(url.protocol)) throw new Error(`WIDGET_SERVER_URL must be http(s), got ${url.protocol}`);
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol === 'http:' && !loopback) {
    console.warn(`build: warning: ${raw} is plain http; amoCRM pages are https and the browser will block it`);
  }
  return raw.replace(/\/+$/, '');
}

function runWebpack(config) {
  return new Promise((resolve, reject) => {
    webpack(config, (error, stats) => {
      if (error) return reject(error);
      if (stats.hasErrors()) return reject(new Error(stats.toString({ all: false, errors: true })));
      resolve();
    });
  });
}

/** manifest.json with widget.version taken from package.json, placed after the descriptions. */
function stampManifest(version) {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'manifest.json'), 'utf8'));
  const { name, description, short_description, ...rest } = manifest.widget;
  manifest.widget = { name, description, short_description, version, ...rest };
  return JSON.stringify(manifest, null, 2) + '\n';
}

function copyDir(from, to, extension) {
  fs.mkdirSync(to, { recursive: true });
  for (const name of fs.readdirSync(from).filter((file) => file.endsWith(extension))) {
    fs.copyFileSync(path.join(from, name), path.join(to, name));
  }
}

async function zipDir(dir) {
  const zip = new JSZip();
  const add = (relative) => {
    for (const name of fs.readdirSync(path.join(dir, relative)).sort()) {
      const rel = relative ? `${relative}/${name}` : name;
      if (fs.statSync(path.join(dir, rel)).isDirectory()) add(rel);
      else zip.file(rel, fs.readFileSync(path.join(dir, rel)), { date: ZIP_DATE });
    }
  };
  add('');
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 9 } });
}

async function build({ outDir }) {
  const { version } = require('../package.json');
  const serverUrl = serverUrlFromEnv();
  const stage = path.join(outDir, 'widget');
  fs.rmSync(stage, { recursive: true, force: true });
  fs.mkdirSync(stage, { recursive: true });

  await runWebpack(makeConfig({ serverUrl, outDir: stage }));
  fs.writeFileSync(path.join(stage, 'manifest.json'), stampManifest(version));
  copyDir(path.join(ROOT, 'i18n'), path.join(stage, 'i18n'), '.json');
  copyDir(path.join(ROOT, 'templates'), path.join(stage, 'templates'), '.twig');
  writeLogos(path.join(stage, 'images'));

  const zipPath = path.join(outDir, 'widget.zip');
  const zip = await zipDir(stage);
  fs.writeFileSync(zipPath, zip);

  const script = fs.readFileSync(path.join(stage, 'script.js'));
  const gzipped = zlib.gzipSync(script, { level: 9 }).length;
  console.log(`build: widget ${version} → ${path.relative(process.cwd(), zipPath) || zipPath} (${zip.length} bytes), server ${serverUrl}`);
  console.log(`build: script.js ${script.length} bytes, ${gzipped} bytes gzipped (budget ${GZIP_BUDGET})`);
  if (gzipped >= GZIP_BUDGET) throw new Error(`script.js is ${gzipped} bytes gzipped, over the ${GZIP_BUDGET} byte budget`);

  const problems = await validateZip(zip);
  if (problems.length) throw new Error(`the archive is invalid:\n  - ${problems.join('\n  - ')}`);
  console.log('build: validate: ok');
  return { zipPath, gzipped };
}

module.exports = { build };

if (require.main === module) {
  build(parseArgs(process.argv.slice(2))).catch((error) => {
    console.error(`build: failed: ${error.message}`);
    process.exit(1);
  });
}
