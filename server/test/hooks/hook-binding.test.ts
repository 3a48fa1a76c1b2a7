import request from 'supertest';
import { buildMessageHook } from '@amochan/amojo/testing';
import { createRelayHarness, newId, signHook, type RelayHarness } from '../support/relay-harness';

/**
 * A hook is relayed only to the provider login its scope is bound to, and only while that binding
 * is connected: the body's account_id must be the scope's amojo account, a disconnected binding's
 * hooks are dropped, and a typing/reaction replay that differs only in formatting is a duplicate.
 */
describe('amojo hook binding checks', () => {
  let h: RelayHarness;
  beforeAll(async () => {
    h = await createRelayHarness({ startWorker: false });
  });
  afterAll(() => h.close());

  const secret = () => h.emulator.secret;
  const postHook = (raw: string, signature: string, scopeId: string) =>
    request(h.app).post(`/amojo/v1/webhook/${scopeId}`).set('Content-Type', 'application/json').set('X-Signature', signature).send(raw);
  const providerEvents = async () =>
    (await h.store.outbox.list({ limit: 10_000 }))
      .filter((e) => e.destination === 'provider')
      .map((e) => e.payload as { type: string; account: string; data: any });

  it("refuses (403) a signed hook whose account_id is another account's, and relays nothing", async () => {
    const bob = await h.connect('bob');
    // alice's account id, posted to bob's scope: must never reach bob's provider login.
    const hook = buildMessageHook({ accountId: h.connection.amojoAccountId, chatId: newId(), conversationId: 'conv-squat' });
    const { raw, signature } = signHook(hook, secret());
    const before = (await providerEvents()).length;
    const res = await postHook(raw, signature, bob.scopeId);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect(await providerEvents()).toHaveLength(before);
    expect(await h.store.messages.getByAmojoMsgId(hook.message.message.id)).toBeNull();
    // The same hook on its own scope is fine.
    expect((await postHook(raw, signature, h.connection.scopeId)).body.status).toBe('accepted');
  });

  it('ignores (200 ignored) a hook for a disconnected binding: nothing is relayed', async () => {
    const carol = await h.connect('carol');
    await h.store.connections.save({ ...carol, status: 'disconnected', disconnectedAt: Date.now(), updatedAt: Date.now() });
    const hook = buildMessageHook({ accountId: carol.amojoAccountId, chatId: newId(), conversationId: 'conv-gone' });
    const { raw, signature } = signHook(hook, secret());
    const before = (await providerEvents()).length;
    const res = await postHook(raw, signature, carol.scopeId);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ignored' });
    expect(await providerEvents()).toHaveLength(before);
    expect(await h.store.messages.getByAmojoMsgId(hook.message.message.id)).toBeNull();
  });

  it('a typing or reaction replay padded with whitespace is a duplicate, relayed once', async () => {
    const chatId = newId();
    const accountId = h.connection.amojoAccountId;
    const typing = {
      account_id: accountId,
      time: 200,
      action: { typing: { user: { id: 'mgr-2' }, conversation: { id: chatId, client_id: 'conv-pad' }, expired_at: 205 } },
    };
    const reaction = {
      account_id: accountId,
      time: 201,
      action: {
        reaction: { message: { id: 'amojo-msg-pad' }, user: { id: 'mgr-2' }, conversation: { id: chatId, client_id: 'conv-pad' }, type: 'react', emoji: '👍' },
      },
    };
    for (const body of [typing, reaction]) {
      const compact = signHook(body, secret());
      expect((await postHook(compact.raw, compact.signature, h.connection.scopeId)).body.status).toBe('accepted');
      for (const padded of [`${compact.raw}  `, `\n${JSON.stringify(body, null, 2)}`]) {
        const replay = signHook(padded, secret());
        const res = await postHook(replay.raw, replay.signature, h.connection.scopeId);
        expect(res.status).toBe(200);
        expect(res.body.status).toBe('duplicate');
      }
    }
    const relayed = (await providerEvents()).filter((e) => e.data?.conversation?.ref_id === chatId);
    expect(relayed.map((e) => e.type)).toEqual(['typing', 'reaction']);
  });
});
