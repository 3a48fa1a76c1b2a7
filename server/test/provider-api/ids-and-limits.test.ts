import request from 'supertest';
import { amojoMsgidFor } from '../../src/services/amojo-msgid';
import { auth } from '../support/app-factory';
import { createRelayHarness, newId, type RelayHarness } from '../support/relay-harness';
import { waitFor } from '../support/wait';

/**
 * The ids the provider sends and echoes, checked end to end against the emulator: msgids that stay
 * unique where amojo needs them, the write-first ids, and the bounds on what gets stored.
 */
describe('ids and limits at the provider API', () => {
  let h: RelayHarness;
  beforeAll(async () => {
    h = await createRelayHarness();
  });
  afterAll(() => h.close());

  const post = (body: Record<string, unknown>) => request(h.app).post('/api/v1/messages').set(auth).send(body);
  const text = (t: string) => ({ type: 'text', text: t });

  it('two accounts numbering their messages 1, 2, 3 both reach amoCRM when amojo wants msgids unique per channel', async () => {
    h.emulator.control.setMsgidUniqueness('per_channel');
    try {
      const bob = await h.connect('bob');
      const accounts = [
        { login: 'alice', scopeId: h.connection.scopeId },
        { login: 'bob', scopeId: bob.scopeId },
      ];
      const answers: Record<string, Array<{ id: string; msgid: string }>> = {};
      for (const { login } of accounts) {
        answers[login] = [];
        for (const msgid of ['1', '2', '3']) {
          const res = await post({
            account: login,
            conversation_id: `conv-${login}`,
            msgid,
            sender: { id: `cust-${login}`, name: login },
            message: text(`${login} #${msgid}`),
          });
          expect(res.status).toBe(202);
          // The provider's own msgid in every answer.
          expect(res.body).toMatchObject({ msgid, status: 'queued' });
          answers[login]!.push(res.body);
        }
      }
      for (const { login, scopeId } of accounts) {
        const texts = await waitFor(() => {
          const got = h.emulator.control.listMessages({ scopeId }).map((m) => (m.message as { text?: string }).text);
          return got.length === 3 && got;
        }, `${login}'s three messages in amojo`);
        expect(texts).toEqual([`${login} #1`, `${login} #2`, `${login} #3`]);
        for (const a of answers[login]!) {
          const view = await waitFor(async () => {
            const v = (await request(h.app).get(`/api/v1/messages/${a.id}`).set(auth)).body;
            return v.status === 'sent' && v;
          }, 'sent');
          // Recorded from amojo's answer, and nothing was taken for a "duplicate".
          expect(view).toMatchObject({ msgid: a.msgid, amojo_msgid: expect.any(String), attempts: 1 });
        }
      }
      const sent = h.emulator.control.listMessages().filter((m) => ['1', '2', '3'].includes(m.clientMsgId ?? ''));
      expect(sent).toHaveLength(0);
      // Stable across retries: the same (account, msgid) is the same message, sent once.
      const again = await post({
        account: 'alice',
        conversation_id: 'conv-alice',
        msgid: '1',
        sender: { id: 'cust-alice', name: 'alice' },
        message: text('alice #1'),
      });
      expect(again.body.id).toBe(answers.alice![0]!.id);
      expect(h.emulator.control.listMessages().filter((m) => m.clientMsgId === amojoMsgidFor('alice', '1'))).toHaveLength(1);
    } finally {
      h.emulator.control.setMsgidUniqueness('per_account');
    }
  });

  it('the derived msgid is short, plain ASCII and the same for the same (account, msgid)', () => {
    const long = 'x'.repeat(255);
    expect(amojoMsgidFor('alice', long)).toMatch(/^amc_[0-9a-f]{32}$/);
    expect(amojoMsgidFor('alice', '1')).toBe(amojoMsgidFor('alice', '1'));
    expect(amojoMsgidFor('alice', '1')).not.toBe(amojoMsgidFor('bob', '1'));
    // The encoding keeps ("a", "b\nc") and ("a\nb", "c") apart.
    expect(amojoMsgidFor('a', 'b\nc')).not.toBe(amojoMsgidFor('a\nb', 'c'));
  });

  it("write first: echoing the manager's id as sender.ref_id is refused with 422, telling to echo receiver.ref_id", async () => {
    const phone = `+7 916 ${Math.floor(1_000_000 + Math.random() * 8_999_999)}`;
    const wf = await h.emulator.control.writeFirst({ scopeId: h.connection.scopeId, phone, text: 'Your order is ready' });
    const event = await waitFor(
      () => h.provider.accepted.find((e) => e.body.type === 'message.created' && e.body.data.id === wf.messageId),
      'write-first event',
    );
    const data = event.body.data;
    const conversation_id = `conv-wf-${newId()}`;
    const wrong = await post({
      account: 'alice',
      conversation_id,
      conversation_ref_id: data.conversation.ref_id,
      sender: { id: 'cust-wf', name: 'Eve', ref_id: data.sender.ref_id },
      message: text('thanks'),
    });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.code).toBe('sender_is_manager');
    expect(wrong.body.error.message).toContain('receiver.ref_id');
    // Nothing was stored: the right echo still binds the chat.
    const right = await post({
      account: 'alice',
      conversation_id,
      conversation_ref_id: data.conversation.ref_id,
      sender: { id: 'cust-wf', name: 'Eve', ref_id: data.receiver.ref_id },
      message: text('thanks'),
    });
    expect(right.status).toBe(202);
    await waitFor(() => h.emulator.control.listChats(h.connection.scopeId).find((c) => c.id === wf.chatId)?.conversationId === conversation_id, 'chat bound');
    // GET of that first message shows the conversation it is now bound to.
    const view = (await request(h.app).get(`/api/v1/messages/${wf.messageId}`).set(auth)).body;
    expect(view).toMatchObject({ amojo_chat_id: wf.chatId, conversation_id });
  });

  it("a manager's id as the customer's ref_id is refused in a conversation that knows no customer yet, once that manager wrote through us", async () => {
    const first = `conv-m-${newId()}`;
    expect((await post({ account: 'alice', conversation_id: first, sender: { id: 'cust-m', name: 'Ann' }, message: text('hello') })).status).toBe(202);
    await waitFor(() => h.emulator.control.listChats(h.connection.scopeId).find((c) => c.conversationId === first), 'chat');
    const reply = await h.emulator.control.managerReply({ scopeId: h.connection.scopeId, conversationId: first, text: 'hi, how can I help?' });
    const event = await waitFor(() => h.provider.accepted.find((e) => e.body.type === 'message.created' && e.body.data.id === reply.messageId), 'reply event');
    const managerRef = event.body.data.sender.ref_id as string;

    // A new conversation_id, no conversation_ref_id, no phone: nothing tells the customer but the ref_id.
    const conversation_id = `conv-m-${newId()}`;
    const msgid = `m-${newId()}`;
    const wrong = await post({ account: 'alice', conversation_id, msgid, sender: { id: 'cust-n', name: 'Neil', ref_id: managerRef }, message: text('hi') });
    expect([wrong.status, wrong.body.error.code]).toEqual([422, 'sender_is_manager']);
    expect(wrong.body.error.message).toContain('receiver.ref_id');
    // Nothing stored from the refusal: no message, no conversation holding the manager as its customer.
    expect((await request(h.app).get('/api/v1/messages').query({ account: 'alice', msgid }).set(auth)).status).toBe(404);
    expect(await h.store.conversations.getByConversationId('alice', conversation_id)).toBeNull();
    // Without the ref_id the same message is taken.
    const right = await post({ account: 'alice', conversation_id, msgid, sender: { id: 'cust-n', name: 'Neil' }, message: text('hi') });
    expect(right.status).toBe(202);

    // Another amoCRM account has never seen that manager write: the id means nothing there.
    await h.connect('frank');
    const elsewhere = await post({
      account: 'frank',
      conversation_id: `conv-m-${newId()}`,
      sender: { id: 'cust-f', name: 'Fay', ref_id: managerRef },
      message: text('hi'),
    });
    expect(elsewhere.status).toBe(202);
  });

  it('conversation_ref_id must be an amojo id of a pending write-first chat of that account', async () => {
    const base = { account: 'alice', sender: { id: 'c', name: 'C' }, message: text('x') };
    const malformed = await post({ ...base, conversation_id: `c-${newId()}`, conversation_ref_id: 'x'.repeat(10_000) });
    expect([malformed.status, malformed.body.error.code]).toEqual([400, 'invalid_request']);
    const unknown = await post({ ...base, conversation_id: `c-${newId()}`, conversation_ref_id: '0b5e55ed-0000-4000-8000-000000000001' });
    expect([unknown.status, unknown.body.error.code]).toEqual([422, 'unknown_target']);
    expect(unknown.body.error.message).toContain('write-first');
  });

  it('timestamp is bounded: seconds or milliseconds, never 1e300', async () => {
    const base = { account: 'alice', conversation_id: `c-ts-${newId()}`, sender: { id: 'c', name: 'C' }, message: text('x') };
    for (const timestamp of [1e300, 1e13 + 1, -1]) {
      const res = await post({ ...base, timestamp });
      expect([res.status, res.body.error?.code]).toEqual([400, 'invalid_request']);
    }
    const seconds = await post({ ...base, msgid: `s-${newId()}`, timestamp: 1_700_000_000 });
    const millis = await post({ ...base, msgid: `m-${newId()}`, timestamp: 1_700_000_000_123 });
    expect([seconds.status, millis.status]).toEqual([202, 202]);
    const stamps = await waitFor(() => {
      const found = [seconds, millis].map((r) => h.emulator.control.listMessages().find((m) => m.clientMsgId === amojoMsgidFor('alice', r.body.msgid)));
      return found.every(Boolean) && found.map((m) => m!.msecTimestamp);
    }, 'both in amojo');
    expect(stamps).toEqual([1_700_000_000_000, 1_700_000_000_123]);
  });

  it('sender.name is bounded', async () => {
    const res = await post({ account: 'alice', conversation_id: 'c-name', sender: { id: 'c', name: 'N'.repeat(256) }, message: text('x') });
    expect([res.status, res.body.error.code]).toEqual([400, 'invalid_request']);
  });

  it("a manager's message event says honestly that amoCRM sent no manager name", async () => {
    const conversation_id = `conv-n-${newId()}`;
    const sent = await post({ account: 'alice', conversation_id, sender: { id: 'c-n', name: 'N' }, message: text('hi') });
    await waitFor(() => h.emulator.control.listMessages().find((m) => m.clientMsgId === amojoMsgidFor('alice', sent.body.msgid)), 'in amojo');
    const reply = await h.emulator.control.managerReply({ scopeId: h.connection.scopeId, conversationId: conversation_id, text: 'hello' });
    const event = await waitFor(() => h.provider.accepted.find((e) => e.body.data.id === reply.messageId), 'event');
    const hook = h.emulator.control.webhookLog().find((w) => JSON.stringify(w).includes(reply.messageId));
    expect(JSON.stringify(hook)).not.toContain('"name"');
    expect(event.body.data.sender).toEqual({ ref_id: expect.any(String), name: null });
  });
});
