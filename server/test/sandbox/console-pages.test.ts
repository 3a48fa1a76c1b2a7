import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { jwtVerify } from 'jose';
import request from 'supertest';
import { usesDemoProvider } from '../../src/sandbox/bootstrap';
import { createFileRoutes } from '../../src/sandbox/files';
import { signProviderEvent } from '../../src/outbox/provider-signature';
import { createHarness } from '../support/widget-harness';
import { startSandboxHarness, type SandboxHarness } from '../support/sandbox-harness';
import { json } from '../support/http-client';

jest.setTimeout(20_000);

describe('the sandbox console exists only in sandbox mode', () => {
  it('answers 404 with the standard error body when a channel is configured', async () => {
    const h = await createHarness();
    try {
      for (const url of ['/sandbox', '/sandbox/', '/sandbox/events', '/sandbox/api/state', '/sandbox/host']) {
        const res = await request(h.app).get(url);
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe('not_found');
      }
      const hook = await request(h.app).post('/sandbox/provider/webhook').send({});
      expect(hook.status).toBe(404);
    } finally {
      await h.close();
    }
  });

  it('answers 404 in sandbox mode with SANDBOX_CONSOLE=false', async () => {
    const h = await startSandboxHarness({ SANDBOX_CONSOLE: 'false' });
    try {
      expect((await fetch(`${h.url}/sandbox`)).status).toBe(404);
      expect(usesDemoProvider(h.config)).toBe(false);
    } finally {
      await h.close();
    }
  });
});

describe('sandbox console pages and files', () => {
  let h: SandboxHarness;
  beforeAll(async () => {
    h = await startSandboxHarness();
  });
  afterAll(() => h.close());

  it('renders the console with the demo credentials, escaped, and a CSP without upgrade-insecure-requests', async () => {
    const res = await fetch(`${h.url}/sandbox`);
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(res.headers.get('content-security-policy')).not.toMatch(/upgrade-insecure-requests/);
    expect(html).toContain('<title>amochan sandbox</title>');
    expect(html).toContain('data-boot="{&quot;login&quot;:&quot;demo&quot;');
    expect(html).toContain('id="event-log"');
  });

  it('renders the widget host page with the sandbox amojo id', async () => {
    const html = await (await fetch(`${h.url}/sandbox/host`)).text();
    expect(html).toContain('0b5e55ed-5a4d-4b0c-8a11-00000000de70');
    expect(html).toMatch(/\/sandbox\/vendor\/require\.js/);
  });

  it('streams the host libraries from node_modules and refuses unknown ones', async () => {
    for (const name of ['jquery.js', 'require.js', 'twig.min.js']) {
      const res = await fetch(`${h.url}/sandbox/vendor/${name}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/javascript/);
      expect((await res.text()).length).toBeGreaterThan(10_000);
    }
    expect((await fetch(`${h.url}/sandbox/vendor/evil.js`)).status).toBe(404);
    expect((await fetch(`${h.url}/sandbox/vendor/..%2Fpackage.json`)).status).toBe(404);
  });

  it('serves console assets and says how to build a missing widget', async () => {
    expect((await fetch(`${h.url}/sandbox/assets/console.js`)).status).toBe(200);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amochan-no-widget-'));
    const app = express().use(createFileRoutes({ widgetDir: path.join(dir, 'nothing') }));
    const res = await request(app).get('/widget/script.js');
    expect(res.status).toBe(404);
    expect(res.text).toMatch(/pnpm --filter @amochan\/widget build/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('validates console API input (400 naming the field) and refuses manager actions before connect (409)', async () => {
    const bad = await json(`${h.url}/sandbox/api/inbox/write-first`, 'POST', { phone: 'call me', text: 'hi' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/^body\.phone/) });
    const early = await json(`${h.url}/sandbox/api/inbox/write-first`, 'POST', { phone: '+7 900 000-00-01', text: 'hi' });
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('account_not_connected');
  });
});

describe('widget tokens in sandbox mode (OAuth on against the emulator)', () => {
  it("the host page gets a token amoCRM-shaped enough for /widget/v1, signed with an operator's own integration secret, good for one call", async () => {
    const secret = 'sandbox-client-secret-0123456789abcdef';
    const h = await startSandboxHarness({ AMOCRM_CLIENT_SECRET: secret, AMOCRM_CLIENT_ID: 'c0ffee00-0000-4000-8000-000000000001' });
    try {
      const status = `${h.url}/widget/v1/status?amojo_id=${h.sandbox.amojoAccountId}`;
      expect((await fetch(status)).status).toBe(403);
      const token = await h.widgetToken();
      const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ['HS256'] });
      expect(payload).toMatchObject({ client_uuid: 'c0ffee00-0000-4000-8000-000000000001', account_id: h.sandbox.amocrmAccountId });
      const res = await fetch(status, { headers: { 'X-Auth-Token': token } });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'disconnected', installation: null });
      // One use only, like amoCRM's (jti).
      expect((await fetch(status, { headers: { 'X-Auth-Token': token } })).status).toBe(403);
    } finally {
      await h.close();
    }
  });
});

describe('the demo provider webhook', () => {
  let h: SandboxHarness;
  beforeAll(async () => {
    h = await startSandboxHarness();
  });
  afterAll(() => h.close());

  const event = { id: 'evt_1', type: 'account.connected', created_at: Date.now(), account: 'demo', data: { scope_id: 'scope-1' } };

  it('rejects a bad signature with 401 invalid_signature and logs the refusal', async () => {
    const body = JSON.stringify(event);
    for (const signature of [signProviderEvent(body, 'not-the-secret', Date.now()), 't=1,v1=00', '']) {
      const res = await fetch(`${h.url}/sandbox/provider/webhook`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Amochan-Signature': signature },
        body,
      });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_signature');
    }
    const logged = h.records('provider_event').map((r) => r.data);
    expect(logged).toHaveLength(3);
    expect(logged.every((d) => 'verified' in d && d.verified === false && d.status === 401)).toBe(true);
    expect((await json(`${h.url}/sandbox/api/state`)).body.customer.account.connected).toBe(false);
  });

  it('accepts a correctly signed event (raw bytes, secret from the config)', async () => {
    const body = JSON.stringify(event);
    const res = await fetch(`${h.url}/sandbox/provider/webhook`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Amochan-Signature': signProviderEvent(body, h.config.PROVIDER_WEBHOOK_SECRET!, Date.now()) },
      body,
    });
    expect(res.status).toBe(200);
    expect((await json(`${h.url}/sandbox/api/state`)).body.customer.account).toEqual({ login: 'demo', connected: true, scopeId: 'scope-1' });
  });

  it('refuses a signature older than five minutes', async () => {
    const body = JSON.stringify(event);
    const res = await fetch(`${h.url}/sandbox/provider/webhook`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-Amochan-Signature': signProviderEvent(body, h.config.PROVIDER_WEBHOOK_SECRET!, Date.now() - 10 * 60_000),
      },
      body,
    });
    expect(res.status).toBe(401);
  });
});
