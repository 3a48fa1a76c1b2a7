import request from 'supertest';
import { createHarness, newAmojoId, providerEvents, type WidgetHarness } from '../support/widget-harness';

describe('POST /widget/v1/connect', () => {
  let h: WidgetHarness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(() => h.close());

  it('connects: checks credentials, connects at amojo, stores the binding, enqueues account.connected', async () => {
    const amojoId = newAmojoId();
    const res = await request(h.app).post('/widget/v1/connect').send({ login: 'alice', password: 'alice-pass', amojo_id: amojoId, title: 'My shop' });
    expect(res.status).toBe(200);
    const scopeId = `${h.emulator.channelId}_${amojoId}`;
    expect(res.body).toMatchObject({ status: 'connected', scope_id: scopeId, login: 'alice' });

    const scope = h.emulator.control.listConnections().find((s) => s.scopeId === scopeId);
    expect(scope).toMatchObject({ connected: true, title: 'My shop', hookApiVersion: 'v2' });

    const stored = await h.store.connections.getByAmojoAccount(amojoId);
    expect(stored).toMatchObject({ login: 'alice', scopeId, status: 'connected', title: 'My shop', amocrmAccountId: null });
    expect(stored!.connectedAt).toBe(h.clock.now());

    const events = await providerEvents(h.store);
    expect(events).toEqual([
      {
        type: 'account.connected',
        account: 'alice',
        orderingKey: 'acct:alice',
        data: { amojo_id: amojoId, scope_id: scopeId, title: 'My shop', connected_at: h.clock.now() },
      },
    ]);
    const [entry] = await h.store.outbox.list({});
    expect(entry!.payload).toMatchObject({ id: expect.stringMatching(/^evt_/), created_at: h.clock.now() });
  });

  it('sends AMOJO_CHANNEL_TITLE when the widget gives no title', async () => {
    await h.close();
    h = await createHarness({ env: { AMOJO_CHANNEL_TITLE: 'Acme chat' } });
    const amojoId = newAmojoId();
    await request(h.app).post('/widget/v1/connect').send({ login: 'alice', password: 'alice-pass', amojo_id: amojoId }).expect(200);
    expect(h.emulator.control.listConnections()[0]!.title).toBe('Acme chat');
  });

  it('accepts a form-encoded body (jQuery $.ajax default)', async () => {
    const res = await request(h.app).post('/widget/v1/connect').type('form').send({ login: 'alice', password: 'alice-pass', amojo_id: newAmojoId() });
    expect(res.status).toBe(200);
  });

  it('re-connect of the same pair is idempotent: same answer, one event, connected_at kept', async () => {
    const amojoId = newAmojoId();
    const first = await request(h.app).post('/widget/v1/connect').send({ login: 'alice', password: 'alice-pass', amojo_id: amojoId });
    h.clock.advance(60_000);
    const second = await request(h.app).post('/widget/v1/connect').send({ login: 'alice', password: 'alice-pass', amojo_id: amojoId });
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(await providerEvents(h.store)).toHaveLength(1);
    expect(h.emulator.control.listConnections()[0]!.connectCount).toBe(2);
  });

  it('reconnects after a disconnect with a fresh connected_at and a new event', async () => {
    const amojoId = newAmojoId();
    await request(h.app).post('/widget/v1/connect').send({ login: 'alice', password: 'alice-pass', amojo_id: amojoId }).expect(200);
    await request(h.app).post('/widget/v1/disconnect').send({ login: 'alice', password: 'alice-pass', amojo_id: amojoId }).expect(200);
    h.clock.advance(5_000);
    const res = await request(h.app).post('/widget/v1/connect').send({ login: 'alice', password: 'alice-pass', amojo_id: amojoId });
    expect(res.body.connected_at).toBe(h.clock.now());
    expect((await providerEvents(h.store)).map((e) => e.type)).toEqual(['account.connected', 'account.disconnected', 'account.connected']);
  });

  it('moves the binding when the amoCRM account connects with another login; the old login is told', async () => {
    const amojoId = newAmojoId();
    await request(h.app).post('/widget/v1/connect').send({ login: 'alice', password: 'alice-pass', amojo_id: amojoId }).expect(200);
    const res = await request(h.app).post('/widget/v1/connect').send({ login: 'bob', password: 'bob-pass', amojo_id: amojoId });
    expect(res.status).toBe(200);
    expect(await h.store.connections.getByAmojoAccount(amojoId)).toMatchObject({ login: 'bob', status: 'connected' });
    expect(await h.store.connections.getConnectedByLogin('alice')).toBeNull();
    const events = await providerEvents(h.store);
    expect(events.map((e) => [e.type, e.account, e.data.reason])).toEqual([
      ['account.connected', 'alice', undefined],
      ['account.disconnected', 'alice', 'replaced'],
      ['account.connected', 'bob', undefined],
    ]);
  });

  it('a login connected elsewhere is released there (one amoCRM account per login)', async () => {
    const first = newAmojoId();
    const second = newAmojoId();
    await request(h.app).post('/widget/v1/connect').send({ login: 'alice', password: 'alice-pass', amojo_id: first }).expect(200);
    await request(h.app).post('/widget/v1/connect').send({ login: 'alice', password: 'alice-pass', amojo_id: second }).expect(200);
    expect(await h.store.connections.getByAmojoAccount(first)).toMatchObject({ status: 'disconnected' });
    expect(await h.store.connections.getConnectedByLogin('alice')).toMatchObject({ amojoAccountId: second });
    const scopes = h.emulator.control.listConnections();
    expect(scopes.find((s) => s.accountId === first)!.connected).toBe(false);
    expect((await providerEvents(h.store)).map((e) => [e.type, e.data.amojo_id, e.data.reason])).toEqual([
      ['account.connected', first, undefined],
      ['account.disconnected', first, 'moved'],
      ['account.connected', second, undefined],
    ]);
  });

  it('wrong password: 401 invalid_credentials, amojo not called, nothing stored', async () => {
    const amojoId = newAmojoId();
    const res = await request(h.app).post('/widget/v1/connect').send({ login: 'alice', password: 'nope', amojo_id: amojoId });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: { code: 'invalid_credentials', message: expect.stringContaining('wrong login or password') } });
    expect(h.emulator.control.listConnections()).toHaveLength(0);
    expect(await h.store.connections.list()).toHaveLength(0);
    expect(await providerEvents(h.store)).toHaveLength(0);
  });

  it('unknown login: the same 401 as a wrong password', async () => {
    const res = await request(h.app).post('/widget/v1/connect').send({ login: 'mallory', password: 'x', amojo_id: newAmojoId() });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('invalid_credentials');
  });

  it('amojo failure: 502 amojo_error with what amojo said; nothing stored', async () => {
    h.emulator.control.failNext(1, 500);
    const amojoId = newAmojoId();
    const res = await request(h.app).post('/widget/v1/connect').send({ login: 'alice', password: 'alice-pass', amojo_id: amojoId });
    expect(res.status).toBe(502);
    expect(res.body.error).toMatchObject({ code: 'amojo_error', amojo_status: 500, amojo_error_type: 'ORIGIN_INTERNAL_ERROR' });
    expect(res.body.error.message).toMatch(/amojo connect failed: .*500/);
    expect(await h.store.connections.list()).toHaveLength(0);
    expect(await providerEvents(h.store)).toHaveLength(0);
  });

  it('amojo refusing our signature: 502 naming the cause', async () => {
    h.emulator.control.failNext(1, 403, { status: 0, error_code: 403, error_type: 'ORIGIN_INVALID_SIGNATURE', error_description: 'invalid signature' });
    const res = await request(h.app).post('/widget/v1/connect').send({ login: 'alice', password: 'alice-pass', amojo_id: newAmojoId() });
    expect(res.status).toBe(502);
    expect(res.body.error.amojo_error_type).toBe('ORIGIN_INVALID_SIGNATURE');
    expect(res.body.error.message).toMatch(/channel secret/);
  });

  it('amojo unreachable: 502', async () => {
    await h.emulator.close();
    const res = await request(h.app).post('/widget/v1/connect').send({ login: 'alice', password: 'alice-pass', amojo_id: newAmojoId() });
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('amojo_error');
    expect(await h.store.connections.list()).toHaveLength(0);
  });

  it('a failed re-connect keeps the existing binding untouched', async () => {
    const amojoId = newAmojoId();
    await request(h.app).post('/widget/v1/connect').send({ login: 'alice', password: 'alice-pass', amojo_id: amojoId }).expect(200);
    const before = await h.store.connections.getByAmojoAccount(amojoId);
    h.emulator.control.failNext(1, 503);
    await request(h.app).post('/widget/v1/connect').send({ login: 'bob', password: 'bob-pass', amojo_id: amojoId }).expect(502);
    expect(await h.store.connections.getByAmojoAccount(amojoId)).toEqual(before);
  });

  it('two concurrent connects for one amoCRM account do not interleave', async () => {
    const amojoId = newAmojoId();
    h.emulator.control.latency(50);
    const [a, b] = await Promise.all([
      request(h.app).post('/widget/v1/connect').send({ login: 'alice', password: 'alice-pass', amojo_id: amojoId }),
      request(h.app).post('/widget/v1/connect').send({ login: 'bob', password: 'bob-pass', amojo_id: amojoId }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const final = await h.store.connections.getByAmojoAccount(amojoId);
    const events = await providerEvents(h.store);
    // Whichever ran second replaced the first: exactly one replaced event for the first login.
    expect(events.map((e) => e.type)).toEqual(['account.connected', 'account.disconnected', 'account.connected']);
    expect(events[2]!.account).toBe(final!.login);
    expect(events[1]!.account).toBe(events[0]!.account);
  });

  describe('validation: 400 invalid_request naming the field', () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['missing login', { password: 'p', amojo_id: '52e591f7-c98f-4255-8495-827210138c81' }, 'body.login'],
      ['empty password', { login: 'alice', password: '', amojo_id: '52e591f7-c98f-4255-8495-827210138c81' }, 'body.password'],
      ['amojo_id not a uuid', { login: 'alice', password: 'p', amojo_id: '12345' }, 'body.amojo_id'],
      ['login with spaces', { login: 'al ice', password: 'p', amojo_id: '52e591f7-c98f-4255-8495-827210138c81' }, 'body.login'],
      ['login not a string', { login: 42, password: 'p', amojo_id: '52e591f7-c98f-4255-8495-827210138c81' }, 'body.login'],
      ['title too long', { login: 'alice', password: 'p', amojo_id: '52e591f7-c98f-4255-8495-827210138c81', title: 'x'.repeat(300) }, 'body.title'],
    ];
    it.each(cases)('%s', async (_name, body, path) => {
      const res = await request(h.app).post('/widget/v1/connect').send(body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.message.startsWith(`${path}:`)).toBe(true);
    });

    it('no body at all', async () => {
      const res = await request(h.app).post('/widget/v1/connect');
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    });

    it('malformed JSON', async () => {
      const res = await request(h.app).post('/widget/v1/connect').set('Content-Type', 'application/json').send('{"login":');
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: { code: 'invalid_request', message: 'request body is not valid JSON' } });
    });

    it('a JSON array instead of an object', async () => {
      const res = await request(h.app).post('/widget/v1/connect').send([1, 2]);
      expect(res.status).toBe(400);
    });

    it('wrong content type: 415', async () => {
      const res = await request(h.app).post('/widget/v1/connect').set('Content-Type', 'text/plain').send('login=alice');
      expect(res.status).toBe(415);
      expect(res.body.error.code).toBe('unsupported_media_type');
    });

    it('body over the limit: 413', async () => {
      const res = await request(h.app)
        .post('/widget/v1/connect')
        .send({ login: 'alice', password: 'x'.repeat(20_000), amojo_id: newAmojoId() });
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe('payload_too_large');
    });
  });

  it('never logs the password', async () => {
    await request(h.app).post('/widget/v1/connect').send({ login: 'alice', password: 'alice-pass', amojo_id: newAmojoId() }).expect(200);
    await request(h.app).post('/widget/v1/connect').send({ login: 'alice', password: 'very-secret-typo', amojo_id: newAmojoId() }).expect(401);
    expect(h.logs.text()).not.toContain('alice-pass');
    expect(h.logs.text()).not.toContain('very-secret-typo');
    expect(h.logs.lines.some((l) => l.msg === 'connected')).toBe(true);
  });
});
