import request from 'supertest';
import { createHarness, makeToken, newAmojoId, providerEvents, tokenEnv, type WidgetHarness } from '../support/widget-harness';

describe('disconnect, status, source', () => {
  let h: WidgetHarness;
  let amojoId: string;
  beforeEach(async () => {
    h = await createHarness();
    amojoId = newAmojoId();
    await request(h.app).post('/widget/v1/connect').send({ login: 'alice', password: 'alice-pass', amojo_id: amojoId }).expect(200);
  });
  afterEach(() => h.close());

  const disconnect = (body: Record<string, unknown>) => request(h.app).post('/widget/v1/disconnect').send(body);

  describe('POST /widget/v1/disconnect', () => {
    it('disconnects at amojo, marks the binding and enqueues account.disconnected', async () => {
      h.clock.advance(1000);
      const res = await disconnect({ login: 'alice', password: 'alice-pass', amojo_id: amojoId });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'disconnected' });
      expect(h.emulator.control.listConnections()[0]!.connected).toBe(false);
      expect(await h.store.connections.getByAmojoAccount(amojoId)).toMatchObject({ status: 'disconnected', disconnectedAt: h.clock.now() });
      const events = await providerEvents(h.store);
      expect(events[1]).toMatchObject({
        type: 'account.disconnected',
        account: 'alice',
        orderingKey: 'acct:alice',
        data: { amojo_id: amojoId, reason: 'widget' },
      });
    });

    it('is idempotent: a second disconnect answers 200 and sends nothing more', async () => {
      await disconnect({ login: 'alice', password: 'alice-pass', amojo_id: amojoId }).expect(200);
      await disconnect({ login: 'alice', password: 'alice-pass', amojo_id: amojoId }).expect(200);
      expect(await providerEvents(h.store)).toHaveLength(2);
    });

    it('needs the right password: 401, binding kept', async () => {
      const res = await disconnect({ login: 'alice', password: 'wrong', amojo_id: amojoId });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('invalid_credentials');
      expect(await h.store.connections.getByAmojoAccount(amojoId)).toMatchObject({ status: 'connected' });
    });

    it('refuses another login with valid credentials: 403', async () => {
      const res = await disconnect({ login: 'bob', password: 'bob-pass', amojo_id: amojoId });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
      expect(h.emulator.control.listConnections()[0]!.connected).toBe(true);
    });

    it('an amoCRM account never connected: 404', async () => {
      const res = await disconnect({ login: 'alice', password: 'alice-pass', amojo_id: newAmojoId() });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    });

    it('amojo already forgot the account (404): still marked disconnected', async () => {
      h.emulator.control.failNext(1, 404, { status: 0, error_code: 404, error_type: 'ORIGIN_NOT_FOUND', error_description: 'not found' });
      const res = await disconnect({ login: 'alice', password: 'alice-pass', amojo_id: amojoId });
      expect(res.status).toBe(200);
      expect(await h.store.connections.getByAmojoAccount(amojoId)).toMatchObject({ status: 'disconnected' });
    });

    it('amojo failing: 502, binding still connected, no event', async () => {
      h.emulator.control.failNext(1, 500);
      const res = await disconnect({ login: 'alice', password: 'alice-pass', amojo_id: amojoId });
      expect(res.status).toBe(502);
      expect(res.body.error).toMatchObject({ code: 'amojo_error', amojo_status: 500 });
      expect(await h.store.connections.getByAmojoAccount(amojoId)).toMatchObject({ status: 'connected' });
      expect(await providerEvents(h.store)).toHaveLength(1);
    });

    it('validates its body', async () => {
      const res = await disconnect({ login: 'alice', amojo_id: amojoId });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/^body\.password:/);
    });

    it('without widget tokens the password stays required, even with no login either', async () => {
      const res = await disconnect({ amojo_id: amojoId });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/^body\.password:/) });
      expect(await h.store.connections.getByAmojoAccount(amojoId)).toMatchObject({ status: 'connected' });
    });
  });

  describe('GET /widget/v1/status', () => {
    it('connected', async () => {
      const res = await request(h.app).get('/widget/v1/status').query({ amojo_id: amojoId });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        status: 'connected',
        login: 'alice',
        scope_id: `${h.emulator.channelId}_${amojoId}`,
        connected_at: h.clock.now(),
        pipeline_id: null,
        installation: null,
      });
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it('disconnected after disconnect, and for an unknown account', async () => {
      await disconnect({ login: 'alice', password: 'alice-pass', amojo_id: amojoId }).expect(200);
      expect((await request(h.app).get('/widget/v1/status').query({ amojo_id: amojoId })).body).toEqual({ status: 'disconnected', installation: null });
      expect((await request(h.app).get('/widget/v1/status').query({ amojo_id: newAmojoId() })).body).toEqual({ status: 'disconnected', installation: null });
    });

    it('400 without a valid amojo_id', async () => {
      const res = await request(h.app).get('/widget/v1/status');
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/^query\.amojo_id:/);
      expect((await request(h.app).get('/widget/v1/status?amojo_id=x')).status).toBe(400);
    });
  });

  describe('POST /widget/v1/source', () => {
    it('stores the pipeline on the connection', async () => {
      const res = await request(h.app).post('/widget/v1/source').send({ amojo_id: amojoId, pipeline_id: 4242 });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok', pipeline_id: 4242 });
      expect(await h.store.connections.getByAmojoAccount(amojoId)).toMatchObject({ pipelineId: 4242 });
      expect((await request(h.app).get('/widget/v1/status').query({ amojo_id: amojoId })).body.pipeline_id).toBe(4242);
    });

    it('a re-connect keeps the pipeline', async () => {
      await request(h.app).post('/widget/v1/source').send({ amojo_id: amojoId, pipeline_id: 7 }).expect(200);
      await request(h.app).post('/widget/v1/connect').send({ login: 'alice', password: 'alice-pass', amojo_id: amojoId }).expect(200);
      expect(await h.store.connections.getByAmojoAccount(amojoId)).toMatchObject({ pipelineId: 7 });
    });

    it('accepts the pipeline id as a string (form bodies)', async () => {
      await request(h.app).post('/widget/v1/source').type('form').send({ amojo_id: amojoId, pipeline_id: '99' }).expect(200);
      expect(await h.store.connections.getByAmojoAccount(amojoId)).toMatchObject({ pipelineId: 99 });
    });

    it('404 not_found when the amoCRM account has no connection', async () => {
      const res = await request(h.app).post('/widget/v1/source').send({ amojo_id: newAmojoId(), pipeline_id: 1 });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    });

    it('400 for a bad pipeline id', async () => {
      for (const pipeline_id of [0, -1, 1.5, 'abc', null]) {
        const res = await request(h.app).post('/widget/v1/source').send({ amojo_id: amojoId, pipeline_id });
        expect(res.status).toBe(400);
        expect(res.body.error.message).toMatch(/^body\.pipeline_id:/);
      }
    });
  });
});

