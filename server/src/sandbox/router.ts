import express, { Router, type Request } from 'express';
import helmet from 'helmet';
import { EmulatorError } from '@amochan/amojo-emulator';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import type { SourcesView } from '../services/widget-sources';
import { AppError } from '../lib/errors';
import { createAmocrmConsole } from './amocrm-console';
import { usesDemoProvider } from './bootstrap';
import { createDemoProvider } from './demo-provider';
import type { EventBus } from './event-bus';
import { createEventStream } from './event-stream';
import { createFileRoutes, widgetBuilt } from './files';
import { createInbox } from './inbox';
import { renderPage } from './pages';
import { customerView } from './customer-view';
import { SANDBOX_AMOCRM_ACCOUNT_ID, SANDBOX_SUBDOMAIN, type SandboxDeps } from './types';
import { mintSandboxWidgetToken } from './widget-token';

/**
 * /sandbox: the newcomer's console, mounted through the sandbox plug-in (sandbox/index.ts) only. One page
 * with three panes — amoCRM (the real built widget in a host page, and an inbox over the embedded
 * emulator), the customer (a demo provider talking to /api/v1), and a live log of every edge
 * crossing — plus the demo provider's webhook receiver.
 */

const sendSchema = z.object({ conversation_id: z.string().min(1).max(255).optional(), text: z.string().trim().min(1).max(4000) });
const newCustomerSchema = z.object({ name: z.string().trim().max(100).optional(), phone: z.string().trim().max(32).optional() });
const readSchema = z.object({ conversation_id: z.string().min(1).max(255) });
const replySchema = z.object({ chat_id: z.string().min(1), text: z.string().trim().min(1).max(4000) });
const writeFirstSchema = z.object({
  phone: z
    .string()
    .trim()
    .regex(/^\+?[\d\s()-]{5,32}$/, 'expected a phone number such as +7 900 123-45-67'),
  text: z.string().trim().min(1).max(4000),
  name: z.string().trim().max(100).optional(),
  /** The source the manager picks in amoCRM's "write first" list (its external_id). */
  source_external_id: z.string().trim().min(1).max(64).optional(),
});

// A ZodError thrown here becomes invalid_request naming the field, like any route's.
const parse = <T>(schema: z.ZodType<T>, body: unknown): T => schema.parse(body ?? {});

/** Our own base URL as seen by this request: where the demo provider calls /api/v1 over loopback. */
export function selfUrl(req: Request): string {
  const address = req.socket.localAddress ?? '127.0.0.1';
  const host = address.startsWith('::ffff:') ? address.slice(7) : address.includes(':') ? `[${address}]` : address;
  return `http://${host}:${req.socket.localPort}`;
}

/** The emulator's control errors, in our taxonomy. */
function fromEmulator(err: unknown): unknown {
  if (!(err instanceof EmulatorError)) return err;
  const code = err.code === 'invalid_argument' ? 'invalid_request' : 'not_found';
  return new AppError(code, err.message, { cause: err });
}

