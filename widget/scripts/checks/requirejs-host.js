// Child process for checks/amd.js: loads a script.js through RequireJS, builds the widget and
// calls what every amoCRM page calls. A separate process, because r.js evaluates modules in the
// real global scope (which jest's sandbox hides) and the widget must not touch the validator's.
//   node requirejs-host.js <dir containing script.js>   → prints a JSON list of problems
const path = require('path');
const requirejs = require('requirejs');

const REQUIRED_CALLBACKS = ['render', 'init', 'bind_actions', 'settings', 'onSave', 'destroy', 'onAddAsSource'];
const MUST_RETURN_TRUE = ['render', 'init', 'bind_actions'];

function stubModules() {
  // biome-ignore lint/suspicious/noThenProperty: a stand-in for jQuery's $.ajax, which returns a thenable
  const jquery = Object.assign(() => jquery, { ajax: () => ({ then: () => undefined }) });
  return {
    jquery,
    underscore: {},
    twigjs: { twig: () => ({ render: () => '' }) },
    moment: () => ({}),
    'lib/components/base/modal': function Modal() {},
    text: { load: (name, req, onload) => onload('') },
  };
}

/** A stand-in for the methods amoCRM mixes into every widget instance. */
function fakeWidgetBase() {
  let settings = {};
  return {
    params: { widget_code: 'amochan', path: '', version: '0.0.0' },
    langs: {},
    system: () => ({ area: 'settings', subdomain: 'validator' }),
    i18n: () => undefined,
    render: () => '',
    get_settings: () => settings,
    set_settings: (next) => {
      settings = { ...settings, ...next };
    },
    get_version: () => '0.0.0',
  };
}

function load(dir) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('RequireJS did not load script.js within 5 s')), 5000);
    const req = requirejs.config({ context: 'amochan-validate', baseUrl: dir, paths: { 'amochan-widget': path.join(dir, 'script') } });
    for (const [name, value] of Object.entries(stubModules())) requirejs.define(name, [], () => value);
    req(
      ['amochan-widget'],
      (module) => (clearTimeout(timer), resolve(module)),
      (error) => (clearTimeout(timer), reject(error)),
    );
  });
}

async function check(dir) {
  let Widget;
  try {
    Widget = await load(dir);
  } catch (error) {
    return [`script.js: RequireJS could not load it (${error.message})`];
  }
  if (typeof Widget !== 'function') return [`script.js: the module is ${typeof Widget}, amoCRM needs a constructor function`];
  const problems = [];
  if (/^class[\s{]/.test(Function.prototype.toString.call(Widget))) {
    return ['script.js: the module is an ES class; amoCRM needs a plain constructor function'];
  }
  let instance;
  try {
    instance = new Widget();
    Object.assign(instance, fakeWidgetBase());
  } catch (error) {
    return [`script.js: new Widget() throws (${error.message})`];
  }
  const callbacks = instance && instance.callbacks;
  if (!callbacks || typeof callbacks !== 'object') return ['script.js: the instance has no callbacks object'];
  for (const name of REQUIRED_CALLBACKS) {
    if (typeof callbacks[name] !== 'function') problems.push(`script.js: callbacks.${name} is missing`);
  }
  for (const name of MUST_RETURN_TRUE) {
    if (typeof callbacks[name] !== 'function') continue;
    try {
      const result = callbacks[name].call(instance);
      if (result !== true) problems.push(`script.js: callbacks.${name}() returned ${String(result)}; amoCRM stops unless it returns true`);
    } catch (error) {
      problems.push(`script.js: callbacks.${name}() throws (${error.message})`);
    }
  }
  return problems;
}

check(process.argv[2]).then(
  (problems) => {
    process.stdout.write(JSON.stringify(problems));
    process.exit(0);
  },
  (error) => {
    process.stdout.write(JSON.stringify([`script.js: ${error.message}`]));
    process.exit(0);
  },
);
