import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/**
 * The emulator is the witness the SDK and the server are tested against: it reads amojo's docs on
 * its own. Were it to borrow the SDK's schemas, signing or types, a misreading of the docs in the
 * SDK would be repeated here and every test would still pass. So nothing under src/ may reach into
 * the SDK, and the SDK may only be a devDependency (tests drive the emulator with it).
 */

const PACKAGE_DIR = resolve(__dirname, '..');
const SRC_DIR = join(PACKAGE_DIR, 'src');
const SDK_DIR = resolve(PACKAGE_DIR, '..', 'amojo');
const SDK_NAME = '@amochan/amojo';

/**
 * Every module specifier of a source: import/export … from, side-effect imports, import(),
 * require(). TypeScript's own scanner finds them, so a string or comment that merely mentions the
 * SDK does not count and a multi-line import is not missed.
 */
function moduleSpecifiers(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

/** Whether a specifier, written in a file of `fromDir`, names the SDK: by package name or by a path into its folder. */
function reachesSdk(specifier: string, fromDir: string): boolean {
  if (specifier === SDK_NAME || specifier.startsWith(`${SDK_NAME}/`)) return true;
  if (!specifier.startsWith('.') && !specifier.startsWith('/')) return false;
  const target = resolve(fromDir, specifier);
  return target === SDK_DIR || target.startsWith(SDK_DIR + sep);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.(c|m)?[jt]sx?$/.test(e.name) ? [path] : [];
  });
}

describe('the emulator stays independent of the SDK it witnesses', () => {
  test('the import check itself tells an SDK import from the emulator’s own and from prose', () => {
    const fromDir = join(SRC_DIR, 'api');
    const found = (source: string) => moduleSpecifiers(source).filter((s) => reachesSdk(s, fromDir));
    expect(found("import { messageSchema } from '@amochan/amojo';")).toEqual(['@amochan/amojo']);
    expect(found("import type { Message } from '@amochan/amojo/schemas';")).toEqual(['@amochan/amojo/schemas']);
    expect(found("export * from '../../../amojo/src/schemas/message';")).toEqual(['../../../amojo/src/schemas/message']);
    expect(found("import {\n  signBody,\n} from '../../../amojo/src/signing';")).toEqual(['../../../amojo/src/signing']);
    expect(found("const sdk = require('@amochan/amojo');")).toEqual(['@amochan/amojo']);
    expect(found("const sdk = await import('@amochan/amojo');")).toEqual(['@amochan/amojo']);
    expect(found("import '@amochan/amojo';")).toEqual(['@amochan/amojo']);
    // Its own name starts with the SDK's, and its own folders are not the SDK's folder.
    expect(found("import { startEmulator } from '@amochan/amojo-emulator';")).toEqual([]);
    expect(found("import { x } from '../../../amojo-emulator/src/ids';")).toEqual([]);
    expect(found("import { chatNotFound } from '../errors';")).toEqual([]);
    expect(found("// signed as @amochan/amojo signs: import { x } from '@amochan/amojo'\n/* from '@amochan/amojo' */")).toEqual([]);
  });

  test('no file under src/ imports @amochan/amojo or a path into packages/amojo', () => {
    const files = sourceFiles(SRC_DIR);
    expect(files.length).toBeGreaterThan(10);
    const offenders = files.flatMap((file) =>
      moduleSpecifiers(readFileSync(file, 'utf8'))
        .filter((s) => reachesSdk(s, dirname(file)))
        .map((s) => `${relative(PACKAGE_DIR, file)}: ${s}`),
    );
    expect(offenders).toEqual([]);
  });

  test('package.json lists the SDK only as a devDependency', () => {
    const pkg = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as Record<string, Record<string, string> | string[] | undefined>;
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies', 'bundleDependencies', 'bundledDependencies']) {
      const value = pkg[field] ?? {};
      const names = Array.isArray(value) ? value : Object.keys(value);
      expect([field, names.filter((name) => name === SDK_NAME)]).toEqual([field, []]);
    }
    expect((pkg.devDependencies as Record<string, string> | undefined)?.[SDK_NAME]).toBeDefined();
  });
});
