#!/usr/bin/env node
// Checks a built widget.zip the way amoCRM will, so a bad archive fails here with a reason
// instead of at upload with an opaque error. Plain Node: no TypeScript build needed.
//   node scripts/validate.js [path/to/widget.zip]     (default: dist/widget.zip)
const fs = require('fs');
const path = require('path');
const JSZip = require('jszip');
const { checkLayout, checkText } = require('./checks/files');
const { checkManifest } = require('./checks/manifest');
const { checkImages } = require('./checks/images');
const { checkScript } = require('./checks/amd');

/** Unzips into { name: Buffer } (directories left out). */
async function readZip(buffer) {
  const zip = await JSZip.loadAsync(buffer);
  const files = {};
  for (const entry of Object.values(zip.files)) {
    if (!entry.dir) files[entry.name] = await entry.async('nodebuffer');
  }
  return files;
}

/** Every problem found in the archive; an empty list means amoCRM should accept it. */
async function validateZip(buffer) {
  let files;
  try {
    files = await readZip(buffer);
  } catch (error) {
    return [`widget.zip: not a readable zip archive (${error.message})`];
  }
  const { problems: textProblems, json } = checkText(files);
  return [...checkLayout(files), ...textProblems, ...checkManifest(json, files), ...checkImages(files), ...(await checkScript(files))];
}

async function main() {
  const zipPath = path.resolve(process.argv[2] || path.join(__dirname, '..', 'dist', 'widget.zip'));
  if (!fs.existsSync(zipPath)) {
    console.error(`validate: ${zipPath} does not exist; run \`pnpm --filter @amochan/widget build\` first`);
    process.exit(1);
  }
  const problems = await validateZip(fs.readFileSync(zipPath));
  if (problems.length) {
    console.error(`validate: ${path.relative(process.cwd(), zipPath)} has ${problems.length} problem(s):`);
    for (const problem of problems) console.error(`  - ${problem}`);
    process.exit(1);
  }
  console.log(`validate: ${path.relative(process.cwd(), zipPath) || zipPath} is a valid amoCRM widget archive`);
}

module.exports = { validateZip, readZip };

if (require.main === module) {
  main().catch((error) => {
    console.error(`validate: ${error.stack || error}`);
    process.exit(1);
  });
}
