import type { RequestListener } from 'node:http';
import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import helmet from 'helmet';
import type { AppDeps } from '../deps';
import { createMetrics } from '../lib/metrics';
import { createAmocrmRouter } from './amocrm-routes';
import { amojoHooksMount } from './amojo-hooks-route';
import { createBodyBudget } from './body-budget';
import { createClientIp, parseTrustProxy } from './client-ip';
import { createErrorHandler } from './error-handler';
import { tapExchanges } from './exchange-tap';
import { createHealthRouter } from './health-routes';
import { createHttpMetricsMiddleware, createMetricsRouter } from './metrics';
import { notFoundHandler } from './not-found';
import { createPipeline, type ExchangeTap, type RawHandler } from './pipeline';
import { providerApiMount } from './provider-api';
import { createRequestLogger } from './request-logger';
import { createWidgetRouter } from './widget-routes';

export { parseTrustProxy } from './client-ip';

/**
 * What an optional module adds to the HTTP app without production code knowing it (the sandbox
 * console is one): an observer of the public surfaces, and extra express routes.
 */
export interface HttpPlugin {
  /** Sees every finished call of /api/v1 and /widget/v1, with bodies (mask secrets before showing them). */
  tap?: ExchangeTap;
  /** Mounted before the 404 handler, in order. */
  routes?: Array<{ path: string; handler: RequestHandler }>;
}

/**
 * The hooks and the provider API run on the node:http pipeline (http/pipeline.ts); the widget API,
 * health, metrics and any plug-in routes stay on express. They are low-traffic, and the widget API
 * leans on express's ecosystem (CORS preflights, form bodies, express-rate-limit, helmet), which the
 * pipeline would otherwise have to re-implement. Errors, JSON limits and validation use the same
 * modules on both sides.
 */
export function createApp(appDeps: AppDeps, plugin: HttpPlugin = {}): Express {
  const deps = withMetrics(appDeps);
  return buildApp(deps, createHotRoutes(deps, plugin), plugin);
}

/**
 * What main.ts serves: the pipeline's routes go straight to their node:http handlers, skipping even
 * express's own request setup (it costs as much as a hook's whole commit); everything else goes to
 * the express app, which also mounts the same pipeline first, so createApp(deps) alone still serves
 * every route (and the HTTP tests exercise the pipeline).
 */
export function createRequestListener(appDeps: AppDeps, plugin: HttpPlugin = {}): RequestListener {
  const deps = withMetrics(appDeps);
  const hot = createHotRoutes(deps, plugin);
  const app = buildApp(deps, hot, plugin);
  return (req, res) => {
    if (!hot(req, res)) app(req, res);
  };
}

type WithMetrics = AppDeps & { metrics: NonNullable<AppDeps['metrics']> };

function createHotRoutes(deps: WithMetrics, plugin: HttpPlugin): RawHandler {
  return createPipeline(
    {
      logger: deps.logger,
      metrics: deps.metrics,
      clientIp: createClientIp(deps.config.TRUST_PROXY),
      bodyBudget: createBodyBudget({ maxBodies: deps.config.HTTP_MAX_BODIES_IN_FLIGHT, maxBytes: deps.config.HTTP_MAX_BODY_BYTES_IN_FLIGHT }),
      ...(plugin.tap ? { tap: plugin.tap } : {}),
    },
    [amojoHooksMount(deps.services), providerApiMount({ token: deps.config.PROVIDER_API_TOKEN, services: deps.services })],
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

function buildApp(deps: WithMetrics, hot: RawHandler, plugin: HttpPlugin): Express {
  const app = express();
  // First, before helmet and the parsers.
  app.use(asMiddleware(hot));
  app.disable('x-powered-by');
  app.set('trust proxy', parseTrustProxy(deps.config.TRUST_PROXY));
  app.set('etag', false);
  app.use(helmet());
  app.use(createRequestLogger(deps.logger));
  app.use(createHttpMetricsMiddleware(deps.metrics));

  app.use(createHealthRouter(deps));
  app.use(createMetricsRouter(deps.metrics));
  if (plugin.tap) app.use('/widget/v1', tapExchanges('widget_api', plugin.tap));
  app.use('/widget/v1', createWidgetRouter(deps));
  app.use('/amocrm/v1', createAmocrmRouter(deps.services));
  for (const route of plugin.routes ?? []) app.use(route.path, route.handler);

  app.use(notFoundHandler);
  app.use(createErrorHandler(deps.logger));
  return app;
}
