import request from 'supertest';
import { providerEvents } from '../support/widget-harness';
import { startOAuthRig, type OAuthRig } from '../support/oauth-harness';

/**
 * The takeover, tried as an attacker would: a valid provider login (bob) plus a widget token from
 * their own amoCRM account, aimed at another account's amojo_id. With OAuth install amoCRM says
 * which amojo_id belongs to which account, so the attempt is refused before anything is read, and
 * a binding squatted while the server ran without OAuth moves to the account amoCRM vouches for.
 */
let rig: OAuthRig;
beforeEach(async () => {
  rig = await startOAuthRig();
});
afterEach(() => rig.close());

const connect = (app: OAuthRig['oauth']['app'], token: string, body: Record<string, unknown>) =>
  request(app).post('/widget/v1/connect').set('X-Auth-Token', token).send(body);
const status = (app: OAuthRig['oauth']['app'], token: string, amojoId?: string) =>
  request(app)
    .get('/widget/v1/status')
    .query(amojoId ? { amojo_id: amojoId } : {})
    .set('X-Auth-Token', token);

describe('bindings amoCRM vouches for (OAuth on)', () => {
  it("a valid login with another account's token can neither take nor squat a binding: 403 amojo_id_mismatch", async () => {
    const victim = rig.account('victim');
    const attacker = rig.account('attacker');
    await rig.install(victim).expect(200);
    await rig.install(attacker).expect(200);

    // Squat an unbound amojo_id: refused, nothing stored, amojo never asked.
    const squat = await connect(rig.oauth.app, rig.token(attacker.id), { login: 'bob', password: 'bob-pass', amojo_id: victim.amojoId });
    expect(squat.status).toBe(403);
    expect(squat.body.error.code).toBe('amojo_id_mismatch');
    expect(await rig.store.connections.getByAmojoAccount(victim.amojoId)).toBeNull();
    expect(rig.emulator.control.listConnections()).toHaveLength(0);

    // The owner connects; the attacker then tries to take it over, drop it, read it, re-point it.
    await connect(rig.oauth.app, rig.token(victim.id), { login: 'alice', password: 'alice-pass', amojo_id: victim.amojoId }).expect(200);
    const take = await connect(rig.oauth.app, rig.token(attacker.id), { login: 'bob', password: 'bob-pass', amojo_id: victim.amojoId });
    expect([take.status, take.body.error.code]).toEqual([403, 'amojo_id_mismatch']);
    const drop = await request(rig.oauth.app).post('/widget/v1/disconnect').set('X-Auth-Token', rig.token(attacker.id)).send({ amojo_id: victim.amojoId });
    expect([drop.status, drop.body.error.code]).toEqual([403, 'amojo_id_mismatch']);
    const peek = await status(rig.oauth.app, rig.token(attacker.id), victim.amojoId);
    expect(peek.status).toBe(403);
    expect(peek.body).toEqual({ error: { code: 'amojo_id_mismatch', message: expect.any(String) } });
    expect(JSON.stringify(peek.body)).not.toMatch(/alice/);
    const move = await request(rig.oauth.app)
      .post('/widget/v1/source')
      .set('X-Auth-Token', rig.token(attacker.id))
      .send({ amojo_id: victim.amojoId, pipeline_id: 1 });
    expect(move.status).toBe(403);

    expect(await rig.store.connections.getByAmojoAccount(victim.amojoId)).toMatchObject({
      login: 'alice',
      status: 'connected',
      amocrmAccountId: victim.id,
      pipelineId: null,
    });
    const own = await status(rig.oauth.app, rig.token(victim.id));
    expect(own.body).toMatchObject({ status: 'connected', login: 'alice', installation: 'active' });
  });

  it('an account that has not installed the integration: 409 install_required saying what to do', async () => {
    const stranger = rig.account('stranger');
    const res = await connect(rig.oauth.app, rig.token(stranger.id), { login: 'bob', password: 'bob-pass', amojo_id: stranger.amojoId });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'install_required', message: expect.stringMatching(/administrator must install/) });
    expect((await status(rig.oauth.app, rig.token(stranger.id), stranger.amojoId)).body).toEqual({ status: 'disconnected', installation: null });
  });

  it('the widget may omit amojo_id: the server uses the one amoCRM reported', async () => {
    const shop = rig.account('shop');
    await rig.install(shop).expect(200);
    const res = await connect(rig.oauth.app, rig.token(shop.id), { login: 'alice', password: 'alice-pass' });
    expect(res.status).toBe(200);
    expect(res.body.scope_id).toBe(`${rig.emulator.channelId}_${shop.amojoId}`);
    expect((await status(rig.oauth.app, rig.token(shop.id))).body).toMatchObject({ status: 'connected', login: 'alice' });
    await request(rig.oauth.app).post('/widget/v1/disconnect').set('X-Auth-Token', rig.token(shop.id)).send({}).expect(200);
    expect(await rig.store.connections.getByAmojoAccount(shop.amojoId)).toMatchObject({ status: 'disconnected' });
  });

  it('a binding squatted before OAuth moves to the verified owner, and the squatter stops receiving its chats', async () => {
    const victim = rig.account('victim');
    const attacker = rig.account('attacker');

    // Before OAuth: the first token-bearing connect owned the binding, so the attacker got it…
    await connect(rig.tokensOnly.app, rig.token(attacker.id), { login: 'bob', password: 'bob-pass', amojo_id: victim.amojoId }).expect(200);
    await request(rig.tokensOnly.app)
      .post('/widget/v1/source')
      .set('X-Auth-Token', rig.token(attacker.id))
      .send({ amojo_id: victim.amojoId, pipeline_id: 666 })
      .expect(200);
    // …and the real owner was refused on its own account.
    const refused = await connect(rig.tokensOnly.app, rig.token(victim.id), { login: 'alice', password: 'alice-pass', amojo_id: victim.amojoId });
    expect(refused.status).toBe(403);

    // OAuth turned on: the attacker (installed or not) still cannot touch it…
    const noInstall = await connect(rig.oauth.app, rig.token(attacker.id), { login: 'bob', password: 'bob-pass', amojo_id: victim.amojoId });
    expect([noInstall.status, noInstall.body.error.code]).toEqual([409, 'install_required']);
    await rig.install(attacker).expect(200);
    const mismatch = await connect(rig.oauth.app, rig.token(attacker.id), { login: 'bob', password: 'bob-pass', amojo_id: victim.amojoId });
    expect([mismatch.status, mismatch.body.error.code]).toEqual([403, 'amojo_id_mismatch']);
    expect((await status(rig.oauth.app, rig.token(attacker.id), victim.amojoId)).status).toBe(403);

    // …and the owner, once installed, takes its binding back.
    await rig.install(victim).expect(200);
    const back = await connect(rig.oauth.app, rig.token(victim.id), { login: 'alice', password: 'alice-pass', amojo_id: victim.amojoId });
    expect(back.status).toBe(200);
    expect(await rig.store.connections.getByAmojoAccount(victim.amojoId)).toMatchObject({
      login: 'alice',
      status: 'connected',
      amocrmAccountId: victim.id,
      pipelineId: null,
    });
    expect(await rig.store.connections.getConnectedByLogin('bob')).toBeNull();
    const events = await providerEvents(rig.store);
    expect(events.filter((e) => e.account === 'bob').map((e) => `${e.type}:${String(e.data.reason ?? '')}`)).toEqual([
      'account.connected:',
      'account.disconnected:replaced',
    ]);

    // The squatter's login can no longer send into that account's chats.
    const sent = await request(rig.oauth.app)
      .post('/api/v1/messages')
      .set('Authorization', 'Bearer provider-token')
      .send({ account: 'bob', conversation_id: 'c1', sender: { id: 'u1', name: 'Eve' }, message: { type: 'text', text: 'hi' } });
    expect(sent.status).toBe(409);
  });

  it('without OAuth (tokens only) a foreign binding reads like an unbound one', async () => {
    const owner = rig.account('owner');
    const other = rig.account('other');
    await connect(rig.tokensOnly.app, rig.token(owner.id), { login: 'alice', password: 'alice-pass', amojo_id: owner.amojoId }).expect(200);
    const foreign = await status(rig.tokensOnly.app, rig.token(other.id), owner.amojoId);
    const unbound = await status(rig.tokensOnly.app, rig.token(other.id), other.amojoId);
    expect(foreign.body).toEqual(unbound.body);
    expect(foreign.body).toEqual({ status: 'disconnected', installation: null });
  });
});
