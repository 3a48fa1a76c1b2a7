import request from 'supertest';
import { isAllowedOrigin } from '../../src/http/cors';
import { createApp, parseTrustProxy } from '../../src/http/app';
import { createTestDeps } from '../support/app-factory';
import { createHarness, newAmojoId, type WidgetHarness } from '../support/widget-harness';

describe('CORS on /widget/v1', () => {
  let h: WidgetHarness;
  beforeAll(async () => {
    h = await createHarness({ env: { ALLOWED_ORIGINS: 'http://localhost:8080, https://dev.example.com/' } });
  });
  afterAll(() => h.close());

  it.each(['https://acme.amocrm.ru', 'https://acme.amocrm.com', 'https://acme.kommo.com', 'http://localhost:8080', 'https://dev.example.com'])(
    'preflight from %s is answered',
    async (origin) => {
      const res = await request(h.app)
        .options('/widget/v1/connect')
        .set('Origin', origin)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'content-type,x-auth-token');
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(origin);
      expect(res.headers['access-control-allow-headers']).toMatch(/X-Auth-Token/);
      expect(res.headers['access-control-allow-headers']).toMatch(/Content-Type/);
      expect(res.headers['access-control-allow-methods']).toMatch(/POST/);
      expect(res.headers.vary).toMatch(/Origin/);
    },
  );

  it.each(['https://evil.com', 'http://acme.amocrm.ru', 'https://amocrm.ru.evil.com', 'https://a.b.amocrm.ru', 'null'])(
    'origin %s is refused',
    async (origin) => {
      const pre = await request(h.app).options('/widget/v1/connect').set('Origin', origin).set('Access-Control-Request-Method', 'POST');
      expect(pre.status).toBe(403);
      expect(pre.headers['access-control-allow-origin']).toBeUndefined();
      const post = await request(h.app)
        .post('/widget/v1/connect')
        .set('Origin', origin)
        .send({ login: 'alice', password: 'alice-pass', amojo_id: newAmojoId() });
      expect(post.status).toBe(403);
      expect(post.body.error.code).toBe('forbidden');
      expect(h.emulator.control.listConnections()).toHaveLength(0);
    },
  );

  it('actual requests from an allowed origin carry the allow-origin header', async () => {
    const res = await request(h.app).get('/widget/v1/status').query({ amojo_id: newAmojoId() }).set('Origin', 'https://acme.amocrm.ru');
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('https://acme.amocrm.ru');
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
  });

  it('same-origin browser requests (a page served by this server) pass', async () => {
    const res = await request(h.app)
      .post('/widget/v1/source')
      .set('Host', 'amochan.local:3000')
      .set('Origin', 'http://amochan.local:3000')
      .send({ amojo_id: newAmojoId(), pipeline_id: 1 });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });

  it('CORS is for /widget/v1 only', async () => {
    const res = await request(h.app).get('/healthz').set('Origin', 'https://acme.amocrm.ru');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('isAllowedOrigin', () => {
    expect(isAllowedOrigin('https://ACME.amoCRM.ru', [])).toBe(true);
    expect(isAllowedOrigin('https://acme.amocrm.ru:8443', [])).toBe(false);
    expect(isAllowedOrigin('https://x.example', ['https://x.example/'])).toBe(true);
  });
});

describe('rate limits on connect', () => {
  let h: WidgetHarness;
  afterEach(() => h.close());

  it('per login: failed attempts only, 429 with Retry-After and the error body', async () => {
    h = await createHarness({ env: { WIDGET_RATE_LIMIT_PER_LOGIN: '3', WIDGET_RATE_LIMIT_PER_IP: '100', WIDGET_RATE_WINDOW_MS: '60000' } });
    const amojoId = newAmojoId();
    // Successes do not count.
    for (let i = 0; i < 4; i++) await request(h.app).post('/widget/v1/connect').send({ login: 'alice', password: 'alice-pass', amojo_id: amojoId }).expect(200);
    for (let i = 0; i < 3; i++) await request(h.app).post('/widget/v1/connect').send({ login: 'alice', password: 'guess', amojo_id: amojoId }).expect(401);
    const res = await request(h.app).post('/widget/v1/connect').send({ login: 'alice', password: 'alice-pass', amojo_id: amojoId });
    expect(res.status).toBe(429);
    expect(res.body.error.code).toBe('rate_limited');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
    // Another login is not affected.
    await request(h.app).post('/widget/v1/connect').send({ login: 'bob', password: 'bob-pass', amojo_id: newAmojoId() }).expect(200);
    // Disconnect shares the per-login budget (it checks the password too).
    expect((await request(h.app).post('/widget/v1/disconnect').send({ login: 'alice', password: 'x', amojo_id: amojoId })).status).toBe(429);
  });

  it("per login counts per source: a stranger guessing from elsewhere cannot lock the owner out, and a correct password clears the owner's failures", async () => {
    h = await createHarness({ env: { WIDGET_RATE_LIMIT_PER_LOGIN: '2', WIDGET_RATE_LIMIT_PER_IP: '100', TRUST_PROXY: 'true' } });
    const from = (ip: string, password: string) =>
      request(h.app).post('/widget/v1/connect').set('X-Forwarded-For', ip).send({ login: 'alice', password, amojo_id: newAmojoId() });
    for (let i = 0; i < 2; i++) await from('198.51.100.66', 'guess').expect(401);
    await from('198.51.100.66', 'guess').expect(429);
    // The owner, from their own address, is unaffected.
    await from('203.0.113.7', 'typo').expect(401);
    await from('203.0.113.7', 'alice-pass').expect(200);
    // That success cleared the owner's one failure: two more typos are allowed before the brake.
    await from('203.0.113.7', 'typo').expect(401);
    await from('203.0.113.7', 'typo').expect(401);
    await from('203.0.113.7', 'alice-pass').expect(429);
  });

  it('two apps on one store (two instances on one database) count together', async () => {
    h = await createHarness({ env: { WIDGET_RATE_LIMIT_PER_IP: '3', WIDGET_RATE_LIMIT_PER_LOGIN: '100' } });
    const other = createApp(createTestDeps({ config: h.deps.config, store: h.store, logger: h.deps.logger, emulator: h.emulator }));
    await request(h.app).post('/widget/v1/connect').send({ login: 'alice', password: 'alice-pass', amojo_id: newAmojoId() }).expect(200);
    await request(other).post('/widget/v1/connect').send({ login: 'alice', password: 'alice-pass', amojo_id: newAmojoId() }).expect(200);
    await request(h.app).post('/widget/v1/connect').send({ login: 'alice', password: 'alice-pass', amojo_id: newAmojoId() }).expect(200);
    await request(other).post('/widget/v1/connect').send({ login: 'alice', password: 'alice-pass', amojo_id: newAmojoId() }).expect(429);
  });

  it('per IP: every attempt counts', async () => {
    h = await createHarness({ env: { WIDGET_RATE_LIMIT_PER_IP: '2', WIDGET_RATE_LIMIT_PER_LOGIN: '100' } });
    await request(h.app).post('/widget/v1/connect').send({ login: 'alice', password: 'alice-pass', amojo_id: newAmojoId() }).expect(200);
    await request(h.app).post('/widget/v1/connect').send({ login: 'bob', password: 'bob-pass', amojo_id: newAmojoId() }).expect(200);
    const res = await request(h.app).post('/widget/v1/connect').send({ login: 'bob', password: 'bob-pass', amojo_id: newAmojoId() });
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBeDefined();
    // Status is not a password check and is not limited.
    await request(h.app).get('/widget/v1/status').query({ amojo_id: newAmojoId() }).expect(200);
  });

  it('per IP honours TRUST_PROXY: X-Forwarded-For counts only when trusted', async () => {
    h = await createHarness({ env: { WIDGET_RATE_LIMIT_PER_IP: '1', TRUST_PROXY: 'true' } });
    await request(h.app)
      .post('/widget/v1/connect')
      .set('X-Forwarded-For', '203.0.113.1')
      .send({ login: 'alice', password: 'alice-pass', amojo_id: newAmojoId() })
      .expect(200);
    await request(h.app)
      .post('/widget/v1/connect')
      .set('X-Forwarded-For', '203.0.113.2')
      .send({ login: 'bob', password: 'bob-pass', amojo_id: newAmojoId() })
      .expect(200);
    await request(h.app)
      .post('/widget/v1/connect')
      .set('X-Forwarded-For', '203.0.113.2')
      .send({ login: 'bob', password: 'bob-pass', amojo_id: newAmojoId() })
      .expect(429);
    await h.close();
    h = await createHarness({ env: { WIDGET_RATE_LIMIT_PER_IP: '1', TRUST_PROXY: 'false' } });
    await request(h.app)
      .post('/widget/v1/connect')
      .set('X-Forwarded-For', '203.0.113.1')
      .send({ login: 'alice', password: 'alice-pass', amojo_id: newAmojoId() })
      .expect(200);
    await request(h.app)
      .post('/widget/v1/connect')
      .set('X-Forwarded-For', '203.0.113.2')
      .send({ login: 'bob', password: 'bob-pass', amojo_id: newAmojoId() })
      .expect(429);
  });

  it('parseTrustProxy', () => {
    expect(parseTrustProxy('true')).toBe(true);
    expect(parseTrustProxy('false')).toBe(false);
    expect(parseTrustProxy('2')).toBe(2);
    expect(parseTrustProxy('loopback, 10.0.0.0/8')).toBe('loopback, 10.0.0.0/8');
  });
});

describe('app-wide behaviour', () => {
  let h: WidgetHarness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(() => h.close());

  it('security headers (helmet), no x-powered-by', async () => {
    const res = await request(h.app).get('/healthz');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toBeDefined();
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('unknown route: 404 in the standard error shape', async () => {
    const res = await request(h.app).post('/nope');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: 'no route for POST /nope' } });
    expect((await request(h.app).get('/widget/v1/nope')).body.error.code).toBe('not_found');
  });

  it('/healthz and /readyz', async () => {
    expect((await request(h.app).get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await request(h.app).get('/readyz')).body).toEqual({ status: 'ready' });
  });

  it('/readyz answers 503 not_ready when storage does not answer', async () => {
    const broken = await createHarness({ emulator: h.emulator });
    broken.store.ping = () => Promise.reject(new Error('disk on fire'));
    const res = await request(broken.app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('not_ready');
    expect(res.headers['retry-after']).toBe('5');
    expect((await request(broken.app).get('/healthz')).status).toBe(200);
    await broken.close();
  });

  it('an unexpected error is a 500 internal_error without internals, logged', async () => {
    const broken = await createHarness({ emulator: h.emulator });
    broken.store.connections.getByAmojoAccount = () => Promise.reject(new Error('boom: secret internals'));
    const res = await request(broken.app).get('/widget/v1/status').query({ amojo_id: newAmojoId() });
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: { code: 'internal_error', message: 'internal error; the server logged the details' } });
    expect(broken.logs.lines.some((l) => l.msg === 'unhandled error')).toBe(true);
    await broken.close();
  });

  it('logs one line per request without query strings or headers', async () => {
    await request(h.app).get('/widget/v1/status').query({ amojo_id: newAmojoId() }).set('X-Auth-Token', 'tok-should-not-appear');
    const line = h.logs.lines.reverse().find((l) => l.msg === 'request' && l.path === '/widget/v1/status');
    expect(line).toMatchObject({ method: 'GET', status: 200 });
    expect(h.logs.text()).not.toContain('tok-should-not-appear');
    expect(h.logs.text()).not.toContain('amojo_id=');
  });
});
