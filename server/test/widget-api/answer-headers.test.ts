import request from 'supertest';
import { createHarness, makeToken, newAmojoId, tokenEnv, type WidgetHarness } from '../support/widget-harness';

/** What every widget API answer carries besides its body, and what is refused before the body is read. */

describe('widget API answers', () => {
  let h: WidgetHarness;
  afterEach(() => h.close());

  it('carry the security headers, are readable cross-origin and never cached, errors included', async () => {
    h = await createHarness();
    const ok = await request(h.app).get('/widget/v1/status').query({ amojo_id: newAmojoId() });
    const refused = await request(h.app).post('/widget/v1/connect').send({ login: 'alice', password: 'nope', amojo_id: newAmojoId() });
    expect([ok.status, refused.status]).toEqual([200, 401]);
    for (const res of [ok, refused]) {
      expect(res.headers['content-security-policy']).toMatch(/default-src 'self'/);
      expect(res.headers['strict-transport-security']).toMatch(/max-age=/);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
      expect(res.headers['cache-control']).toBe('no-store');
    }
  });

  it('of the password checks say where the caller stands against the per-IP and per-login limits', async () => {
    h = await createHarness({ env: { WIDGET_RATE_LIMIT_PER_IP: '5', WIDGET_RATE_LIMIT_PER_LOGIN: '3', WIDGET_RATE_WINDOW_MS: '60000' } });
    // No login in the body: only the per-IP limit applies.
    const noLogin = await request(h.app).post('/widget/v1/connect').send({ amojo_id: newAmojoId() });
    expect(noLogin.status).toBe(400);
    expect(noLogin.headers['ratelimit-policy']).toBe('5;w=60');
    expect(noLogin.headers.ratelimit).toMatch(/^limit=5, remaining=4, reset=\d+$/);
    const failed = await request(h.app).post('/widget/v1/connect').send({ login: 'alice', password: 'nope', amojo_id: newAmojoId() });
    expect(failed.status).toBe(401);
    expect(failed.headers['ratelimit-policy']).toBe('3;w=60');
    expect(failed.headers.ratelimit).toMatch(/^limit=3, remaining=2, reset=\d+$/);
    // Status checks no password: no limit, no headers.
    expect((await request(h.app).get('/widget/v1/status').query({ amojo_id: newAmojoId() })).headers.ratelimit).toBeUndefined();
  });

  it('HEAD is answered as GET, without the body', async () => {
    h = await createHarness();
    const res = await request(h.app).head('/widget/v1/status').query({ amojo_id: newAmojoId() });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.text).toBeUndefined();
  });
});

describe('widget API with tokens: the token is checked before the body is read', () => {
  let h: WidgetHarness;
  beforeEach(async () => {
    h = await createHarness({ env: tokenEnv });
  });
  afterEach(() => h.close());

  it('a body too large or not JSON, without a token: 403, not 413 or 400', async () => {
    const big = await request(h.app)
      .post('/widget/v1/connect')
      .send({ login: 'alice', password: 'x'.repeat(20_000), amojo_id: newAmojoId() });
    expect(big.status).toBe(403);
    expect(big.body.error.code).toBe('invalid_token');
    const broken = await request(h.app).post('/widget/v1/connect').set('Content-Type', 'application/json').send('{"login":');
    expect(broken.status).toBe(403);
  });

  it('with a valid token the body rules apply as without tokens', async () => {
    const big = await request(h.app)
      .post('/widget/v1/connect')
      .set('X-Auth-Token', await makeToken())
      .send({ login: 'alice', password: 'x'.repeat(20_000), amojo_id: newAmojoId() });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('payload_too_large');
  });
});
