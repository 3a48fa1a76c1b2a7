import { connectSchema, disconnectSchema, sourceSchema, statusQuerySchema as statusSchema, tokenDisconnectSchema } from '../contract/widget-api';
import type { AppDeps } from '../deps';
import { AppError } from '../lib/errors';
import { WIDGET_JSON_LIMITS } from '../lib/json-limits';
import { createWidgetCors } from './cors';
import type { Mount, RouteRequest } from './pipeline';
import { createWidgetRateLimiters } from './rate-limit';
import { securityHeaders } from './security-headers';
import { parseInput as parse } from './validate';
import { createReplayCache, createWidgetAuth, type WidgetCaller } from './widget-auth';

/**
 * /widget/v1: what the amoCRM widget calls (transport only; the rules live in the connection
 * service), on the node:http pipeline like the other APIs. Bodies may be JSON or form-encoded,
 * because jQuery's $.ajax defaults to the latter. Per request: CORS (only amoCRM/Kommo pages and
 * ALLOWED_ORIGINS), the widget token (when AMOCRM_CLIENT_SECRET is set), the per-IP brake on the
 * password checks, then the 16 KB body, then the route.
 */

const BODY_LIMIT_BYTES = 16 * 1024;

type WidgetRequest = RouteRequest<WidgetCaller>;

export function widgetApiMount(deps: Pick<AppDeps, 'config' | 'clock' | 'logger' | 'store' | 'services'>): Mount<WidgetCaller> {
  const { config } = deps;
  const { connections } = deps.services;
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

  /**
   * The per-login brake, before anything else looks at the body: a call naming a login counts as a
   * failed attempt for it; the returned function clears the count once the call succeeded.
   */
  async function countLoginAttempt(req: WidgetRequest): Promise<() => Promise<void>> {
    const login = (req.body as { login?: unknown } | undefined)?.login;
    if (typeof login !== 'string' || login === '') return async () => undefined;
    const clear = await limits.perLogin(req, login);
    // The answer stands whatever the counter store does now; the count then just expires.
    return () => clear().catch(() => undefined);
  }
  // Cheap per-IP brake before the body is read.
  const perIp = (req: WidgetRequest) => limits.perIp(req);

  return {
    prefix: '/widget/v1',
    surface: 'widget_api',
    // Answers are read by a script on the amoCRM page, so they must be readable cross-origin.
    headers: { ...securityHeaders(), 'Cross-Origin-Resource-Policy': 'cross-origin', 'Cache-Control': 'no-store' },
    cors: createWidgetCors(config.allowedOrigins),
    authenticate: createWidgetAuth({ config, clock: deps.clock, logger: deps.logger, cache: createReplayCache(deps.store.shared) }),
    bodyLimitBytes: BODY_LIMIT_BYTES,
    jsonLimits: WIDGET_JSON_LIMITS,
    routes: [
      {
        method: 'POST',
        pattern: '/connect',
        body: 'form',
        precheck: perIp,
        async handle(req) {
          const succeeded = await countLoginAttempt(req);
          const body = withAmojoId(parse(connectSchema, req.body, 'body'), 'body');
          const result = await connections.connect({
            login: body.login,
            password: body.password,
            amojoAccountId: body.amojo_id?.toLowerCase(),
            title: body.title,
            amocrmAccountId: req.auth.amocrmAccountId,
          });
          await succeeded();
          return { status: 200, body: result };
        },
      },
      {
        method: 'POST',
        pattern: '/disconnect',
        body: 'form',
        precheck: perIp,
        async handle(req) {
          const succeeded = await countLoginAttempt(req);
          const body = withAmojoId(parse(config.AMOCRM_CLIENT_SECRET ? tokenDisconnectSchema : disconnectSchema, req.body, 'body'), 'body');
          const result = await connections.disconnect({
            login: body.login,
            password: body.password,
            amojoAccountId: body.amojo_id?.toLowerCase(),
            amocrmAccountId: req.auth.amocrmAccountId,
          });
          await succeeded();
          return { status: 200, body: result };
        },
      },
      {
        method: 'GET',
        pattern: '/status',
        async handle(req) {
          const query = withAmojoId(parse(statusSchema, req.query, 'query'), 'query');
          return { status: 200, body: await connections.status({ amojoAccountId: query.amojo_id?.toLowerCase(), amocrmAccountId: req.auth.amocrmAccountId }) };
        },
      },
      {
        method: 'POST',
        pattern: '/source',
        body: 'form',
        async handle(req) {
          const body = withAmojoId(parse(sourceSchema, req.body, 'body'), 'body');
          const result = await connections.setSource({
            amojoAccountId: body.amojo_id?.toLowerCase(),
            pipelineId: body.pipeline_id,
            ...(body.channel !== undefined ? { channel: body.channel } : {}),
            amocrmAccountId: req.auth.amocrmAccountId,
          });
          return { status: 200, body: result };
        },
      },
    ],
  };
}
