import type { Services } from '../services/build-services';
import type { Mount } from './pipeline';

/**
 * POST /amojo/v1/webhook/:scope_id. amojo gives a hook 5 s and never retries, and one server takes
 * every account's hooks, so this is the hottest route and runs on the node:http pipeline. The body is
 * read raw (any content type: amojo's is not guaranteed) because the HMAC covers the exact bytes;
 * parsing comes after verification, in the service. The answer is 200 once the hook is committed;
 * delivery happens in the outbox worker.
 */

const BODY_LIMIT_BYTES = 1024 * 1024;

export function amojoHooksMount(services: Pick<Services, 'hooks'>): Mount {
  return {
    prefix: '/amojo/v1/webhook',
    bodyLimitBytes: BODY_LIMIT_BYTES,
    routes: [
      {
        method: 'POST',
        pattern: '/:scope_id',
        body: 'raw',
        // amojo always signs and only posts to scopes we connected: anything else is refused
        // before its body is read, so an unauthenticated sender cannot make us buffer it.
        async precheck(req) {
          await services.hooks.precheck({ scopeId: req.params.scope_id!, signature: req.headers['x-signature'] });
        },
        async handle(req) {
          const signature = req.headers['x-signature'];
          const outcome = await services.hooks.receive({
            scopeId: req.params.scope_id!,
            rawBody: req.rawBody ?? Buffer.alloc(0),
            signature: typeof signature === 'string' ? signature : undefined,
          });
          return { status: 200, body: { status: outcome } };
        },
      },
    ],
  };
}
