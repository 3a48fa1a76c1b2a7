import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpFetch } from '../../src/lib/http-fetch';
import { sleep } from '../support/wait';

describe('createHttpFetch', () => {
  let server: Server;
  let base: string;
  const fetchFn = createHttpFetch();
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (req.url === '/echo') {
          res.writeHead(201, { 'Content-Type': 'application/json', 'X-Seen': req.headers['x-test'] ?? '' });
          res.end(JSON.stringify({ method: req.method, body }));
        } else if (req.url === '/empty') {
          res.writeHead(204);
          res.end();
        } else if (req.url === '/redirect') {
          res.writeHead(302, { Location: '/echo' });
          res.end();
        } else if (req.url === '/slow') {
          setTimeout(() => res.end('late'), 500);
        } else {
          res.writeHead(503, { 'Retry-After': '7' });
          res.end('busy');
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    fetchFn.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('sends method, headers and body; returns status, headers and body', async () => {
    const res = await fetchFn(`${base}/echo`, { method: 'POST', headers: { 'X-Test': 'yes' }, body: 'hello' });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-seen')).toBe('yes');
    expect(await res.json()).toEqual({ method: 'POST', body: 'hello' });
  });

  it('handles 204, error statuses and does not follow redirects', async () => {
    expect((await fetchFn(`${base}/empty`)).status).toBe(204);
    const busy = await fetchFn(`${base}/other`);
    expect([busy.status, busy.headers.get('retry-after'), await busy.text()]).toEqual([503, '7', 'busy']);
    const redirect = await fetchFn(`${base}/redirect`, { method: 'POST', body: 'x' });
    expect([redirect.status, redirect.headers.get('location')]).toEqual([302, '/echo']);
  });

  it('aborts on the signal and rejects network errors', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(fetchFn(`${base}/slow`, { signal: controller.signal })).rejects.toThrow();
    expect(controller.signal.aborted).toBe(true);
    await expect(fetchFn('http://127.0.0.1:1/x')).rejects.toThrow(/fetch failed: .*ECONNREFUSED/);
  });

  it('reuses kept-alive sockets and survives the server closing them', async () => {
    for (let i = 0; i < 5; i++) expect((await fetchFn(`${base}/echo`, { method: 'POST', body: String(i) })).status).toBe(201);
    server.closeIdleConnections();
    await sleep(20);
    expect((await fetchFn(`${base}/echo`, { method: 'POST', body: 'after' })).status).toBe(201);
  });
});
