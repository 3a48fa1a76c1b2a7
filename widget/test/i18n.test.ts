import fs from 'fs';
import path from 'path';
import en from '../i18n/en.json';
import ru from '../i18n/ru.json';
import { ERROR_CODES } from '../src/errors';

const { checkParity, flattenKeys } = require('../scripts/checks/manifest');

describe('i18n catalogs', () => {
  it('have identical key sets in every locale', () => {
    expect(checkParity({ ru, en })).toEqual([]);
    expect(flattenKeys(ru).sort()).toEqual(flattenKeys(en).sort());
  });

  it('explain every error code', () => {
    for (const catalog of [en, ru]) {
      for (const code of ERROR_CODES) expect((catalog.errors as Record<string, string>)[code]).toEqual(expect.any(String));
    }
  });

  it('define every ui text the templates use', () => {
    const dir = path.join(__dirname, '..', 'templates');
    for (const file of fs.readdirSync(dir)) {
      const used = [...fs.readFileSync(path.join(dir, file), 'utf8').matchAll(/\bt\.(\w+)/g)].map((m) => m[1]);
      expect(used.length).toBeGreaterThan(0);
      for (const key of used) {
        expect(Object.keys(en.ui)).toContain(key);
        expect(Object.keys(ru.ui)).toContain(key);
      }
    }
  });

  it('have no empty texts', () => {
    for (const catalog of [en, ru]) {
      const walk = (node: unknown): void => {
        if (typeof node === 'string') expect(node.trim()).not.toBe('');
        else Object.values(node as object).forEach(walk);
      };
      walk(catalog);
    }
  });
});
