import request from 'supertest';
import { createReplayCache, verifyWidgetToken } from '../../src/http/widget-auth';
import { AppError } from '../../src/lib/errors';
import { createMemorySharedState } from '../../src/storage/memory/shared-state';
import { AUDIENCE, CLIENT_SECRET, CLIENT_UUID, createHarness, makeToken, newAmojoId, tokenEnv, type WidgetHarness } from '../support/widget-harness';

const tokenConfig = { AMOCRM_CLIENT_SECRET: CLIENT_SECRET, AMOCRM_TOKEN_AUDIENCE: AUDIENCE, AMOCRM_CLIENT_ID: CLIENT_UUID };

async function refusal(token: string, now = Date.now(), config: Parameters<typeof verifyWidgetToken>[1] = tokenConfig): Promise<string> {
  try {
    await verifyWidgetToken(token, config, createReplayCache(createMemorySharedState()), now);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('invalid_token');
    return (err as AppError).message;
  }
  throw new Error('token was accepted');
}

describe('verifyWidgetToken', () => {
  it('accepts a valid token and returns the caller', async () => {
    const caller = await verifyWidgetToken(await makeToken({ accountId: 555 }), tokenConfig, createReplayCache(createMemorySharedState()), Date.now());
    expect(caller).toEqual({ amocrmAccountId: 555, userId: 7001, subdomain: 'acme' });
  });

  it('accepts Kommo and amocrm.com issuers and an audience with a trailing slash', async () => {
    for (const iss of ['https://acme.kommo.com', 'https://acme.amocrm.com']) {
      await expect(
        verifyWidgetToken(await makeToken({ claims: { iss, aud: `${AUDIENCE}/` } }), tokenConfig, createReplayCache(createMemorySharedState()), Date.now()),
      ).resolves.toBeTruthy();
    }
  });

  it('expired (beyond the 60 s leeway)', async () => {
    const issued = Date.now() - 3600_000;
    expect(await refusal(await makeToken({ nowMs: issued, lifetimeS: 1800 }))).toMatch(/expired/);
  });

  it('expired within the leeway is still accepted', async () => {
    const now = Date.now();
    const token = await makeToken({ nowMs: now - 1830_000, lifetimeS: 1800 });
    await expect(verifyWidgetToken(token, tokenConfig, createReplayCache(createMemorySharedState()), now)).resolves.toBeTruthy();
  });

  it('not yet valid (nbf beyond the leeway)', async () => {
    const now = Date.now();
    expect(await refusal(await makeToken({ nowMs: now + 300_000 }), now)).toMatch(/nbf/);
  });

  it('wrong audience', async () => {
    expect(await refusal(await makeToken({ claims: { aud: 'https://evil.example.com' } }))).toMatch(/audience/);
    expect(await refusal(await makeToken({ claims: { aud: undefined } }))).toMatch(/audience/);
  });

  it('wrong signature', async () => {
    expect(await refusal(await makeToken({ secret: 'another-secret-another-secret-1234' }))).toMatch(/signature/);
    const token = await makeToken();
    expect(await refusal(`${token.slice(0, -4)}AAAA`)).toMatch(/signature|valid JWT/);
  });

  it('algorithms other than HS256, and unsigned tokens', async () => {
    expect(await refusal(await makeToken({ alg: 'HS512' }))).toMatch(/HS256/);
    const [, payload] = (await makeToken()).split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    expect(await refusal(none)).toMatch(/HS256|valid JWT/);
  });

  it('client_uuid of another integration', async () => {
    expect(await refusal(await makeToken({ claims: { client_uuid: 'someone-else' } }))).toMatch(/client_uuid/);
  });

  it('issuer that is not an amoCRM/Kommo account', async () => {
    for (const iss of ['https://amocrm.ru.evil.com', 'http://acme.amocrm.ru', 'not a url', undefined]) {
      expect(await refusal(await makeToken({ claims: { iss } }))).toMatch(/issuer/);
    }
  });

  it('missing jti, exp or account_id', async () => {
    expect(await refusal(await makeToken({ claims: { jti: undefined } }))).toMatch(/jti/);
    expect(await refusal(await makeToken({ claims: { exp: undefined } }))).toMatch(/exp/);
    expect(await refusal(await makeToken({ claims: { account_id: 'x' } }))).toMatch(/account_id/);
  });

  it('garbage', async () => {
    expect(await refusal('not-a-jwt')).toMatch(/valid JWT/);
  });

  it('skips the optional checks when their settings are absent', async () => {
    const token = await makeToken({ claims: { aud: 'anything', client_uuid: undefined } });
    await expect(
      verifyWidgetToken(token, { AMOCRM_CLIENT_SECRET: CLIENT_SECRET }, createReplayCache(createMemorySharedState()), Date.now()),
    ).resolves.toBeTruthy();
  });
});

