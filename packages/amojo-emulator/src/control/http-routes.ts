import express, { type NextFunction, type Request, type Response } from 'express';
import { EMULATOR_ERROR_STATUS, EmulatorError } from '../errors';
import type { EmulatorEvents } from '../events';
import { parseArgs } from './actions';
import type { EmulatorControl } from './control';
import { dropWebhooksArgsSchema, failNextArgsSchema, msgidUniquenessArgsSchema, latencyArgsSchema, webhookUrlArgsSchema } from './schemas';

export const CONTROL_PREFIX = '/_emulator';

type Handler = (req: Request) => unknown;

const query = (req: Request, name: string): string | undefined => {
  const value = req.query[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

/**
 * The control API over HTTP: plain JSON, no signing (it stands in for amoCRM's UI, not for amojo).
 * Bodies mirror the in-process arguments; errors are `{"error":{"code","message"}}` like the server's.
 */
export function createControlRouter(control: EmulatorControl, events: EmulatorEvents): express.Router {
  const router = express.Router();
  router.use(express.json({ limit: '5mb' }));

  const route = (method: 'get' | 'post', path: string, handler: Handler, status = 200): void => {
    router[method](path, async (req: Request, res: Response, next: NextFunction) => {
      try {
        const result = await handler(req);
        res.status(status).json(result ?? { ok: true });
      } catch (err) {
        next(err);
      }
    });
  };

  route('get', '/channels', () => control.listChannels());
  route('post', '/channels', (req) => control.addChannel(req.body ?? {}), 201);
  route('post', '/webhook-url', (req) => {
    const args = parseArgs(webhookUrlArgsSchema, req.body);
    control.setWebhookUrl(args.url, args.channelId);
  });
  route('get', '/connections', () => control.listConnections());
  route('get', '/chats', (req) => control.listChats(query(req, 'scope_id')));
  route('get', '/messages', (req) => control.listMessages({ scopeId: query(req, 'scope_id'), chatId: query(req, 'chat_id') }));
  route('get', '/messages/:id', (req) => {
    const message = control.getMessage(String(req.params.id));
    if (!message) throw new EmulatorError('unknown_message', `no message ${String(req.params.id)}`);
    return message;
  });
  route('get', '/users', (req) => control.listUsers(query(req, 'scope_id')));
  route('get', '/leads', (req) => control.listLeads(query(req, 'scope_id')));
  route('get', '/typing', () => control.typingLog());
  route('get', '/webhooks', () => control.webhookLog());
  route('post', '/reset', () => control.reset());

  route('post', '/manager-reply', (req) => control.managerReply(req.body));
  route('post', '/write-first', (req) => control.writeFirst(req.body));
  route('post', '/typing', (req) => control.typing(req.body));
  route('post', '/react', (req) => control.react(req.body));

  route('get', '/msgid-uniqueness', () => ({ mode: control.msgidUniqueness() }));
  route('post', '/msgid-uniqueness', (req) => {
    control.setMsgidUniqueness(parseArgs(msgidUniquenessArgsSchema, req.body).mode);
    return { mode: control.msgidUniqueness() };
  });

  route('get', '/faults', () => control.faults());
  route('post', '/faults/fail-next', (req) => {
    const a = parseArgs(failNextArgsSchema, req.body);
    control.failNext(a.count, a.status, a.body, {
      ...(a.retryAfter !== undefined ? { retryAfter: a.retryAfter } : {}),
      ...(a.headers !== undefined ? { headers: a.headers } : {}),
    });
    return control.faults();
  });
  route('post', '/faults/latency', (req) => {
    control.latency(parseArgs(latencyArgsSchema, req.body).ms);
    return control.faults();
  });
  route('post', '/faults/drop-webhooks', (req) => {
    control.dropWebhooks(parseArgs(dropWebhooksArgsSchema, req.body).count);
    return control.faults();
  });
  route('post', '/faults/clear', () => {
    control.clearFaults();
    return control.faults();
  });

  // Live log as server-sent events: the sandbox console tails this.
  router.get('/events', (req: Request, res: Response) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    res.write(': amojo-emulator events\n\n');
    const onRequest = (e: unknown): void => void res.write(`event: request\ndata: ${JSON.stringify(e)}\n\n`);
    const onWebhook = (e: unknown): void => void res.write(`event: webhook\ndata: ${JSON.stringify(e)}\n\n`);
    events.on('request', onRequest);
    events.on('webhook', onWebhook);
    req.on('close', () => {
      events.off('request', onRequest);
      events.off('webhook', onWebhook);
    });
  });

  router.use((req: Request, res: Response) => {
    res.status(404).json({ error: { code: 'not_found', message: `no control route ${req.method} ${req.originalUrl}` } });
  });
  router.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof EmulatorError) {
      res.status(EMULATOR_ERROR_STATUS[err.code]).json({ error: { code: err.code, message: err.message } });
      return;
    }
    const status = typeof (err as { status?: unknown })?.status === 'number' ? (err as { status: number }).status : 500;
    const code = status === 400 ? 'invalid_json' : 'internal_error';
    res.status(status).json({ error: { code, message: err instanceof Error ? err.message : String(err) } });
  });
  return router;
}
