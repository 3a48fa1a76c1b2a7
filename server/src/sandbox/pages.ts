import fs from 'node:fs';
import path from 'node:path';
import Twig from 'twig';
import { SANDBOX_ASSETS } from './files';

/**
 * Server-side Twig (the same template language amoCRM widgets use) for the console's two pages.
 * Templates are compiled once per process with autoescape on; data for the browser scripts travels
 * in a data-* attribute as JSON, because the page's CSP (helmet) allows no inline script.
 */

export type PageName = 'console' | 'host';

interface CompiledTemplate {
  render(params?: object): string;
}

const compiled = new Map<PageName, CompiledTemplate>();

function template(name: PageName): CompiledTemplate {
  let t = compiled.get(name);
  if (!t) {
    const data = fs.readFileSync(path.join(SANDBOX_ASSETS, 'templates', `${name}.twig`), 'utf8');
    t = Twig.twig({ data, autoescape: true, rethrow: true });
    compiled.set(name, t);
  }
  return t;
}

export function renderPage(name: PageName, params: object): string {
  return template(name).render(params);
}