describe('replay cache', () => {
  it('refuses a jti twice in one account until it expires, then forgets it', async () => {
    const cache = createReplayCache(createMemorySharedState());
    expect(await cache.remember(1, 'a', 2_000, 1_000)).toBe(true);
    expect(await cache.remember(1, 'a', 2_000, 1_500)).toBe(false);
    expect(await cache.remember(1, 'a', 200_000, 100_000)).toBe(true);
  });

  it('one account flooding fresh tokens is slowed down (429) while other accounts go on', async () => {
    const cache = createReplayCache(createMemorySharedState(), 3);
    for (const jti of ['a', 'b', 'c']) expect(await cache.remember(7, jti, 10_000, 0)).toBe(true);
    await expect(cache.remember(7, 'd', 10_000, 0)).rejects.toMatchObject({ code: 'rate_limited', retryAfter: 60 });
    expect(await cache.remember(8, 'd', 10_000, 0)).toBe(true);
    // The next minute the flooding account gets a fresh budget.
    expect(await cache.remember(7, 'd', 70_000, 60_000)).toBe(true);
  });

  it("two caches on one shared state (two instances on one database) refuse each other's tokens", async () => {
    const shared = createMemorySharedState();
    expect(await createReplayCache(shared).remember(1, 'x', 10_000, 0)).toBe(true);
    expect(await createReplayCache(shared).remember(1, 'x', 10_000, 1)).toBe(false);
  });
});

describe('/widget/v1 with AMOCRM_CLIENT_SECRET set', () => {
  let h: WidgetHarness;
  beforeEach(async () => {
    h = await createHarness({ env: tokenEnv });
  });
  afterEach(() => h.close());

  const connect = (token: string | null, amojoId: string, login = 'alice', password = `${login}-pass`) => {
    const req = request(h.app).post('/widget/v1/connect');
    if (token !== null) req.set('X-Auth-Token', token);
    return req.send({ login, password, amojo_id: amojoId });
  };

  it('a valid token connects and binds the amoCRM account id', async () => {
    const amojoId = newAmojoId();
    await connect(await makeToken({ accountId: 100 }), amojoId).expect(200);
    expect(await h.store.connections.getByAmojoAccount(amojoId)).toMatchObject({ amocrmAccountId: 100 });
  });

  it('no token: 403 invalid_token', async () => {
    const res = await connect(null, newAmojoId());
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('invalid_token');
    expect(res.body.error.message).toMatch(/X-Auth-Token/);
  });

  it.each([
    ['expired', () => makeToken({ nowMs: Date.now() - 7200_000 })],
    ['wrong audience', () => makeToken({ claims: { aud: 'https://other.example.com' } })],
    ['wrong signature', () => makeToken({ secret: 'not-the-client-secret-not-the-client' })],
  ])('%s: 403 invalid_token, nothing connected', async (_name, make) => {
    const res = await connect(await make(), newAmojoId());
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('invalid_token');
    expect(h.emulator.control.listConnections()).toHaveLength(0);
  });

  it('a reused jti: 403', async () => {
    const token = await makeToken();
    await connect(token, newAmojoId()).expect(200);
    const res = await connect(token, newAmojoId());
    expect(res.status).toBe(403);
    expect(res.body.error.message).toMatch(/already used/);
  });

  it("another amoCRM account's token can neither take over nor disconnect the binding, nor tell it from an unbound one", async () => {
    const amojoId = newAmojoId();
    await connect(await makeToken({ accountId: 100 }), amojoId).expect(200);

    const takeover = await connect(await makeToken({ accountId: 200 }), amojoId, 'bob');
    expect(takeover.status).toBe(403);
    expect(takeover.body.error.code).toBe('forbidden');

    const drop = await request(h.app)
      .post('/widget/v1/disconnect')
      .set('X-Auth-Token', await makeToken({ accountId: 200 }))
      .send({ login: 'alice', password: 'alice-pass', amojo_id: amojoId });
    expect(drop.status).toBe(404);

    const peek = await request(h.app)
      .get('/widget/v1/status')
      .query({ amojo_id: amojoId })
      .set('X-Auth-Token', await makeToken({ accountId: 200 }));
    const unbound = await request(h.app)
      .get('/widget/v1/status')
      .query({ amojo_id: newAmojoId() })
      .set('X-Auth-Token', await makeToken({ accountId: 200 }));
    expect(peek.status).toBe(200);
    expect(peek.body).toEqual(unbound.body);
    expect(peek.body).toEqual({ status: 'disconnected', installation: null });

    expect(await h.store.connections.getByAmojoAccount(amojoId)).toMatchObject({ login: 'alice', status: 'connected', amocrmAccountId: 100 });
    expect(h.emulator.control.listConnections()[0]!.connected).toBe(true);
  });

  it('the owning account can move the binding to another login and disconnect it', async () => {
    const amojoId = newAmojoId();
    await connect(await makeToken({ accountId: 100 }), amojoId).expect(200);
    await connect(await makeToken({ accountId: 100 }), amojoId, 'bob').expect(200);
    await request(h.app)
      .post('/widget/v1/disconnect')
      .set('X-Auth-Token', await makeToken({ accountId: 100 }))
      .send({ login: 'bob', password: 'bob-pass', amojo_id: amojoId })
      .expect(200);
  });

  it('status and source need a token too', async () => {
    expect((await request(h.app).get('/widget/v1/status').query({ amojo_id: newAmojoId() })).status).toBe(403);
    expect((await request(h.app).post('/widget/v1/source').send({ amojo_id: newAmojoId(), pipeline_id: 1 })).status).toBe(403);
    const ok = await request(h.app)
      .get('/widget/v1/status')
      .query({ amojo_id: newAmojoId() })
      .set('X-Auth-Token', await makeToken());
    expect(ok.body).toEqual({ status: 'disconnected', installation: null });
  });

  it('never logs the token', async () => {
    const token = await makeToken();
    await connect(token, newAmojoId()).expect(200);
    await connect(token, newAmojoId()).expect(403);
    expect(h.logs.text()).not.toContain(token);
    expect(h.logs.text()).not.toContain(CLIENT_SECRET);
  });
});