describe('POST /widget/v1/disconnect with widget tokens (the widget disabling itself)', () => {
  let h: WidgetHarness;
  let amojoId: string;
  const OWNER = 100;
  const disconnect = async (accountId: number, body: Record<string, unknown>) =>
    request(h.app)
      .post('/widget/v1/disconnect')
      .set('X-Auth-Token', await makeToken({ accountId }))
      .send(body);
  beforeEach(async () => {
    h = await createHarness({ env: tokenEnv });
    amojoId = newAmojoId();
    await request(h.app)
      .post('/widget/v1/connect')
      .set('X-Auth-Token', await makeToken({ accountId: OWNER }))
      .send({ login: 'alice', password: 'alice-pass', amojo_id: amojoId })
      .expect(200);
  });
  afterEach(() => h.close());

  it("the bound amoCRM account's token is enough: no login, no password", async () => {
    const res = await disconnect(OWNER, { amojo_id: amojoId });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'disconnected' });
    expect(h.emulator.control.listConnections()[0]!.connected).toBe(false);
    expect(await h.store.connections.getByAmojoAccount(amojoId)).toMatchObject({ status: 'disconnected' });
    expect((await providerEvents(h.store))[1]).toMatchObject({ type: 'account.disconnected', account: 'alice', data: { amojo_id: amojoId, reason: 'widget' } });
  });

  it('a login without a password must still be the bound one', async () => {
    const res = await disconnect(OWNER, { login: 'bob', amojo_id: amojoId });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    await disconnect(OWNER, { login: 'alice', amojo_id: amojoId }).then((r) => expect(r.status).toBe(200));
  });

  it("another amoCRM account's token: 404 as for an unbound account (no oracle), still connected", async () => {
    const res = await disconnect(200, { amojo_id: amojoId });
    const unbound = await disconnect(200, { amojo_id: newAmojoId() });
    expect(res.status).toBe(404);
    expect(res.body).toEqual(unbound.body);
    expect(h.emulator.control.listConnections()[0]!.connected).toBe(true);
    expect(await providerEvents(h.store)).toHaveLength(1);
  });

  it('a password without a login: 400 naming the login', async () => {
    const res = await disconnect(OWNER, { password: 'alice-pass', amojo_id: amojoId });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/^body\.login:/) });
  });

  it('a wrong password is still checked when one is sent', async () => {
    const res = await disconnect(OWNER, { login: 'alice', password: 'wrong', amojo_id: amojoId });
    expect(res.status).toBe(401);
    expect(await h.store.connections.getByAmojoAccount(amojoId)).toMatchObject({ status: 'connected' });
  });

  it('a binding made before tokens were required needs the password: 400 naming it', async () => {
    const legacy = newAmojoId();
    const untokened = await createHarness({ store: h.store, emulator: h.emulator });
    await request(untokened.app).post('/widget/v1/connect').send({ login: 'bob', password: 'bob-pass', amojo_id: legacy }).expect(200);
    const res = await disconnect(OWNER, { amojo_id: legacy });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/^body\.password: is required/) });
    expect(await h.store.connections.getByAmojoAccount(legacy)).toMatchObject({ status: 'connected', amocrmAccountId: null });
    expect((await disconnect(OWNER, { login: 'bob', password: 'bob-pass', amojo_id: legacy })).status).toBe(200);
  });
});
