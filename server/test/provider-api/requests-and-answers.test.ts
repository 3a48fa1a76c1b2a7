import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { createRelayHarness, newId, type RelayHarness } from '../support/relay-harness';
import { auth } from '../support/app-factory';
import { sampleMessages } from '../support/message-samples';

const sender = { id: 'cust-1', name: 'Customer One' };
const url = 'https://cdn.example.com/f/1.jpg';

/** A valid message of each type. */
const VALID = sampleMessages(url);

/** For each type, one field whose absence must be refused, and the path the answer names. */
const MISSING: Array<[string, string, string]> = [
  ['text', 'text', 'body.message.text'],
  ['picture', 'file_name', 'body.message.file_name'],
  ['video', 'file_size', 'body.message.file_size'],
  ['file', 'media', 'body.message.media'],
  ['voice', 'media', 'body.message.media'],
  ['audio', 'media', 'body.message.media'],
  // A sticker without media may still be named by sticker_id; the sample has neither once media is gone.
  ['sticker', 'media', 'body.message.media'],
  ['location', 'location', 'body.message.location'],
  ['contact', 'contact', 'body.message.contact'],
];

describe('provider API: 4xx paths and answers', () => {
  let h: RelayHarness;
  beforeAll(async () => {
    h = await createRelayHarness({ startWorker: false });
    await h.store.accounts.upsert({ login: 'carol', passwordHash: 'x', createdAt: Date.now() });
  });
  afterAll(() => h.close());

  const post = (path: string, body: unknown, headers: Record<string, string> = auth) =>
    request(h.app)
      .post(`/api/v1${path}`)
      .set(headers)
      .send(body as object);
  const msg = (message: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    account: 'alice',
    conversation_id: `conv-${newId()}`,
    sender,
    message,
    ...extra,
  });

  describe('authentication', () => {
    it.each([
      ['no header', {}],
      ['wrong token', { Authorization: 'Bearer nope' }],
      ['not bearer', { Authorization: 'Basic YTpi' }],
      ['empty bearer', { Authorization: 'Bearer ' }],
    ])('%s → 401 unauthorized', async (_name, headers) => {
      const res = await post('/messages', msg(VALID.text!), headers as Record<string, string>);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    });

    it('guards every route, GET included', async () => {
      expect((await request(h.app).get('/api/v1/messages/msg_x')).status).toBe(401);
      expect((await request(h.app).post('/api/v1/typing').send({})).status).toBe(401);
      expect((await request(h.app).post('/api/v1/messages/x/status').send({})).status).toBe(401);
    });
  });

  describe('POST /messages validation', () => {
    it.each(Object.entries(VALID))('accepts a %s message (202)', async (_type, message) => {
      const res = await post('/messages', msg(message));
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ id: expect.stringMatching(/^msg_/), msgid: expect.any(String), status: 'queued' });
    });

    it('accepts a sticker named by sticker_id alone, and one with both media and sticker_id (202)', async () => {
      for (const message of [
        { type: 'sticker', sticker_id: 'st-9' },
        { type: 'sticker', media: url, sticker_id: 'st-9' },
      ]) {
        expect((await post('/messages', msg(message))).status).toBe(202);
      }
    });

    it.each(MISSING)('%s without %s → 400 naming %s', async (type, field, path) => {
      const message = { ...VALID[type]! };
      delete message[field];
      const res = await post('/messages', msg(message));
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.message).toContain(path);
    });

    it.each([
      ['unknown type', 'body.message.type', msg({ type: 'gif', media: url })],
      ['no account', 'body.account', { conversation_id: 'c', sender, message: VALID.text }],
      ['no conversation_id', 'body.conversation_id', { account: 'alice', sender, message: VALID.text }],
      ['no sender', 'body.sender', { account: 'alice', conversation_id: 'c', message: VALID.text }],
      ['no sender.id', 'body.sender.id', msg(VALID.text!, { sender: { name: 'x' } })],
      ['no sender.name', 'body.sender.name', msg(VALID.text!, { sender: { id: 'x' } })],
      ['relative media URL', 'body.message.media', msg({ ...VALID.picture!, media: '/f/1.jpg' })],
      ['ftp media URL', 'body.message.media', msg({ ...VALID.sticker!, media: 'ftp://example.com/s.webp' })],
      ['bad avatar URL', 'body.sender.avatar', msg(VALID.text!, { sender: { ...sender, avatar: 'not a url' } })],
      ['latitude out of range', 'body.message.location.lat', msg({ type: 'location', location: { lon: 1, lat: 91 } })],
      ['negative file_size', 'body.message.file_size', msg({ ...VALID.file!, file_size: -1 })],
      ['non-ASCII source', 'body.source_external_id', msg(VALID.text!, { source_external_id: 'канал' })],
    ])('%s → 400 naming %s', async (_name, path, body) => {
      const res = await post('/messages', body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.message).toContain(path);
    });

    it('refuses a non-JSON body with 415 and broken JSON with 400', async () => {
      const form = await request(h.app).post('/api/v1/messages').set(auth).type('form').send('a=b');
      expect(form.status).toBe(415);
      expect(form.body.error.code).toBe('unsupported_media_type');
      const broken = await request(h.app).post('/api/v1/messages').set(auth).set('Content-Type', 'application/json').send('{"account":');
      expect(broken.status).toBe(400);
      expect(broken.body.error.code).toBe('invalid_request');
    });

    it('accepts a gzip body, limits its inflated size, and refuses an unknown encoding', async () => {
      const send = (body: Uint8Array | string, encoding: string) =>
        fetch(`${h.appUrl}/api/v1/messages`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json', 'Content-Encoding': encoding }, body });
      const gz = (body: unknown) => gzipSync(Buffer.from(JSON.stringify(body)));
      const ok = await send(gz(msg({ type: 'text', text: 'zipped' })), 'gzip');
      expect(ok.status).toBe(202);
      const bomb = await send(gz(msg({ type: 'text', text: 'x'.repeat(1_100_000) })), 'gzip');
      expect(bomb.status).toBe(413);
      expect(((await bomb.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
      const odd = await send('{}', 'compress');
      expect(odd.status).toBe(415);
    });

    it('refuses a body over 1 MB with 413', async () => {
      const res = await post('/messages', msg({ type: 'text', text: 'x'.repeat(1_100_000) }));
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe('payload_too_large');
    });
  });

  describe('accounts', () => {
    it('unknown account → 409 account_not_found', async () => {
      const res = await post('/messages', msg(VALID.text!, { account: 'nobody' }));
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('account_not_found');
    });

    it('known but never connected → 409 account_not_connected', async () => {
      const res = await post('/messages', msg(VALID.text!, { account: 'carol' }));
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('account_not_connected');
    });

    it('disconnected → 409 account_not_connected (typing too)', async () => {
      const dave = await h.connect('dave');
      await h.store.connections.save({ ...dave, status: 'disconnected', disconnectedAt: Date.now() });
      const res = await post('/messages', msg(VALID.text!, { account: 'dave' }));
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('account_not_connected');
      const typing = await post('/typing', { account: 'dave', conversation_id: 'c', sender_id: 's' });
      expect(typing.body.error.code).toBe('account_not_connected');
    });
  });

  describe('idempotency and lookups', () => {
    it('same (account, msgid) gives the same answer and one outbox entry', async () => {
      const body = msg(VALID.text!, { msgid: `m-${newId()}` });
      const first = await post('/messages', body);
      const second = await post('/messages', body);
      expect(first.status).toBe(202);
      expect(second.status).toBe(202);
      expect(second.body).toEqual(first.body);
      const entries = (await h.store.outbox.list({})).filter((e) => e.messageId === first.body.id);
      expect(entries).toHaveLength(1);
    });

    it('generates a msgid when absent', async () => {
      const res = await post('/messages', msg(VALID.text!));
      expect(res.body.msgid).toMatch(/^amc_/);
    });

    it('GET by our id, by ?account=&msgid= and by msgid with ?account=', async () => {
      const msgid = `m-${newId()}`;
      const created = await post('/messages', msg(VALID.text!, { msgid }));
      const byId = await request(h.app).get(`/api/v1/messages/${created.body.id}`).set(auth);
      expect(byId.status).toBe(200);
      expect(byId.body).toMatchObject({ id: created.body.id, direction: 'inbound', account: 'alice', msgid, status: 'queued', attempts: 0, last_error: null });
      const byQuery = await request(h.app).get('/api/v1/messages').query({ account: 'alice', msgid }).set(auth);
      expect(byQuery.body.id).toBe(created.body.id);
      const byMsgid = await request(h.app).get(`/api/v1/messages/${msgid}`).query({ account: 'alice' }).set(auth);
      expect(byMsgid.body.id).toBe(created.body.id);
    });

    it('GET unknown → 404 not_found; GET /messages without both params → 400', async () => {
      const res = await request(h.app).get('/api/v1/messages/msg_nope').set(auth);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
      const other = await request(h.app).get('/api/v1/messages/m1').query({ account: 'alice' }).set(auth);
      expect(other.status).toBe(404);
      const half = await request(h.app).get('/api/v1/messages').query({ account: 'alice' }).set(auth);
      expect(half.status).toBe(400);
    });
  });

  describe('status and typing', () => {
    it('status for an unknown message → 404; bad body → 400', async () => {
      const res = await post('/messages/unknown-amojo-id/status', { status: 'delivered' });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
      const bad = await post('/messages/x/status', { status: 'seen' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toContain('body.status');
      const code = await post('/messages/x/status', { status: 'failed', error_code: 900 });
      expect(code.status).toBe(400);
      expect(code.body.error.message).toContain('body.error_code');
    });

    it('status for an inbound message (not from amoCRM) → 404', async () => {
      const created = await post('/messages', msg(VALID.text!));
      const res = await post(`/messages/${created.body.id}/status`, { status: 'read' });
      expect(res.status).toBe(404);
    });

    it('typing validation → 400; unknown conversation → 202 ignored', async () => {
      const bad = await post('/typing', { account: 'alice', conversation_id: 'c' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toContain('body.sender_id');
      const ignored = await post('/typing', { account: 'alice', conversation_id: 'never-seen', sender_id: 's' });
      expect(ignored.status).toBe(202);
      expect(ignored.body.status).toBe('ignored');
    });
  });

  it('unknown /api/v1 route → 404 in the error shape', async () => {
    const res = await request(h.app).get('/api/v1/nothing').set(auth);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
  });
});
