import express, { type Express } from 'express';
import helmet from 'helmet';
import type { AppDeps } from '../deps';
import { createEdgeTap } from '../sandbox/edge-tap';
import { createSandboxRouter } from '../sandbox/router';
import { createErrorHandler } from './error-handler';
import { createMetrics } from '../lib/metrics';
import { createHttpMetricsMiddleware, createMetricsRouter } from './metrics';
import { createHealthRouter } from './health-routes';
import { notFoundHandler } from './not-found';
import { createRequestLogger } from './request-logger';
import type { RequestListener } from 'node:http';
import { createAmojoWebhookHandler } from './amojo-webhook-route';
import { createProviderMessagesHandler } from './provider-fast-path';
import { asMiddleware, type RawHandler } from './raw-route';
import { createProviderRouter } from './provider-routes';
import { createWidgetRouter } from './widget-routes';

/**
 * TRUST_PROXY as express understands it: true/false, a hop count, or a comma-separated list of
 * addresses/subnets/names (loopback, linklocal, uniquelocal). It decides what req.ip is, and so what
 * the per-IP rate limit counts: trusting too much lets clients spoof X-Forwarded-For.
 */
export function parseTrustProxy(value: string): boolean | number | string {
  const v = value.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false' || v === '') return false;
  if (/^\d+$/.test(v)) return Number(v);
  return value;
}

/**
 * The express app. Body parsers are attached per router, never globally: the amojo webhook route
 * must see the raw bytes to verify their HMAC, and each surface has its own size limit.
 */
export function createApp(appDeps: AppDeps): Express {
  const deps = withMetrics(appDeps);
  return buildApp(deps, createHotRoutes(deps));
}

/**
 * What main.ts serves: amojo's hooks and the provider's messages go straight to plain node:http
 * handlers, skipping even express's own request setup (it costs as much as a hook's whole commit);
 * everything else goes to the express app, which also mounts the same handlers first, so
 * createApp(deps) alone still serves every route (and the HTTP tests exercise the fast paths).
 */
export function createRequestListener(appDeps: AppDeps): RequestListener {
  const deps = withMetrics(appDeps);
  const hot = createHotRoutes(deps);
  const app = buildApp(deps, hot);
  return (req, res) => {
    if (!hot(req, res)) app(req, res);
  };
}

/** amojo's hooks and the provider's messages: the two routes that carry every message. */
function createHotRoutes(deps: AppDeps): RawHandler {
  const webhook = createAmojoWebhookHandler(deps);
  const messages = createProviderMessagesHandler(deps);
  return (req, res) => webhook(req, res) || messages(req, res);
}

// S5: one metrics registry per app; the routers below see it through deps.metrics.
const withMetrics = (appDeps: AppDeps): AppDeps =>
  appDeps.metrics ? appDeps : { ...appDeps, metrics: createMetrics({ outbox: appDeps.store.outbox }) };

function buildApp(deps: AppDeps, hot: RawHandler): Express {
  const app = express();
  // First, before helmet and the parsers: the hot routes (see raw-route.ts).
  app.use(asMiddleware(hot));
  app.disable('x-powered-by');
  app.set('trust proxy', parseTrustProxy(deps.config.TRUST_PROXY));
  app.set('etag', false);
  app.use(helmet());
  app.use(createRequestLogger(deps.logger));
  app.use(createHttpMetricsMiddleware(deps.metrics!));

  app.use(createHealthRouter(deps));
  app.use(createMetricsRouter(deps.metrics!));
  // SANDBOX (issue 7): record widget and provider calls for the console's event log (sandbox only).
  if (deps.events) app.use('/widget/v1', createEdgeTap(deps.events, 'widget_api'));
  if (deps.events) app.use('/api/v1', createEdgeTap(deps.events, 'provider_api'));
  app.use('/widget/v1', createWidgetRouter(deps));
  app.use('/api/v1', createProviderRouter(deps));
  // SANDBOX (issue 7): the newcomer's console; absent (404) outside sandbox mode or with SANDBOX_CONSOLE=false.
  if (deps.config.sandbox && deps.config.SANDBOX_CONSOLE && deps.sandbox) app.use('/sandbox', createSandboxRouter(deps));

  app.use(notFoundHandler);
  app.use(createErrorHandler(deps.logger));
  return app;
}
