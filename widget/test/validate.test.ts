import fs from 'fs';
import path from 'path';
import JSZip from 'jszip';

const { validateZip } = require('../scripts/validate');
const { LOGOS, drawLogo } = require('../scripts/logo/draw-logo');

const ROOT = path.join(__dirname, '..');
const CALLBACKS = ['render', 'init', 'bind_actions', 'settings', 'onSave', 'destroy', 'onAddAsSource'];
const GOOD_SCRIPT = `define(["jquery", "twigjs"], function ($, Twig) {
  return function Widget() {
    var self = this;
    this.callbacks = {${CALLBACKS.map((name) => `${name}: function () { return true; }`).join(', ')}};
    return this;
  };
});`;

type Files = Record<string, Buffer | string>;

let images: Files;
beforeAll(() => {
  images = Object.fromEntries(Object.entries(LOGOS).map(([name, [w, h]]: any) => [`images/${name}`, drawLogo(w, h)]));
});

function goodManifest() {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'manifest.json'), 'utf8'));
  manifest.widget.version = '1.2.3';
  return manifest;
}

function goodFiles(): Files {
  return {
    'manifest.json': JSON.stringify(goodManifest()),
    'script.js': GOOD_SCRIPT,
    'i18n/en.json': fs.readFileSync(path.join(ROOT, 'i18n/en.json')),
    'i18n/ru.json': fs.readFileSync(path.join(ROOT, 'i18n/ru.json')),
    'templates/settings.twig': fs.readFileSync(path.join(ROOT, 'templates/settings.twig')),
    ...images,
  };
}

async function zipOf(files: Files): Promise<Buffer> {
  const zip = new JSZip();
  for (const [name, content] of Object.entries(files)) zip.file(name, content);
  return zip.generateAsync({ type: 'nodebuffer' });
}

async function problemsOf(mutate: (files: Files) => void): Promise<string[]> {
  const files = goodFiles();
  mutate(files);
  return validateZip(await zipOf(files));
}

const withManifest = (edit: (manifest: any) => void) => (files: Files) => {
  const manifest = goodManifest();
  edit(manifest);
  files['manifest.json'] = JSON.stringify(manifest);
};

