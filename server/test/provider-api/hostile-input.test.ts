import fc from 'fast-check';
import request, { type Response } from 'supertest';
import { signWebhookBody } from '@amochan/amojo';
import { buildMessageHook } from '@amochan/amojo/testing';
import { API_TOKEN, type StoreKind } from '../support/app-factory';
import { createStackHarness, storeCounts, type StackHarness } from '../support/stack-harness';

/**
 * Hostile input against every route, over the memory store and SQLite: random, malformed, oversized
 * and deeply nested bodies, wrong content types, wrong types in every field. Never a 5xx, always the
 * error shape, and nothing stored from a refused request.
 */
jest.setTimeout(60_000);

const RUNS = 150;
const bearer = { Authorization: `Bearer ${API_TOKEN}` };
const URL_MEDIA = 'https://cdn.example.com/1.jpg';

const nest = (depth: number, open = '[', close = ']'): string => `${open.repeat(depth)}${close.repeat(depth)}`;
const deepObject = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** Wrong values of every kind, hostile ones included. */
const wrong = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
  fc.constant('x'.repeat(70_000)),
  fc.constant('\u0000\ud800'),
  fc.constant({ __proto__: { polluted: true }, constructor: { prototype: 1 } }),
  fc.integer({ min: 40, max: 3000 }).map((d) => JSON.parse(nest(d)) as unknown),
);

const validMessages: Array<Record<string, unknown>> = [
  { type: 'text', text: 'hi' },
  { type: 'picture', media: URL_MEDIA, file_name: '1.jpg', file_size: 10 },
  { type: 'location', location: { lon: 1, lat: 2 } },
  { type: 'contact', contact: { name: 'A', phone: '+1' } },
  { type: 'voice', media: URL_MEDIA, media_duration: 2 },
];

type Path = ReadonlyArray<string>;
function setPath(obj: Record<string, unknown>, path: Path, value: unknown, remove: boolean): Record<string, unknown> {
  const copy = structuredClone(obj);
  let cur: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    if (typeof cur[key] !== 'object' || cur[key] === null) cur[key] = {};
    cur = cur[key] as Record<string, unknown>;
  }
  const last = path[path.length - 1]!;
  if (remove) delete cur[last];
  else cur[last] = value;
  return copy;
}

/** A valid body with one field (or a nested one) replaced by a wrong value, or removed. */
function mutated(base: fc.Arbitrary<Record<string, unknown>>, paths: Path[]): fc.Arbitrary<Record<string, unknown>> {
  return fc.tuple(base, fc.constantFrom(...paths), wrong, fc.boolean()).map(([b, path, value, remove]) => setPath(b, path, value, remove));
}

const messageBody = fc.record({ conv: fc.string({ minLength: 1, maxLength: 12 }), msg: fc.constantFrom(...validMessages) }).map(({ conv, msg }) => ({
  account: 'alice',
  conversation_id: `c-${conv}`,
  sender: { id: 'cust', name: 'Customer' },
  message: msg,
}));
const MESSAGE_PATHS: Path[] = [
  ['account'],
  ['conversation_id'],
  ['msgid'],
  ['sender'],
  ['sender', 'id'],
  ['sender', 'name'],
  ['sender', 'avatar'],
  ['sender', 'phone'],
  ['sender', 'email'],
  ['sender', 'profile_link'],
  ['sender', 'ref_id'],
  ['message'],
  ['message', 'type'],
  ['message', 'text'],
  ['message', 'media'],
  ['message', 'file_name'],
  ['message', 'file_size'],
  ['message', 'media_duration'],
  ['message', 'location'],
  ['message', 'location', 'lon'],
  ['message', 'contact'],
  ['message', 'contact', 'phone'],
  ['timestamp'],
  ['silent'],
  ['source_external_id'],
  ['conversation_ref_id'],
  ['extra'],
];

/** The targets the edit and reaction bodies name (made in beforeAll): a customer message and a manager's. */
const TARGET_CONVERSATION = 'c-targets';
const TARGET_MSGID = 'target-1';

