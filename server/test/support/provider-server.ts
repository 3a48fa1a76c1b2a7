import type { IncomingMessage } from 'node:http';
import { verifyProviderSignature } from '../../src/outbox/provider-signature';
import { listenOnLoopback, readBody } from './loopback';

/**
 * Fake providers: HTTP servers on loopback that receive the events the server delivers to
 * PROVIDER_WEBHOOK_URL. One records and verifies every event and can be told how to answer (HTTP
 * tests); one records raw deliveries without deduplicating anything (crash tests count repeats).
 */

export const WEBHOOK_SECRET = 'provider-webhook-secret-s2';

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
  const listening = await listenOnLoopback(async (req, res) => {
    const raw = await readBody(req);
    let body: ReceivedEvent['body'];
    try {
      body = JSON.parse(raw) as ReceivedEvent['body'];
    } catch {
      body = { id: '', type: 'invalid', created_at: 0, account: '', data: {} };
    }
    const event: ReceivedEvent = {
      raw,
      headers: req.headers,
      body,
      verified: verifyProviderSignature(raw, req.headers['x-amochan-signature'] as string, secret),
    };
    received.push(event);
    const answer = responder?.(event) ?? { status: 200, body: '{"ok":true}' };
    if (answer.status >= 200 && answer.status < 300) accepted.push(event);
    res.writeHead(answer.status, { 'Content-Type': 'application/json', ...(answer.headers ?? {}) });
    res.end(answer.body ?? '');
  }, port);
  return {
    url: `${listening.url}/events`,
    port: listening.port,
    received,
    accepted,
    respond: (fn) => (responder = fn),
    close: listening.close,
  };
}

export interface RawDelivery {
  eventId: string;
  type: string;
  dataId: string | undefined;
  conversationId: string | null | undefined;
  at: number;
}

export interface RecordingProvider {
  url: string;
  deliveries: RawDelivery[];
  /** Raw deliveries of message.created by amojo message id. */
  countFor(amojoMsgId: string): number;
  close(): Promise<void>;
}

/** Answers 200 after `delayMs` (a slow provider keeps deliveries in flight when we kill the server). */
export async function startRecordingProvider(delayMs = 0): Promise<RecordingProvider> {
  const deliveries: RawDelivery[] = [];
  const listening = await listenOnLoopback(async (req, res) => {
    const raw = await readBody(req);
    try {
      const body = JSON.parse(raw) as { id: string; type: string; data?: { id?: string; conversation?: { id?: string | null } } };
      deliveries.push({ eventId: body.id, type: body.type, dataId: body.data?.id, conversationId: body.data?.conversation?.id, at: Date.now() });
    } catch {
      /* recorded nothing: not JSON */
    }
    setTimeout(() => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}'), delayMs);
  });
  return {
    url: `${listening.url}/events`,
    deliveries,
    countFor: (id) => deliveries.filter((d) => d.type === 'message.created' && d.dataId === id).length,
    close: listening.close,
  };
}