describe('validateZip', () => {
  it('accepts a well-formed widget', async () => {
    expect(await problemsOf(() => undefined)).toEqual([]);
  });

  it('refuses something that is not a zip', async () => {
    expect(await validateZip(Buffer.from('nope'))).toEqual([expect.stringMatching(/not a readable zip/)]);
  });

  it.each<[string, (files: Files) => void, RegExp]>([
    [
      'files inside a folder',
      (f) => {
        for (const name of Object.keys(f)) {
          f[`widget/${name}`] = f[name];
          delete f[name];
        }
      },
      /manifest.json is at "widget\/manifest.json": files must be at the zip root/,
    ],
    [
      'a BOM',
      (f) => {
        f['i18n/en.json'] = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(f['i18n/en.json'] as Buffer)]);
      },
      /i18n\/en.json: starts with a UTF-8 BOM/,
    ],
    [
      'invalid UTF-8',
      (f) => {
        f['templates/settings.twig'] = Buffer.from([0x3c, 0xff, 0xfe, 0x3e]);
      },
      /settings.twig: is not valid UTF-8/,
    ],
    [
      'broken JSON',
      (f) => {
        f['i18n/ru.json'] = '{"widget": ';
      },
      /i18n\/ru.json: invalid JSON/,
    ],
    ['no lead_sources location', withManifest((m) => (m.locations = ['settings'])), /locations must include "lead_sources"/],
    ['interface_version 1', withManifest((m) => (m.widget.interface_version = 1)), /interface_version must be 2/],
    ['a missing version', withManifest((m) => delete m.widget.version), /widget.version must be a non-empty string/],
    [
      'an unresolvable i18n path',
      withManifest((m) => (m.widget.name = 'widget.title')),
      /widget.name "widget.title" does not resolve to a text in i18n\/ru.json/,
    ],
    [
      'a secret settings field',
      withManifest((m) => (m.settings.password = { name: 'settings.connection', type: 'pass', required: true })),
      /settings.password looks like a secret/,
    ],
    ['an unknown field type', withManifest((m) => (m.settings.connection.type = 'select')), /settings.connection.type "select"/],
    ['a code/secret_key', withManifest((m) => (m.widget.secret_key = 'x')), /remove widget.secret_key/],
    ['a missing tour', withManifest((m) => delete m.tour), /"tour" .* is missing/],
    [
      'a locale without its file',
      (f) => {
        delete f['i18n/ru.json'];
      },
      /i18n\/ru.json is missing/,
    ],
    [
      'i18n files with different keys',
      (f) => {
        const ru = JSON.parse(String(f['i18n/ru.json']));
        delete ru.ui.connect;
        ru.ui.extra = 'x';
        f['i18n/ru.json'] = JSON.stringify(ru);
      },
      /i18n\/ru.json: missing "ui.connect" \(present in en\)/,
    ],
    [
      'i18n files with different keys, the other way',
      (f) => {
        const ru = JSON.parse(String(f['i18n/ru.json']));
        ru.ui.extra = 'x';
        f['i18n/ru.json'] = JSON.stringify(ru);
      },
      /i18n\/en.json: missing "ui.extra" \(present in ru\)/,
    ],
    [
      'a logo of the wrong size',
      (f) => {
        f['images/logo_small.png'] = drawLogo(100, 100);
      },
      /logo_small.png: is 100×100, amoCRM requires 108×108/,
    ],
    [
      'a logo that is not a PNG',
      (f) => {
        f['images/logo.png'] = 'GIF89a';
      },
      /images\/logo.png: not a PNG file/,
    ],
    [
      'a missing logo',
      (f) => {
        delete f['images/logo_min.png'];
      },
      /logo_min.png is missing/,
    ],
    [
      'a huge logo',
      (f) => {
        f['images/logo_main.png'] = Buffer.concat([f['images/logo_main.png'] as Buffer, Buffer.alloc(310 * 1024)]);
      },
      /logo_main.png: \d+ bytes, the limit is 307200/,
    ],
    [
      'a named define',
      (f) => {
        f['script.js'] = GOOD_SCRIPT.replace('define([', 'define("amochan", [');
      },
      /is named; amoCRM needs an anonymous define/,
    ],
    [
      'a dependency the host lacks',
      (f) => {
        f['script.js'] = GOOD_SCRIPT.replace('"twigjs"', '"lodash"');
      },
      /depends on "lodash"/,
    ],
    [
      'an ES class',
      (f) => {
        f['script.js'] = `define([], function () { return class W { constructor() { this.callbacks = {}; } }; });`;
      },
      /ES class/,
    ],
    [
      'a callback that returns false',
      (f) => {
        f['script.js'] = GOOD_SCRIPT.replace('render: function () { return true; }', 'render: function () { return false; }');
      },
      /callbacks.render\(\) returned false/,
    ],
    [
      'a missing callback',
      (f) => {
        f['script.js'] = GOOD_SCRIPT.replace(/onAddAsSource: function \(\) \{ return true; \}/, 'x: 1');
      },
      /callbacks.onAddAsSource is missing/,
    ],
    [
      'a script that throws',
      (f) => {
        f['script.js'] = 'throw new Error("boom")';
      },
      /throws while loading \(boom\)/,
    ],
    [
      'stray files',
      (f) => {
        f['__MACOSX/._script.js'] = 'x';
        f['notes.txt'] = 'x';
      },
      /notes.txt: unexpected file/,
    ],
  ])('reports %s', async (_name, mutate, expected) => {
    const problems = await problemsOf(mutate);
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
  });
});
