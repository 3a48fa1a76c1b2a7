import express, { Router, type RequestHandler } from 'express';
import { connectSchema, disconnectSchema, sourceSchema, statusQuerySchema as statusSchema, tokenDisconnectSchema } from '../contract/widget-api';
import type { AppDeps } from '../deps';
import { AppError } from '../lib/errors';
import { findJsonViolation, violationError, WIDGET_JSON_LIMITS } from '../lib/json-limits';
import type { ConnectionService } from '../services/connection-service';
import { createWidgetCors } from './cors';
import { parseInput as parse } from './validate';
import { createWidgetRateLimiters } from './rate-limit';
import { createReplayCache, createWidgetAuth, widgetCaller, type ReplayCache } from './widget-auth';

/**
 * /widget/v1: what the amoCRM widget calls (transport only; the rules live in the connection
 * service). Bodies may be JSON or form-encoded, because jQuery's $.ajax defaults to the latter.
 */

const BODY_LIMIT = '16kb';

/** A POST body must be JSON or form-encoded; anything else is refused before parsing. */
const requireFormOrJson: RequestHandler = (req, _res, next) => {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (req.method === 'POST' && hasBody && !req.is(['application/json', 'application/x-www-form-urlencoded'])) {
    return next(new AppError('unsupported_media_type', 'send the body as application/json'));
  }
  next();
};

/** Shape limits (lib/json-limits.ts explains why), right after the body parsers. */
const jsonGuard: RequestHandler = (req, _res, next) => {
  const body: unknown = req.body;
  const violation = body !== null && typeof body === 'object' ? findJsonViolation(body, WIDGET_JSON_LIMITS) : null;
  next(violation ? violationError(violation) : undefined);
};

export interface WidgetRouterOptions {
  /** Tests may pass their own; by default the store's shared cache (one for every instance on the database). */
  replayCache?: ReplayCache;
  connections?: ConnectionService;
}

export function createWidgetRouter(deps: AppDeps, options: WidgetRouterOptions = {}): Router {
  const { config } = deps;
  const connections = options.connections ?? deps.services.connections;
  const limits = createWidgetRateLimiters({
    counters: deps.store.shared.rateLimits,
    clock: deps.clock,
    windowMs: config.WIDGET_RATE_WINDOW_MS,
    perIp: config.WIDGET_RATE_LIMIT_PER_IP,
    perLogin: config.WIDGET_RATE_LIMIT_PER_LOGIN,
  });

  // Without OAuth only the widget can say which amojo_id it means; with it, amoCRM already did.
  const withAmojoId = <T extends { amojo_id?: string | undefined }>(input: T, where: 'body' | 'query'): T => {
    if (!config.oauth && input.amojo_id === undefined) throw new AppError('invalid_request', `${where}.amojo_id: is required`);
    return input;
  };

  const router = Router();
  router.use(createWidgetCors(config.allowedOrigins));
  // Answers are read by a script on the amoCRM page, so they must be readable cross-origin.
  router.use((_req, res, next) => {
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  // Cheap per-IP brake before parsing bodies or verifying tokens.
  router.post(['/connect', '/disconnect'], limits.perIp);
  router.use(requireFormOrJson);
  router.use(express.json({ limit: BODY_LIMIT, type: 'application/json' }));
  router.use(express.urlencoded({ limit: BODY_LIMIT, extended: false, parameterLimit: 20 }));
  router.use(jsonGuard); // depth and string-length limits, before any recursive consumer
  router.use(createWidgetAuth({ config, clock: deps.clock, logger: deps.logger, cache: options.replayCache ?? createReplayCache(deps.store.shared) }));

  router.post('/connect', limits.perLogin, async (req, res) => {
    const body = withAmojoId(parse(connectSchema, req.body, 'body'), 'body');
    const result = await connections.connect({
      login: body.login,
      password: body.password,
      amojoAccountId: body.amojo_id?.toLowerCase(),
      title: body.title,
      amocrmAccountId: widgetCaller(res.locals).amocrmAccountId,
    });
    res.json(result);
  });

  router.post('/disconnect', limits.perLogin, async (req, res) => {
    const body = withAmojoId(parse(config.AMOCRM_CLIENT_SECRET ? tokenDisconnectSchema : disconnectSchema, req.body, 'body'), 'body');
    res.json(
      await connections.disconnect({
        login: body.login,
        password: body.password,
        amojoAccountId: body.amojo_id?.toLowerCase(),
        amocrmAccountId: widgetCaller(res.locals).amocrmAccountId,
      }),
    );
  });

  router.get('/status', async (req, res) => {
    const query = withAmojoId(parse(statusSchema, req.query, 'query'), 'query');
    res.json(await connections.status({ amojoAccountId: query.amojo_id?.toLowerCase(), amocrmAccountId: widgetCaller(res.locals).amocrmAccountId }));
  });

  router.post('/source', async (req, res) => {
    const body = withAmojoId(parse(sourceSchema, req.body, 'body'), 'body');
    res.json(
      await connections.setSource({
        amojoAccountId: body.amojo_id?.toLowerCase(),
        pipelineId: body.pipeline_id,
        ...(body.channel !== undefined ? { channel: body.channel } : {}),
        amocrmAccountId: widgetCaller(res.locals).amocrmAccountId,
      }),
    );
  });

  return router;
}
