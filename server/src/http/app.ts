/**
 * The HTTP app. Every API runs on the one node:http pipeline (http/pipeline.ts): the amojo hooks,
 * the provider API (/api/v1) and the widget API (/widget/v1). Each route is a RouteSpec, and CORS,
 * authentication, body limits, JSON/form parsing and shape limits, validation errors, error mapping,
 * metrics, the request log line and the observer tap are written once, there.
 *
 * Express still serves what is neither an API nor hot: /healthz, /readyz, /metrics, /amocrm/v1
 * (amoCRM's install callback answers an HTML page or JSON by content negotiation), the plug-in routes
 * (the sandbox console: static files, templates, server-sent events, a proxy to the emulator) and the
 * 404 for everything else. Those lean on express's features and see a request every few seconds at
 * most. They share the pipeline's pieces rather than copying them: observe.ts for the metric and the
 * log line, error-handler.ts for errors, helmet's one configuration for security headers.
 */
import type { RequestListener } from 'node:http';
import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { AppDeps } from '../deps';
import { createMetrics } from '../lib/metrics';
import { createAmocrmRouter } from './amocrm-routes';
import { amojoHooksMount } from './amojo-hooks-route';
import { createBodyBudget } from './body-budget';
import { createClientIp, parseTrustProxy } from './client-ip';
import { createErrorHandler } from './error-handler';
import { createHealthRouter } from './health-routes';
import { createMetricsRouter } from './metrics';
import { notFoundHandler } from './not-found';
import { observeExpress } from './observe';
import { createPipeline, type ExchangeTap, type RawHandler } from './pipeline';
import { providerApiMount } from './provider-api';
import { securityHeaders } from './security-headers';
import { widgetApiMount } from './widget-routes';

export { parseTrustProxy } from './client-ip';

/**
 * What an optional module adds to the HTTP app without production code knowing it (the sandbox
 * console is one): an observer of the public surfaces, and extra express routes.
 */
export interface HttpPlugin {
  /** Sees every finished call of /api/v1 and /widget/v1, with bodies (mask secrets before showing them). */
  tap?: ExchangeTap;
  /** Mounted on express before the 404 handler, in order. */
  routes?: Array<{ path: string; handler: RequestHandler }>;
}

/** The express app, with the pipeline as its first middleware: alone it serves every route (the HTTP tests use it). */
export function createApp(appDeps: AppDeps, plugin: HttpPlugin = {}): Express {
  const deps = withMetrics(appDeps);
  return buildApp(deps, createApiRoutes(deps, plugin), plugin);
}

/**
 * What main.ts serves: the pipeline's routes go straight to their node:http handlers, skipping even
 * express's own request setup (it costs as much as a hook's whole commit); everything else goes to
 * the express app.
 */
export function createRequestListener(appDeps: AppDeps, plugin: HttpPlugin = {}): RequestListener {
  const deps = withMetrics(appDeps);
  const api = createApiRoutes(deps, plugin);
  const app = buildApp(deps, api, plugin);
  return (req, res) => {
    if (!api(req, res)) app(req, res);
  };
}

type WithMetrics = AppDeps & { metrics: NonNullable<AppDeps['metrics']> };

function createApiRoutes(deps: WithMetrics, plugin: HttpPlugin): RawHandler {
  return createPipeline(
    {
      logger: deps.logger,
      metrics: deps.metrics,
      clientIp: createClientIp(deps.config.TRUST_PROXY),
      bodyBudget: createBodyBudget({ maxBodies: deps.config.HTTP_MAX_BODIES_IN_FLIGHT, maxBytes: deps.config.HTTP_MAX_BODY_BYTES_IN_FLIGHT }),
      ...(plugin.tap ? { tap: plugin.tap } : {}),
    },
    // The hottest first: a request is matched against the mounts in this order.
    [amojoHooksMount(deps.services), providerApiMount({ token: deps.config.PROVIDER_API_TOKEN, services: deps.services }), widgetApiMount(deps)],
  );
}

// A registry per app, so hand-built deps without one still answer GET /metrics without sharing names.
const withMetrics = (appDeps: AppDeps): WithMetrics =>
  appDeps.metrics
    ? (appDeps as WithMetrics)
    : { ...appDeps, metrics: createMetrics({ outbox: appDeps.store.outbox, installations: appDeps.store.installations }) };

/** The pipeline as the first express middleware. */
function asMiddleware(handler: RawHandler) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!handler(req, res)) next();
  };
}

function buildApp(deps: WithMetrics, api: RawHandler, plugin: HttpPlugin): Express {
  const app = express();
  // First, before express's own request setup does anything.
  app.use(asMiddleware(api));
  app.disable('x-powered-by');
  app.set('trust proxy', parseTrustProxy(deps.config.TRUST_PROXY));
  app.set('etag', false);
  // helmet's headers, the same set the pipeline's browser-facing answers carry.
  const security = Object.entries(securityHeaders());
  app.use((_req, res, next) => {
    for (const [name, value] of security) res.setHeader(name, value);
    next();
  });
  const routers = [{ path: '/amocrm/v1', handler: createAmocrmRouter(deps.services) }, ...(plugin.routes ?? [])];
  app.use(
    observeExpress(
      deps,
      routers.map((r) => r.path),
    ),
  );

  app.use(createHealthRouter(deps));
  app.use(createMetricsRouter(deps.metrics));
  for (const route of routers) app.use(route.path, route.handler);

  app.use(notFoundHandler);
  app.use(createErrorHandler(deps.logger));
  return app;
}
