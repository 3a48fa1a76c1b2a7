// A loopback static server for the browser tests: the host harness page (test/host), the vendor
// scripts amoCRM provides (RequireJS, jQuery 2, Twig.js) and the files of a built widget.zip.
import fs from 'fs';
import http from 'http';
import type { AddressInfo } from 'net';
import path from 'path';

const WIDGET_DIR = path.join(__dirname, '..', '..');
const HOST_DIR = path.join(WIDGET_DIR, 'test', 'host');
const VENDOR: Record<string, string> = {
  '/vendor/require.js': path.join(WIDGET_DIR, 'node_modules/requirejs/require.js'),
  '/vendor/jquery.js': path.join(WIDGET_DIR, 'node_modules/jquery/dist/jquery.js'),
  '/vendor/twig.min.js': path.join(WIDGET_DIR, 'node_modules/twig/twig.min.js'),
};
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.twig': 'text/plain; charset=utf-8',
  '.png': 'image/png',
};

export interface HostConfig {
  lang: 'en' | 'ru';
  subdomain: string;
  accountId: number;
  userId: number;
  amojoId: string;
  clientSecret: string;
  /** Filled in by the server once its origin is known, unless given. */
  audience?: string;
  clientUuid: string;
}

export interface HostServer {
  origin: string;
  /** Replaces the config the next page load reads (the origin is known only after listen). */
  configure(config: HostConfig): void;
  close(): Promise<void>;
}

/** `widgetFiles`: the unzipped widget.zip, by name inside the zip. */
export async function startHostServer(widgetFiles: Map<string, Buffer>): Promise<HostServer> {
  let config: HostConfig | null = null;
  let origin = '';
  const send = (res: http.ServerResponse, status: number, type: string, body: Buffer | string) => {
    res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
    res.end(body);
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://host');
    const type = TYPES[path.extname(url.pathname)] ?? 'application/octet-stream';
    if (url.pathname === '/') return send(res, 200, TYPES['.html'], fs.readFileSync(path.join(HOST_DIR, 'index.html')));
    if (url.pathname === '/host-config.js') {
      const body = `window.AMOCHAN_HOST_CONFIG = ${JSON.stringify({ audience: origin, ...config })};`;
      return send(res, 200, TYPES['.js'], body);
    }
    if (VENDOR[url.pathname]) return send(res, 200, type, fs.readFileSync(VENDOR[url.pathname]));
    if (url.pathname.startsWith('/host/')) {
      const file = path.join(HOST_DIR, path.basename(url.pathname));
      if (fs.existsSync(file)) return send(res, 200, type, fs.readFileSync(file));
    }
    if (url.pathname.startsWith('/widget/')) {
      const file = widgetFiles.get(decodeURIComponent(url.pathname.slice('/widget/'.length)));
      if (file) return send(res, 200, type, file);
    }
    send(res, 404, 'text/plain', 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    configure(next) {
      config = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