/** Valid edit contents: the media fields are optional on edit. */
const validEdits: Array<Record<string, unknown>> = [
  { type: 'text', text: 'edited' },
  { type: 'picture', text: 'new caption' },
  { type: 'file', media: URL_MEDIA, file_name: 'a.pdf', file_size: 3 },
  { type: 'sticker', sticker_id: 'st-1' },
  { type: 'location', location: { lon: 1, lat: 2 } },
];
const editBody = fc.constantFrom(...validEdits).map((message) => ({ account: 'alice', msgid: TARGET_MSGID, message }));
const EDIT_PATHS: Path[] = [
  ['account'],
  ['msgid'],
  ['message'],
  ['message', 'type'],
  ['message', 'text'],
  ['message', 'media'],
  ['message', 'file_name'],
  ['message', 'file_size'],
  ['message', 'sticker_id'],
  ['message', 'location'],
  ['message', 'location', 'lat'],
  ['message', 'contact'],
  ['message', 'contact', 'name'],
  ['extra'],
];
const REACTION_PATHS: Path[] = [
  ['account'],
  ['conversation_id'],
  ['sender_id'],
  ['target'],
  ['target', 'msgid'],
  ['target', 'id'],
  ['emoji'],
  ['remove'],
  ['extra'],
];

/** Raw bodies with a content type: malformed JSON, deep nesting, wrong types, oversized. */
const rawBody = fc.oneof(
  fc.string({ maxLength: 200 }).map((s) => ({ type: 'application/json', body: s })),
  fc.json({ maxDepth: 3 }).map((s) => ({ type: 'application/json', body: s })),
  fc.integer({ min: 20, max: 200_000 }).map((d) => ({ type: 'application/json', body: nest(d) })),
  fc.integer({ min: 20, max: 50_000 }).map((d) => ({ type: 'application/json', body: deepObject(d) })),
  fc.constant({ type: 'application/json', body: `{"a":"${'x'.repeat(1_100_000)}"}` }),
  fc
    .constantFrom(
      'text/plain',
      'application/xml',
      'multipart/form-data; boundary=x',
      'application/json; charset=utf-16',
      'application/x-www-form-urlencoded',
      'application/octet-stream',
    )
    .chain((type) => fc.oneof(fc.string({ maxLength: 100 }), fc.json({ maxDepth: 2 })).map((body) => ({ type, body }))),
  fc.constant({ type: 'application/json', body: '{"account":"alice","__proto__":{"admin":true},"constructor":{"prototype":{}}}' }),
);

