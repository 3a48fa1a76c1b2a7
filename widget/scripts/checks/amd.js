// script.js as amoCRM's RequireJS sees it: one anonymous define() over host modules only, whose
// factory returns a constructor with the callbacks. The load itself runs in requirejs-host.js.
const { execFile } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const vm = require('vm');

const HOST_MODULES = ['jquery', 'underscore', 'twigjs', 'moment', 'lib/components/base/modal', 'text'];

/** First pass in a bare VM: exactly one anonymous define() whose deps are all host modules. */
function inspectDefine(source) {
  const calls = [];
  const define = (...args) => calls.push(args);
  define.amd = {};
  try {
    vm.runInNewContext(source, { define }, { filename: 'script.js', timeout: 2000 });
  } catch (error) {
    return [`script.js: throws while loading (${error.message})`];
  }
  if (calls.length !== 1) return [`script.js: must call define() exactly once, called it ${calls.length} times`];
  const [first, second] = calls[0];
  if (typeof first === 'string') return [`script.js: define("${first}", …) is named; amoCRM needs an anonymous define`];
  const deps = Array.isArray(first) ? first : [];
  const factory = Array.isArray(first) ? second : first;
  const problems = [];
  for (const dep of deps) {
    if (!HOST_MODULES.includes(dep)) problems.push(`script.js: depends on "${dep}", which the amoCRM page does not provide (bundle it)`);
  }
  if (typeof factory !== 'function') problems.push('script.js: define() has no factory function');
  return problems;
}

function loadInRequireJs(source) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amochan-validate-'));
  fs.writeFileSync(path.join(dir, 'script.js'), source);
  const child = path.join(__dirname, 'requirejs-host.js');
  return new Promise((resolve) => {
    execFile(process.execPath, [child, dir], { timeout: 15000 }, (error, stdout, stderr) => {
      fs.rmSync(dir, { recursive: true, force: true });
      try {
        resolve(JSON.parse(stdout));
      } catch {
        resolve([`script.js: the RequireJS check failed (${(error && error.message) || stderr || 'no output'})`]);
      }
    });
  });
}

async function checkScript(files) {
  const bytes = files['script.js'];
  if (!bytes) return [];
  const source = Buffer.from(bytes).toString('utf8');
  const problems = inspectDefine(source);
  if (problems.length) return problems;
  return loadInRequireJs(source);
}

module.exports = { HOST_MODULES, checkScript, inspectDefine };
