'use strict';
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
module.exports = {
  ROOT,
  SERVER_DIR: path.join(ROOT, 'server'),
  SERVER_MAIN: path.join(ROOT, 'server', 'dist', 'main.js'),
  SERVER_CLI: path.join(ROOT, 'server', 'dist', 'cli.js'),
  // The issue names widget/dist/script.js; the widget build writes the unpacked archive to widget/dist/widget/.
  WIDGET_SCRIPTS: [path.join(ROOT, 'widget', 'dist', 'script.js'), path.join(ROOT, 'widget', 'dist', 'widget', 'script.js')],
  RESULTS: path.join(ROOT, 'bench', 'results.json'),
  PROFILES: path.join(ROOT, 'bench', 'profiles'),
};
