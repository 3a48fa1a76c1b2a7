import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAmojoClient, noRetry, signWebhookBody } from '@amochan/amojo';
import { startEmulator, type RunningEmulator } from '@amochan/amojo-emulator';
import { loadConfig } from '../src/config';
import type { AppDeps } from '../src/deps';
import { createApp } from '../src/http/app';
import { createHttpFetch } from '../src/lib/http-fetch';
import { createId } from '../src/lib/ids';
import { createLifecycle } from '../src/lib/lifecycle';
import { createSilentLogger } from '../src/lib/logger';
import { createWakeSignal } from '../src/lib/wake-signal';
import { createRelayWorker } from '../src/outbox/relay-worker';
import type { OutboxWorker } from '../src/outbox/worker';
import { createCredentialVerifier } from '../src/services/credentials';
import { verifyProviderSignature } from '../src/services/provider-signature';
import { createMemoryStore } from '../src/storage/memory/store';
import type { Connection, Store } from '../src/storage/types';

/** Shared set-up for the s2-* (relay) tests: memory store, emulator and a provider on loopback. */

export const API_TOKEN = 'provider-token-s2';
export const WEBHOOK_SECRET = 'provider-webhook-secret-s2';
export const auth = { Authorization: `Bearer ${API_TOKEN}` };

export interface ReceivedEvent {
  raw: string;
  headers: IncomingMessage['headers'];
  body: { id: string; type: string; created_at: number; account: string; data: Record<string, any> };
  verified: boolean;
}

export type Responder = (event: ReceivedEvent) => { status: number; body?: string; headers?: Record<string, string> } | undefined;

export interface ProviderServer {
  url: string;
  port: number;
  /** Every request, in arrival order (including the ones answered with an error). */
  received: ReceivedEvent[];
  /** Only the ones answered 2xx. */
  accepted: ReceivedEvent[];
  respond(fn: Responder | null): void;
  close(): Promise<void>;
}