export function createSandboxRouter(deps: Pick<AppDeps, 'config' | 'store' | 'services'>, sandbox: SandboxDeps, bus: EventBus): Router {
  const { config } = deps;
  const inbox = createInbox(sandbox.emulator, sandbox.amojoAccountId);
  const provider = createDemoProvider({ bus, secret: config.PROVIDER_WEBHOOK_SECRET, apiToken: config.PROVIDER_API_TOKEN });
  const amocrmCard = createAmocrmConsole(deps.store, sandbox);
  const currentLogin = async () => (await deps.store.connections.getByAmojoAccount(sandbox.amojoAccountId))?.login ?? sandbox.login;
  const demoWebhookActive = () => usesDemoProvider(config);
  // The demo login's channels with their amoCRM sources, and the account's pipelines (null until the
  // integration is installed: then amoCRM has no sources and the write-first picker offers none).
  const channelsState = async () => {
    const connection = await deps.store.connections.getByAmojoAccount(sandbox.amojoAccountId);
    const login = connection?.login ?? sandbox.login;
    const { channels } = await deps.services.channels.list(login).catch(() => ({ channels: [] }));
    const amocrm: Partial<SourcesView> = connection?.status === 'connected' ? await deps.services.sources.view(connection).catch(() => ({})) : {};
    const live = new Map((amocrm.channels ?? []).map((c) => [c.id, c]));
    return {
      channels: channels.map((c) => ({
        id: c.id,
        name: c.name,
        external_id: live.get(c.id)?.external_id ?? null,
        pipeline_id: live.get(c.id)?.pipeline_id ?? null,
        state: live.get(c.id)?.state ?? null,
      })),
      pipelines: amocrm.pipelines ?? null,
    };
  };

  const router = Router();
  // helmet's default CSP minus upgrade-insecure-requests: the sandbox is plain http on localhost or a
  // LAN address, where upgrading the page's own requests to https would break every one of them.
  router.use(helmet.contentSecurityPolicy({ directives: { upgradeInsecureRequests: null } }));
  router.use(createFileRoutes());

  router.get('/', (_req, res) => {
    const boot = {
      login: sandbox.login,
      password: sandbox.password,
      apiToken: config.PROVIDER_API_TOKEN ?? null,
      amojoAccountId: sandbox.amojoAccountId,
      demoWebhook: demoWebhookActive(),
      webhookUrl: config.PROVIDER_WEBHOOK_URL ?? null,
    };
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(renderPage('console', { boot, widgetBuilt: widgetBuilt() }));
  });

  router.get('/host', (_req, res) => {
    const host = {
      amojoId: sandbox.amojoAccountId,
      accountId: SANDBOX_AMOCRM_ACCOUNT_ID,
      subdomain: SANDBOX_SUBDOMAIN,
      userId: 1,
      lang: 'en',
      // With AMOCRM_CLIENT_SECRET set the server wants tokens: the host page fetches sandbox-minted ones.
      tokens: Boolean(config.AMOCRM_CLIENT_SECRET),
    };
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(renderPage('host', { host, widgetBuilt: widgetBuilt() }));
  });

  router.get('/events', createEventStream(bus));

  // The demo provider's webhook: raw bytes, because the signature covers exactly what was sent.
  router.post('/provider/webhook', express.raw({ type: () => true, limit: '1mb' }), (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const outcome = provider.receive(raw, req.get('x-amochan-signature'), selfUrl(req));
    res.status(outcome.status).json(outcome.body);
  });

  const api = Router();
  api.use(express.json({ limit: '64kb' }));
  api.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  api.get('/state', async (_req, res) => {
    res.json({
      inbox: inbox.view(),
      customer: { account: provider.account(), conversations: await customerView(provider.conversations(), deps.store) },
      widgetBuilt: widgetBuilt(),
      demoWebhook: demoWebhookActive(),
      amocrm: await channelsState(),
      amocrmAccount: await amocrmCard.view(),
    });
  });

  api.post('/customer/new', (req, res) => {
    const body = parse(newCustomerSchema, req.body);
    const c = provider.newCustomer({ ...(body.name ? { name: body.name } : {}), ...(body.phone ? { phone: body.phone } : {}) });
    res.status(201).json({ conversation_id: c.conversationId });
  });

  // Typed as the customer: sent through POST /api/v1/messages with the provider API token.
  api.post('/customer/send', async (req, res) => {
    const body = parse(sendSchema, req.body);
    const message = await provider.send({
      ...(body.conversation_id ? { conversationId: body.conversation_id } : {}),
      text: body.text,
      login: await currentLogin(),
      selfUrl: selfUrl(req),
    });
    // A refusal by /api/v1 (e.g. the account is not connected) is part of the demo: the message shows it.
    res.json(message);
  });

  api.post('/customer/read', async (req, res) => {
    const body = parse(readSchema, req.body);
    res.json({ reported: await provider.markRead(body.conversation_id, selfUrl(req)) });
  });

  api.post('/inbox/reply', async (req, res) => {
    const body = parse(replySchema, req.body);
    res.status(201).json(await inbox.reply(body.chat_id, body.text).catch((err) => Promise.reject(fromEmulator(err))));
  });

  api.post('/inbox/write-first', async (req, res) => {
    const body = parse(writeFirstSchema, req.body);
    res.status(201).json(await inbox.writeFirst(body.phone, body.text, body.name, body.source_external_id).catch((err) => Promise.reject(fromEmulator(err))));
  });

  // The administrator's "Install" click: the emulator issues a code for the demo account and our own
  // OAuth callback exchanges it; the callback's answer (or its error) is passed on as it came.
  api.post('/amocrm/install', async (req, res) => {
    const outcome = await amocrmCard.install(selfUrl(req));
    res.status(outcome.status).json(outcome.body);
  });

  // Sandbox only, and only meaningful with AMOCRM_CLIENT_SECRET set: a widget token as amoCRM would sign it.
  api.get('/widget-token', async (req, res) => {
    if (!config.AMOCRM_CLIENT_SECRET) throw new AppError('not_found', 'widget tokens are off (AMOCRM_CLIENT_SECRET is not set)');
    res.json({ token: await mintSandboxWidgetToken(config, `${req.protocol}://${req.get('host')}`) });
  });

  router.use('/api', api);
  return router;
}
