'use strict';
/**
 * 4. Widget size: the script amoCRM loads into every page of the account, gzipped at level 9
 * (what a CDN or the amoCRM widget host would serve). A missing build is reported, not fatal:
 * widget/ is built by its own package.
 */
const fs = require('node:fs');
const zlib = require('node:zlib');
const path = require('node:path');
const { ROOT, WIDGET_SCRIPTS } = require('./lib/paths');

module.exports = async function widget() {
  const file = WIDGET_SCRIPTS.find((f) => fs.existsSync(f));
  if (!file) return { gzip_bytes: null, raw_bytes: null, missing: true, file: 'widget/dist/script.js' };
  const raw = fs.readFileSync(file);
  const gz = zlib.gzipSync(raw, { level: 9 });
  return { gzip_bytes: gz.length, raw_bytes: raw.length, missing: false, file: path.relative(ROOT, file) };
};
