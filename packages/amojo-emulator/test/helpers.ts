import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAmojoClient, noRetry, signRequest, type AmojoClient } from '@amochan/amojo';
import { createTestClock, type TestClock } from '@amochan/amojo/testing';
import { startEmulator, type RunningEmulator, type StartEmulatorOptions } from '../src';

export interface Harness {
  emu: RunningEmulator;
  clock: TestClock;
  client: AmojoClient;
  close(): Promise<void>;
}

export async function startHarness(opts: StartEmulatorOptions = {}, clock = createTestClock()): Promise<Harness> {
  // One clock for both sides, so Date freshness is under the test's control.
  const emu = await startEmulator({ clock: clock.now, ...opts });
  const client = createAmojoClient({ channelId: emu.channelId, secret: emu.secret, baseUrl: emu.url, clock: clock.date, retry: noRetry });
  return { emu, clock, client, close: () => emu.close() };
}

export interface RawCall {
  method: string;
  /** Path (query allowed) sent on the wire. */
  path: string;
  body?: string | Buffer;
  /** Bytes actually sent, when they should differ from the signed ones (tampering). */
  sendBody?: string | Buffer;
  secret?: string;
  /** Path to sign, when it should differ from the one sent. */
  signPath?: string;
  /** Method to sign, when it should differ from the one sent. */
  signMethod?: string;
  date?: Date | string;
  /** Applied after signing: override or (with undefined) remove headers. */
  headers?: Record<string, string | undefined>;
}

export interface RawAnswer {
  status: number;
  text: string;
  json: unknown;
  headers: Headers;
}

/** A hand-signed request, to send exactly the bytes and headers a test wants. */
export async function rawCall(emu: RunningEmulator, clock: TestClock, call: RawCall): Promise<RawAnswer> {
  const body = call.body ?? '';
  const signed: Record<string, string | undefined> = {
    ...signRequest({
      method: call.signMethod ?? call.method,
      path: call.signPath ?? call.path,
      body,
      secret: call.secret ?? emu.secret,
      date: call.date ?? clock.date(),
    }),
  };
  for (const [k, v] of Object.entries(call.headers ?? {})) signed[k] = v;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed)) if (v !== undefined) headers[k] = v;
  const res = await fetch(`${emu.url}${call.path}`, {
    method: call.method,
    headers,
    ...(call.method === 'GET' || call.method === 'HEAD' ? {} : { body: call.sendBody ?? body }),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, headers: res.headers };
}

export interface ReceivedHook {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Receiver {
  /** Callback URL template with :scope_id, as registered for the channel. */
  url: string;
  hooks: ReceivedHook[];
  status: number;
  delayMs: number;
  close(): Promise<void>;
}

/** A bare node:http webhook receiver that records every hook and answers `status` after `delayMs`. */
export async function startReceiver(): Promise<Receiver> {
  const timers = new Set<NodeJS.Timeout>();
  let server: Server;
  const receiver: Receiver = {
    url: '',
    hooks: [],
    status: 200,
    delayMs: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      receiver.hooks.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      const answer = (): void => void res.writeHead(receiver.status, { 'Content-Type': 'text/plain' }).end('ok');
      if (receiver.delayMs <= 0) answer();
      else {
        const t = setTimeout(() => {
          timers.delete(t);
          answer();
        }, receiver.delayMs);
        timers.add(t);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/amojo/v1/webhook/:scope_id`;
  return receiver;
}

export const ACCOUNT_ID = '52e591f7-c98f-4255-8495-827210138c81';

/** Connects the standard test account and returns its scope id. */
export async function connectAccount(h: Harness, accountId = ACCOUNT_ID): Promise<string> {
  const res = await h.client.connect({ account_id: accountId, title: 'amochan test' });
  return res.scope_id;
}

let seq = 0;
export const uniq = (prefix: string): string => `${prefix}-${++seq}`;

/** A minimal customer text message for sendMessage. */
export function textMessage(conversationId: string, text = 'hello', senderId = 'client-1') {
  return {
    msgid: uniq('msg'),
    conversation_id: conversationId,
    sender: { id: senderId, name: 'Вася клиент', profile: { phone: '+7 915 111-22-33', email: 'vasya@example.com' } },
    message: { type: 'text' as const, text },
  };
}
