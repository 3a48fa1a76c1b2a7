import request from 'supertest';
import { createTestDeps } from '../support/app-factory';
import { startSandboxHarness, type SandboxHarness } from '../support/sandbox-harness';
import { json } from '../support/http-client';
import { waitFor } from '../support/wait';
import { createApp } from '../../src/http/app';
import { loadConfig } from '../../src/config';
import { createSilentLogger } from '../../src/lib/logger';
import { createMemoryStore } from '../../src/storage/memory/store';

/**
 * A provider's CI plays the manager without a browser: in sandbox mode the server answers the
 * embedded emulator's control API under /_emulator/ (the standalone emulator's routes and answers);
 * a production app has no such route at all.
 */

jest.setTimeout(20_000);

describe('the emulator control API under /_emulator/ in sandbox mode', () => {
  let h: SandboxHarness;
  beforeAll(async () => {
    h = await startSandboxHarness();
  });
  afterAll(() => h.close());

  it('plays the manager over HTTP: connect, customer message, reply, typing, reaction, listings, faults', async () => {
    expect((await h.connectDemo()).status).toBe(200);
    const connections = await json(`${h.url}/_emulator/connections`);
    expect(connections.status).toBe(200);
    const scopeId = connections.body[0].scopeId as string;

    const customer = await request(h.url)
      .post('/api/v1/messages')
      .set({ Authorization: 'Bearer sandbox' })
      .send({ account: 'demo', conversation_id: 'ci-1', sender: { id: 'ci-customer', name: 'CI' }, message: { type: 'text', text: 'ping' } });
    expect(customer.status).toBe(202);
    await h.worker.processDue();
    const chats = await json(`${h.url}/_emulator/chats?scope_id=${scopeId}`);
    expect(chats.body).toEqual([expect.objectContaining({ conversationId: 'ci-1' })]);

    const reply = await json(`${h.url}/_emulator/manager-reply`, 'POST', { scopeId, conversationId: 'ci-1', text: 'pong' });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ messageId: expect.any(String), webhook: { status: 200 } });
    const message = await json(`${h.url}/_emulator/messages/${reply.body.messageId}`);
    expect(message.body).toMatchObject({ id: reply.body.messageId, message: { type: 'text', text: 'pong' } });

    expect((await json(`${h.url}/_emulator/typing`, 'POST', { scopeId, conversationId: 'ci-1' })).status).toBe(200);
    const react = await json(`${h.url}/_emulator/react`, 'POST', { scopeId, conversationId: 'ci-1', messageId: reply.body.messageId, emoji: '👍' });
    expect(react.status).toBe(200);
    const wf = await json(`${h.url}/_emulator/write-first`, 'POST', { scopeId, phone: '+7 916 000-00-01', text: 'hello first' });
    expect(wf.body).toMatchObject({ chatId: expect.any(String), messageId: expect.any(String) });

    const faults = await json(`${h.url}/_emulator/faults/fail-next`, 'POST', { count: 1, status: 503 });
    expect(faults.status).toBe(200);
    expect((await json(`${h.url}/_emulator/faults`)).body).toMatchObject({ failNext: expect.anything() });
    const bad = await json(`${h.url}/_emulator/messages/no-such-message`);
    expect(bad.status).toBe(404);
    await waitFor(async () => (await json(`${h.url}/_emulator/webhooks`)).body.length >= 3, 'hooks logged');
  });
});

describe('/_emulator/ outside sandbox mode', () => {
  it('is a plain 404', async () => {
    const store = createMemoryStore();
    const config = loadConfig({
      DATABASE_URL: 'memory:',
      AMOJO_CHANNEL_ID: 'c',
      AMOJO_CHANNEL_SECRET: 's',
      PROVIDER_API_TOKEN: 't',
      ALLOW_UNVERIFIED_BINDINGS: 'true',
    });
    const app = createApp(
      createTestDeps({ config, store, logger: createSilentLogger(), emulator: { url: 'http://127.0.0.1:9', channelId: 'c', secret: 's' } }),
    );
    for (const path of ['/_emulator/chats', '/_emulator/connections']) expect((await request(app).get(path)).status).toBe(404);
    expect((await request(app).post('/_emulator/manager-reply').send({})).status).toBe(404);
    await store.close();
  });
});

describe('the sandbox inbox shows what a non-text message is', () => {
  let h: SandboxHarness;
  beforeAll(async () => {
    h = await startSandboxHarness();
    await h.connectDemo();
  });
  afterAll(() => h.close());

  it('a captioned picture, a video, a file, a sticker, a location and a contact each say what they are, the caption apart', async () => {
    const messages = [
      { type: 'picture', media: 'https://cdn.example.com/parcel.jpg', file_name: 'parcel.jpg', file_size: 1200, text: 'my parcel' },
      { type: 'video', media: 'https://cdn.example.com/unboxing.mp4', file_name: 'unboxing.mp4', file_size: 90_000, media_duration: 12, text: 'unboxing' },
      { type: 'file', media: 'https://cdn.example.com/invoice.pdf', file_name: 'invoice.pdf', file_size: 3400, text: 'the invoice' },
      { type: 'file', media: 'https://cdn.example.com/terms.pdf', file_name: 'terms.pdf', file_size: 0 },
      { type: 'sticker', sticker_id: 'st-9' },
      { type: 'location', location: { lat: 55.75, lon: 37.61 }, text: 'here' },
      { type: 'contact', contact: { name: 'Bob', phone: '+79161234567' } },
      { type: 'text', text: 'plain' },
    ];
    for (const [i, message] of messages.entries()) {
      const res = await request(h.url)
        .post('/api/v1/messages')
        .set({ Authorization: 'Bearer sandbox' })
        .send({ account: 'demo', conversation_id: 'kinds', msgid: `k${i}`, sender: { id: 'kinds-customer', name: 'K' }, message });
      expect(res.status).toBe(202);
    }
    await h.worker.processDue();
    const chat = (await json(`${h.url}/sandbox/api/state`)).body.inbox.chats.find((c: any) => c.conversationId === 'kinds');
    expect(chat.messages.map((m: any) => [m.kind, m.attachment, m.text])).toEqual([
      ['picture', 'picture · parcel.jpg', 'my parcel'],
      // A video says how long it runs; a file is named by its file name, not its URL.
      ['video', 'video · unboxing.mp4 · 12 s', 'unboxing'],
      ['file', 'file · invoice.pdf', 'the invoice'],
      ['file', 'file · terms.pdf', ''],
      ['sticker', 'sticker · st-9', ''],
      ['location', 'location · 55.75, 37.61', 'here'],
      ['contact', 'contact · Bob +79161234567', ''],
      ['text', null, 'plain'],
    ]);
  });
});