/** A provider webhook receiver: records every event, answers 200 unless a responder says otherwise. */
export async function startProviderServer(secret = WEBHOOK_SECRET, port = 0): Promise<ProviderServer> {
  let responder: Responder | null = null;
  const received: ReceivedEvent[] = [];
  const accepted: ReceivedEvent[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: ReceivedEvent['body'];
      try {
        body = JSON.parse(raw) as ReceivedEvent['body'];
      } catch {
        body = { id: '', type: 'invalid', created_at: 0, account: '', data: {} };
      }
      const event: ReceivedEvent = { raw, headers: req.headers, body, verified: verifyProviderSignature(raw, req.headers['x-amochan-signature'] as string, secret) };
      received.push(event);
      const answer = responder?.(event) ?? { status: 200, body: '{"ok":true}' };
      if (answer.status >= 200 && answer.status < 300) accepted.push(event);
      res.writeHead(answer.status, { 'Content-Type': 'application/json', ...(answer.headers ?? {}) });
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}/events`,
    port: actual,
    received,
    accepted,
    respond: (fn) => (responder = fn),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export async function waitFor<T>(fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, what = 'condition', timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RelayHarness {
  emulator: RunningEmulator;
  provider: ProviderServer;
  store: Store;
  deps: AppDeps;
  app: ReturnType<typeof createApp>;
  worker: OutboxWorker;
  /** The app listening on loopback (the emulator's hooks go there). */
  appUrl: string;
  connection: Connection;
  login: string;
  /** Connect another login to a fresh amojo account. */
  connect(login: string): Promise<Connection>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  /** Start the outbox worker (default true). */
  startWorker?: boolean;
  /** Skip the provider server and set PROVIDER_WEBHOOK_URL to this. */
  providerUrl?: string;
}

export async function createRelayHarness(options: HarnessOptions = {}): Promise<RelayHarness> {
  const emulator = await startEmulator();
  const provider = await startProviderServer();
  const config = loadConfig({
    AMOJO_CHANNEL_ID: emulator.channelId,
    AMOJO_CHANNEL_SECRET: emulator.secret,
    AMOJO_BASE_URL: emulator.url,
    PROVIDER_API_TOKEN: API_TOKEN,
    PROVIDER_WEBHOOK_URL: options.providerUrl ?? provider.url,
    PROVIDER_WEBHOOK_SECRET: WEBHOOK_SECRET,
    DATABASE_URL: 'memory:',
    OUTBOX_BASE_DELAY_MS: '5',
    OUTBOX_MAX_DELAY_MS: '20',
    OUTBOX_POLL_MS: '20',
    OUTBOX_MAX_ATTEMPTS: '4',
    PROVIDER_WEBHOOK_TIMEOUT_MS: '2000',
    ...options.env,
  });
  const store = createMemoryStore();
  const logger = createSilentLogger();
  const amojo = createAmojoClient({ baseUrl: emulator.url, channelId: emulator.channelId, secret: emulator.secret, retry: noRetry });
  const deps: AppDeps = {
    config,
    store,
    logger,
    clock: { now: () => Date.now() },
    ids: createId,
    amojo,
    verifier: createCredentialVerifier({ config, store, logger }),
    outboxSignal: createWakeSignal(),
    lifecycle: createLifecycle(),
  };
  const app = createApp(deps);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  emulator.control.setWebhookUrl(`${appUrl}/amojo/v1/webhook/:scope_id`);
  // As main.ts wires it: the worker's own non-retrying client over keep-alive node:http.
  const outboxFetch = createHttpFetch();
  const worker = createRelayWorker(deps, {
    amojo: createAmojoClient({ baseUrl: emulator.url, channelId: emulator.channelId, secret: emulator.secret, retry: noRetry, fetch: outboxFetch }),
    fetch: outboxFetch,
  });
  if (options.startWorker !== false) worker.start();

  async function connect(login: string): Promise<Connection> {
    const amojoAccountId = randomUUID();
    const res = await amojo.connect({ account_id: amojoAccountId, title: 'test' });
    const now = Date.now();
    const connection: Connection = {
      amojoAccountId,
      login,
      scopeId: res.scope_id,
      title: 'test',
      status: 'connected',
      amocrmAccountId: null,
      pipelineId: null,
      connectedAt: now,
      disconnectedAt: null,
      updatedAt: now,
    };
    await store.connections.save(connection);
    return connection;
  }

  const connection = await connect('alice');
  return {
    emulator,
    provider,
    store,
    deps,
    app,
    worker,
    appUrl,
    connection,
    login: 'alice',
    connect,
    async close() {
      await worker.stop();
      outboxFetch.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await emulator.close();
      await provider.close();
      await store.close();
    },
  };
}

/** A hook body signed with the channel secret, as amojo sends it. */
export function signHook(body: unknown, secret: string): { raw: string; signature: string } {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  return { raw, signature: signWebhookBody(raw, secret) };
}

/** A message hook as amojo sends it for a manager's answer in an existing chat. */
export function messageHookBody(opts: { accountId: string; chatId: string; clientId?: string | null; msgId?: string; text?: string; receiverId?: string; receiverClientId?: string | null; phone?: string }) {
  const now = Date.now();
  return {
    account_id: opts.accountId,
    time: Math.floor(now / 1000),
    message: {
      receiver: {
        id: opts.receiverId ?? randomUUID(),
        ...(opts.receiverClientId ? { client_id: opts.receiverClientId } : {}),
        name: 'Customer',
        ...(opts.phone ? { phone: opts.phone } : {}),
      },
      sender: { id: randomUUID(), name: 'Manager' },
      conversation: { id: opts.chatId, ...(opts.clientId ? { client_id: opts.clientId } : {}) },
      timestamp: Math.floor(now / 1000),
      msec_timestamp: now,
      message: { id: opts.msgId ?? randomUUID(), type: 'text', text: opts.text ?? 'hello from the manager', markup: null, tag: '', media: '', thumbnail: '', file_name: '', file_size: 0 },
    },
  };
}

export const newId = (): string => randomUUID();
