import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createAmojoClient, noRetry } from '@amochan/amojo';
import { createEmulatorApp } from '../src';
import { textMessage } from './helpers';

/** Embedding, as the server's sandbox mode does: the emulator app mounted inside another app. */

let server: Server;
let base: string;
const embedded = createEmulatorApp({ channelId: 'e0e0e0e0-0000-4000-8000-000000000001', secret: 'b'.repeat(40) });

beforeAll(async () => {
  const outer = express();
  outer.get('/healthz', (_req, res) => void res.send('ok'));
  outer.use('/sandbox/amojo', embedded.app);
  server = createServer(outer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sandbox/amojo`;
});
afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
);

test('under a mount prefix, signatures are still checked on the /v2/origin/custom path the SDK signs', async () => {
  expect(embedded.channelId).toBe('e0e0e0e0-0000-4000-8000-000000000001');
  expect(embedded.secret).toBe('b'.repeat(40));
  const client = createAmojoClient({ channelId: embedded.channelId, secret: embedded.secret, baseUrl: base, retry: noRetry });
  const { scope_id } = await client.connect({ account_id: 'acc-embed' });
  const sent = await client.sendMessage(scope_id, textMessage('conv-embed'));
  const history = await client.getHistory(scope_id, sent.new_message.conversation_id!, { limit: 1 });
  expect(history.messages[0]!.message!.id).toBe(sent.new_message.msgid);
  expect(embedded.control.listConnections()).toHaveLength(1);
  const res = await fetch(`${base}/_emulator/connections`);
  expect(((await res.json()) as unknown[]).length).toBe(1);
});