describe.each<StoreKind>(['memory', 'sqlite'])('hostile input (%s store)', (kind) => {
  let h: StackHarness;
  beforeAll(async () => {
    h = await createStackHarness(kind);
  });
  afterAll(() => h.close());

  /** The invariant every answer must keep. */
  async function check(send: () => Promise<Response>): Promise<Response> {
    const before = await storeCounts(h.store);
    const res = await send();
    if (res.status >= 500) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
    if (res.status >= 400) {
      expect(res.body).toEqual({ error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }) });
      expect(await storeCounts(h.store)).toEqual(before);
    }
    return res;
  }
  const post = (path: string, headers: Record<string, string> = {}) => request(h.server).post(path).set(headers);

  describe('provider API', () => {
    it('POST /api/v1/messages: one field wrong or missing', async () => {
      await fc.assert(
        fc.asyncProperty(mutated(messageBody, MESSAGE_PATHS), (body) => check(() => post('/api/v1/messages', bearer).send(body)).then(() => undefined)),
        { numRuns: RUNS },
      );
    });

    it('POST /api/v1/messages: arbitrary JSON values', async () => {
      await fc.assert(
        fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), (body) =>
          check(() => post('/api/v1/messages', bearer).set('Content-Type', 'application/json').send(JSON.stringify(body))).then(() => undefined),
        ),
        { numRuns: RUNS },
      );
    });

    it('POST /api/v1/messages: raw bodies, content types, nesting, size', async () => {
      await fc.assert(
        fc.asyncProperty(rawBody, ({ type, body }) => check(() => post('/api/v1/messages', bearer).set('Content-Type', type).send(body)).then(() => undefined)),
        { numRuns: RUNS },
      );
    });

    it('answers the limits with their codes', async () => {
      const deep = await check(() =>
        post('/api/v1/messages', bearer)
          .set('Content-Type', 'application/json')
          .send(`{"account":${nest(5000)}}`),
      );
      expect(deep.status).toBe(400);
      expect(deep.body.error).toMatchObject({ code: 'json_too_deep', limit: 32 });
      const long = await check(() => post('/api/v1/messages', bearer).send({ account: 'alice', extra: { note: 'x'.repeat(70_000) } }));
      expect(long.body.error).toMatchObject({ code: 'string_too_long', path: 'body.extra.note', limit: 65_536 });
      const big = await check(() =>
        post('/api/v1/messages', bearer)
          .set('Content-Type', 'application/json')
          .send(`{"a":"${'x'.repeat(1_100_000)}"}`),
      );
      expect(big.status).toBe(413);
      expect(big.body.error.code).toBe('payload_too_large');
      const type = await check(() => post('/api/v1/messages', bearer).set('Content-Type', 'text/plain').send('{}'));
      expect(type.status).toBe(415);
      // A deep value inside a valid message is stopped too (it would be stored raw otherwise).
      const valid = { account: 'alice', conversation_id: 'deep', sender: { id: 's', name: 'S' }, message: { type: 'text', text: 'x' } };
      const nested = await check(() =>
        post('/api/v1/messages', bearer)
          .set('Content-Type', 'application/json')
          .send(JSON.stringify(valid).replace(/}$/, `,"x":${nest(10_000)}}`)),
      );
      expect(nested.body.error.code).toBe('json_too_deep');
    });

    describe('POST /api/v1/edits and /api/v1/reactions', () => {
      let managerMessageId: string;
      beforeAll(async () => {
        const sent = await post('/api/v1/messages', bearer).send({
          account: 'alice',
          conversation_id: TARGET_CONVERSATION,
          msgid: TARGET_MSGID,
          sender: { id: 'cust', name: 'Customer' },
          message: { type: 'text', text: 'edit me' },
        });
        expect(sent.status).toBe(202);
        const hook = buildMessageHook({ accountId: h.connection.amojoAccountId, conversationId: TARGET_CONVERSATION, receiver: { clientId: 'cust' } });
        const body = JSON.stringify(hook);
        const hooked = await post(`/amojo/v1/webhook/${h.connection.scopeId}`, {
          'X-Signature': signWebhookBody(body, h.emulator.secret),
          'Content-Type': 'application/json',
        }).send(body);
        expect(hooked.status).toBe(200);
        managerMessageId = hook.message.message.id;
      });
      const reactionOf = (target: Record<string, string>) => ({
        account: 'alice',
        conversation_id: TARGET_CONVERSATION,
        sender_id: 'cust',
        target,
        emoji: '👍',
      });
      // Built lazily: the manager's message exists only once beforeAll ran.
      const reactionBody = () =>
        fc
          .record({ target: fc.constantFrom<Record<string, string>>({ msgid: TARGET_MSGID }, { id: managerMessageId }), remove: fc.boolean() })
          .map(({ target, remove }) => ({ ...reactionOf(target), remove }));
      const routes = [
        ['/api/v1/edits', () => editBody, EDIT_PATHS],
        ['/api/v1/reactions', reactionBody, REACTION_PATHS],
      ] as const;

      it.each(routes)('%s: one field wrong or missing, arbitrary JSON values, raw bodies', async (path, base, paths) => {
        await fc.assert(
          fc.asyncProperty(mutated(base(), [...paths]), fc.jsonValue({ maxDepth: 4 }), rawBody, async (body, json, raw) => {
            await check(() => post(path, bearer).send(body));
            await check(() => post(path, bearer).set('Content-Type', 'application/json').send(JSON.stringify(json)));
            await check(() => post(path, bearer).set('Content-Type', raw.type).send(raw.body));
          }),
          { numRuns: RUNS },
        );
      });

      it('well-formed bodies naming a message that is not there (or not in that conversation): 422, nothing queued', async () => {
        // Ids are trimmed: " target-1 " would name the target.
        const otherId = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== '' && s.trim() !== TARGET_MSGID);
        await fc.assert(
          fc.asyncProperty(otherId, fc.uuid(), fc.constantFrom(...validEdits), async (msgid, amojoId, message) => {
            const refused = [
              await check(() => post('/api/v1/edits', bearer).send({ account: 'alice', msgid, message })),
              await check(() => post('/api/v1/reactions', bearer).send({ ...reactionOf({ msgid }), emoji: '👍' })),
              await check(() => post('/api/v1/reactions', bearer).send({ ...reactionOf({ id: amojoId }), emoji: '👍' })),
              await check(() => post('/api/v1/reactions', bearer).send({ ...reactionOf({ msgid: TARGET_MSGID }), conversation_id: `x-${msgid}` })),
              await check(() => post('/api/v1/reactions', bearer).send({ ...reactionOf({ id: managerMessageId }), conversation_id: `x-${msgid}` })),
            ];
            expect(refused.map((r) => [r.status, r.body.error?.code])).toEqual(Array(5).fill([422, 'unknown_target']));
          }),
          { numRuns: RUNS / 3 },
        );
      });

      it.each(routes)('%s: the unmutated body is queued, every time', async (path, base) => {
        await fc.assert(
          fc.asyncProperty(base(), async (body) => {
            expect((await check(() => post(path, bearer).send(body))).status).toBe(202);
          }),
          { numRuns: 10 },
        );
      });
    });

    it('POST /api/v1/messages/:id/status and /typing, GET /api/v1/messages/:id', async () => {
      const status = fc.record(
        { status: fc.oneof(fc.constantFrom('delivered', 'read', 'failed'), wrong), error_code: fc.option(wrong), error: fc.option(wrong) },
        { requiredKeys: [] },
      );
      await fc.assert(
        fc.asyncProperty(
          fc.string({ minLength: 1, maxLength: 40 }),
          status,
          fc.oneof(
            fc.jsonValue({ maxDepth: 3 }),
            mutated(fc.constant({ account: 'alice', conversation_id: 'c', sender_id: 's' }), [['account'], ['conversation_id'], ['sender_id']]),
          ),
          async (id, statusBody, typingBody) => {
            await check(() => post(`/api/v1/messages/${encodeURIComponent(id)}/status`, bearer).send(statusBody as object));
            await check(() => post('/api/v1/typing', bearer).set('Content-Type', 'application/json').send(JSON.stringify(typingBody)));
            await check(() =>
              request(h.server)
                .get(`/api/v1/messages/${encodeURIComponent(id)}`)
                .set(bearer),
            );
            await check(() =>
              request(h.server)
                .get(`/api/v1/messages?account=${encodeURIComponent(id)}&msgid=${encodeURIComponent(id)}&msgid=x`)
                .set(bearer),
            );
          },
        ),
        { numRuns: RUNS },
      );
    });
  });

  describe('amojo webhook', () => {
    const hookish = fc.record(
      {
        account_id: fc.oneof(fc.uuid(), wrong),
        time: fc.oneof(fc.integer(), wrong),
        message: fc.oneof(
          wrong,
          fc.record(
            {
              receiver: fc.oneof(
                wrong,
                fc.record({ id: fc.oneof(fc.uuid(), wrong), client_id: fc.option(wrong), phone: fc.option(wrong) }, { requiredKeys: [] }),
              ),
              sender: fc.oneof(wrong, fc.record({ id: fc.oneof(fc.uuid(), wrong), name: fc.option(wrong) }, { requiredKeys: [] })),
              conversation: fc.oneof(wrong, fc.record({ id: fc.oneof(fc.uuid(), wrong), client_id: fc.option(wrong) }, { requiredKeys: [] })),
              timestamp: fc.oneof(fc.integer(), wrong),
              message: fc.oneof(
                wrong,
                fc.record(
                  {
                    id: fc.oneof(fc.uuid(), wrong),
                    type: fc.oneof(fc.constantFrom('text', 'picture', 'weird'), wrong),
                    text: fc.option(wrong),
                    markup: fc.option(wrong),
                    file_size: fc.option(wrong),
                  },
                  { requiredKeys: [] },
                ),
              ),
            },
            { requiredKeys: [] },
          ),
        ),
        action: fc.oneof(
          wrong,
          fc.record(
            { typing: fc.option(wrong), reaction: fc.option(fc.oneof(wrong, fc.record({ msgid: wrong, user: wrong, conversation: wrong, type: wrong }))) },
            { requiredKeys: [] },
          ),
        ),
      },
      { requiredKeys: [] },
    );

    it('signed hooks with wrong types anywhere: 200 or 400, never 5xx', async () => {
      await fc.assert(
        fc.asyncProperty(hookish, async (hook) => {
          const body = JSON.stringify(hook);
          await check(() =>
            post(`/amojo/v1/webhook/${h.connection.scopeId}`, {
              'X-Signature': signWebhookBody(body, h.emulator.secret),
              'Content-Type': 'application/json',
            }).send(body),
          );
        }),
        { numRuns: RUNS },
      );
    });

    it('raw bodies: signed or not, any content type, any scope', async () => {
      await fc.assert(
        fc.asyncProperty(
          rawBody,
          fc.boolean(),
          fc.oneof(fc.constant(h.connection.scopeId), fc.string({ minLength: 1, maxLength: 60 })),
          async ({ type, body }, signed, scope) => {
            const signature = signed ? signWebhookBody(body, h.emulator.secret) : 'deadbeef';
            const res = await check(() =>
              post(`/amojo/v1/webhook/${encodeURIComponent(scope)}`, { 'X-Signature': signature, 'Content-Type': type }).send(body),
            );
            // An unknown scope is refused on the headers (404), bytes over the limit before the
            // signature is checked (413), a wrong signature after (401).
            if (!signed) expect([401, 404, 413]).toContain(res.status);
          },
        ),
        { numRuns: RUNS },
      );
    });

    it('a signed hook nested too deep is 400 json_too_deep, nothing stored', async () => {
      const body = `{"message":${deepObject(10_000)}}`;
      const res = await check(() =>
        post(`/amojo/v1/webhook/${h.connection.scopeId}`, { 'X-Signature': signWebhookBody(body, h.emulator.secret), 'Content-Type': 'application/json' }).send(
          body,
        ),
      );
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('json_too_deep');
    });
  });

  describe('widget API', () => {
    const form = fc.dictionary(
      fc.constantFrom('login', 'password', 'amojo_id', 'title', 'pipeline_id', 'x'),
      fc.oneof(fc.string({ maxLength: 30 }), fc.uuid(), fc.constant('a'.repeat(5000))),
      { maxKeys: 5 },
    );
    const widgetBody = fc.oneof(
      mutated(fc.constant({ login: 'alice', password: 'wrong-password', amojo_id: '2f1f7c1e-0b7a-4f7e-9a53-0d7b2f2a9c11', title: 't' }), [
        ['login'],
        ['password'],
        ['amojo_id'],
        ['title'],
      ]),
      // Built lazily: the connected account's amojo id exists only once beforeAll ran.
      mutated(
        fc.constant(0).map(() => ({ amojo_id: h.connection.amojoAccountId, pipeline_id: 5 })),
        [['amojo_id'], ['pipeline_id']],
      ),
      fc.jsonValue({ maxDepth: 3 }),
    );

    it('connect / disconnect / source: JSON, form-encoded and raw bodies', async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom('/connect', '/disconnect', '/source'), widgetBody, form, rawBody, async (route, json, formBody, raw) => {
          await check(() => post(`/widget/v1${route}`).set('Content-Type', 'application/json').send(JSON.stringify(json)));
          await check(() => post(`/widget/v1${route}`).type('form').send(formBody));
          await check(() => post(`/widget/v1${route}`).set('Content-Type', raw.type).send(raw.body));
        }),
        { numRuns: RUNS },
      );
    });

    it('GET /status with arbitrary queries', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.constantFrom('amojo_id', 'x', 'amojo_id[]'), fc.oneof(fc.string({ maxLength: 50 }), fc.uuid())), { maxLength: 4 }),
          async (pairs) => {
            const q = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
            await check(() => request(h.server).get(`/widget/v1/status?${q}`));
          },
        ),
        { numRuns: RUNS },
      );
    });
  });
});
