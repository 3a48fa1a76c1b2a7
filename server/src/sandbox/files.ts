import fs from 'node:fs';
import path from 'node:path';
import express, { Router, type RequestHandler } from 'express';

/**
 * Files the sandbox console serves, all read from the repository at runtime (no build step of its
 * own): its templates and browser scripts (src/sandbox), the host-page libraries amoCRM provides
 * (RequireJS, jQuery 2, Twig.js — from the workspace's node_modules), the fake amoCRM host script
 * (widget/test/host/amo-host.js) and the built widget (widget/dist/widget, the unzipped widget.zip).
 */

/** The repository root, from both server/src/sandbox (ts-jest) and server/dist/sandbox (node). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** Templates and public/ live beside this file in src; dist has only the compiled .js. */
export const SANDBOX_ASSETS = fs.existsSync(path.join(__dirname, 'templates')) ? __dirname : path.join(REPO_ROOT, 'server', 'src', 'sandbox');

export const WIDGET_DIST = path.join(REPO_ROOT, 'widget', 'dist', 'widget');

/** The fake amoCRM host script, shared with the widget's browser tests (configured by public/host-config.js). */
export const AMO_HOST_SCRIPT = path.join(REPO_ROOT, 'widget', 'test', 'host', 'amo-host.js');

export function widgetBuilt(dir = WIDGET_DIST): boolean {
  return fs.existsSync(path.join(dir, 'script.js')) && fs.existsSync(path.join(dir, 'manifest.json'));
}

/** name → [package, file inside it, workspace package whose node_modules has it]. */
const VENDOR: Record<string, [string, string, string]> = {
  'jquery.js': ['jquery', 'dist/jquery.js', 'widget'],
  'require.js': ['requirejs', 'require.js', 'widget'],
  'twig.min.js': ['twig', 'twig.min.js', 'server'],
};

function resolveVendor(name: string): string | null {
  const entry = VENDOR[name];
  if (!entry) return null;
  const [pkg, file, owner] = entry;
  for (const from of [path.join(REPO_ROOT, owner), REPO_ROOT, __dirname]) {
    try {
      return require.resolve(`${pkg}/${file}`, { paths: [from] });
    } catch {
      // Try the next place.
    }
  }
  return null;
}

const noStore: RequestHandler = (_req, res, next) => {
  // Rebuilding the widget or editing the console must show on the next reload.
  res.setHeader('Cache-Control', 'no-store');
  next();
};

export function createFileRoutes(options: { widgetDir?: string } = {}): Router {
  const router = Router();
  router.use(noStore);
  router.get('/vendor/:name', (req, res) => {
    const file = resolveVendor(String(req.params.name));
    if (!file) {
      res.status(404).type('text/plain').send(`${req.params.name} is not installed: run \`npm start\` (or pnpm install) at the repository root`);
      return;
    }
    res.type('application/javascript');
    fs.createReadStream(file).pipe(res);
  });
  router.get('/host/amo-host.js', (_req, res) => {
    res.type('application/javascript');
    fs.createReadStream(AMO_HOST_SCRIPT).pipe(res);
  });
  router.use('/assets', express.static(path.join(SANDBOX_ASSETS, 'public'), { index: false, etag: false, lastModified: false }));
  router.use('/widget', express.static(options.widgetDir ?? WIDGET_DIST, { index: false, etag: false, lastModified: false }));
  router.use('/widget', (_req, res) => {
    res.status(404).type('text/plain').send('the widget is not built: run `pnpm --filter @amochan/widget build` (or `npm start`), then reload');
  });
  return router;
}
