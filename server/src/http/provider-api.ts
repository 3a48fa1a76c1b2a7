import { AppError } from '../lib/errors';
import { PROVIDER_JSON_LIMITS } from '../lib/json-limits';
import type { Services } from '../services/build-services';
import {
  messageLookupQuerySchema,
  postEditSchema,
  postMessageSchema,
  postReactionSchema,
  postStatusSchema,
  postTypingSchema,
  putChannelsSchema,
} from '../contract/provider-api';
import { parseInput } from './validate';
import type { Mount } from './pipeline';
import { checkProviderToken } from './provider-auth';

/**
 * /api/v1: what the provider calls (transport only; rules live in services/inbound-messages.ts and
 * services/message-status.ts). Every route on the node:http pipeline: POST /messages carries every
 * provider message, and one implementation per route means the others answer by the same rules.
 * Authenticated before any body is read.
 */

const BODY_LIMIT_BYTES = 1024 * 1024;

export function providerApiMount(input: { token: string | undefined; services: Pick<Services, 'inbound' | 'statuses' | 'actions' | 'channels'> }): Mount {
  const { inbound, statuses, actions, channels } = input.services;
  const token = input.token ?? '';
  return {
    prefix: '/api/v1',
    surface: 'provider_api',
    authenticate: (req) => checkProviderToken(token, req.headers.authorization),
    bodyLimitBytes: BODY_LIMIT_BYTES,
    jsonLimits: PROVIDER_JSON_LIMITS,
    routes: [
      {
        // The full list (PUT semantics): sources follow in the amoCRM account the login is connected to.
        method: 'PUT',
        pattern: '/accounts/:login/channels',
        body: 'json',
        handle: async (req) => ({ status: 200, body: await channels.put(req.params.login!, parseInput(putChannelsSchema, req.body, 'body').channels) }),
      },
      {
        method: 'GET',
        pattern: '/accounts/:login/channels',
        handle: async (req) => ({ status: 200, body: await channels.list(req.params.login!) }),
      },
      {
        method: 'POST',
        pattern: '/messages',
        body: 'json',
        handle: async (req) => ({ status: 202, body: await inbound.accept(parseInput(postMessageSchema, req.body, 'body'), req.body) }),
      },
      {
        method: 'POST',
        pattern: '/messages/:id/status',
        body: 'json',
        handle: async (req) => ({ status: 202, body: await statuses.report(req.params.id!, parseInput(postStatusSchema, req.body, 'body')) }),
      },
      {
        method: 'POST',
        pattern: '/typing',
        body: 'json',
        handle: async (req) => ({ status: 202, body: await statuses.typing(parseInput(postTypingSchema, req.body, 'body')) }),
      },
      {
        method: 'POST',
        pattern: '/edits',
        body: 'json',
        handle: async (req) => ({ status: 202, body: await actions.edit(parseInput(postEditSchema, req.body, 'body')) }),
      },
      {
        method: 'POST',
        pattern: '/reactions',
        body: 'json',
        handle: async (req) => ({ status: 202, body: await actions.react(parseInput(postReactionSchema, req.body, 'body')) }),
      },
      {
        // `?account=&msgid=` looks a message up by the provider's own msgid.
        method: 'GET',
        pattern: '/messages',
        async handle(req) {
          const q = parseInput(messageLookupQuerySchema, req.query, 'query');
          if (!q.account || !q.msgid) throw new AppError('invalid_request', 'query: give both account and msgid, or use GET /api/v1/messages/:id');
          return { status: 200, body: await statuses.getByMsgid(q.account, q.msgid) };
        },
      },
      {
        method: 'GET',
        pattern: '/messages/:id',
        async handle(req) {
          const q = parseInput(messageLookupQuerySchema, req.query, 'query');
          const id = req.params.id!;
          // With ?account=, :id is the provider's msgid; otherwise our id (msg_…) or amojo's message id.
          return { status: 200, body: q.account ? await statuses.getByMsgid(q.account, id) : await statuses.get(id) };
        },
      },
    ],
  };
}
