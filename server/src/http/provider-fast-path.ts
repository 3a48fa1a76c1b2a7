import type { IncomingMessage } from 'node:http';
import type { AppDeps } from '../deps';
import { AppError } from '../lib/errors';
import { findJsonViolation, PROVIDER_JSON_LIMITS, violationError } from '../lib/json-limits';
import { createInboundMessages } from '../services/inbound-messages';
import { postMessageSchema } from '../services/provider-api-schemas';
import { fromZodError } from './error-handler';
import { checkProviderToken } from './provider-auth';
import { readRawBody, runRawRoute, type RawHandler } from './raw-route';

/**
 * POST /api/v1/messages, the provider's hot route, as a plain node:http handler ahead of express
 * (see raw-route.ts). Same checks in the same order as the express router in provider-routes.ts:
 * token, JSON content type, 1 MB, JSON depth and string limits, the zod schema, then the service.
 * Requests it does not fully understand (a compressed body, a sandbox whose console taps the API)
 * are left to the express router, which answers them identically.
 */

const ROUTE = '/api/v1/messages';
const BODY_LIMIT_BYTES = 1024 * 1024;

function isPlainJson(req: IncomingMessage): boolean {
  const [type = '', ...params] = (req.headers['content-type'] ?? '').split(';');
  if (type.trim().toLowerCase() !== 'application/json') return false;
  const charset = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('charset='));
  return charset === undefined || charset === 'charset=utf-8';
}

const hasBody = (req: IncomingMessage): boolean => req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

export function createProviderMessagesHandler(deps: AppDeps): RawHandler {
  const inbound = createInboundMessages({
    store: deps.store,
    clock: deps.clock,
    ids: deps.ids,
    outboxSignal: deps.outboxSignal,
    maxPending: deps.config.OUTBOX_MAX_PENDING,
  });
  const token = deps.config.PROVIDER_API_TOKEN ?? '';

  return (req, res) => {
    if (req.method !== 'POST' || deps.events) return false;
    const path = (req.url ?? '').split('?')[0];
    if (path !== ROUTE && path !== `${ROUTE}/`) return false;
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false;
    void runRawRoute(deps, ROUTE, req, res, async () => {
      const unauthorized = checkProviderToken(token, req.headers.authorization);
      if (unauthorized) {
        req.resume();
        throw unauthorized;
      }
      if (!hasBody(req) || !isPlainJson(req)) {
        req.resume();
        throw new AppError('unsupported_media_type', 'send the body as application/json');
      }
      const raw = await readRawBody(req, BODY_LIMIT_BYTES);
      let json: unknown;
      try {
        json = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new AppError('invalid_request', 'request body is not valid JSON');
      }
      if (json !== null && typeof json === 'object') {
        const violation = findJsonViolation(json, PROVIDER_JSON_LIMITS);
        if (violation) throw violationError(violation);
      }
      const parsed = postMessageSchema.safeParse(json ?? {});
      if (!parsed.success) throw fromZodError(parsed.error, 'body');
      return [202, await inbound.accept(parsed.data, json)];
    });
    return true;
  };
}
