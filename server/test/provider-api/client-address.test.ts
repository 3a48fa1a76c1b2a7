import request from 'supertest';
import { createRequestListener } from '../../src/http/app';
import { createHarness, type WidgetHarness } from '../support/widget-harness';

/**
 * The client address a provider API call is logged under comes from TRUST_PROXY: X-Forwarded-For
 * counts only when the peer that sent it is a proxy TRUST_PROXY trusts, and then only as many hops
 * as it trusts. Otherwise anyone could write any address into our logs.
 */

const CLIENT = '203.0.113.9';

describe('provider API: the client address in the request log line', () => {
  let h: WidgetHarness;
  afterEach(() => h.close());

  const lookupFrom = async (trustProxy: string, forwardedFor: string): Promise<unknown> => {
    h = await createHarness({ env: { TRUST_PROXY: trustProxy } });
    // What main.ts serves: the pipeline straight on node:http.
    await request(createRequestListener(h.deps))
      .get('/api/v1/messages/msg_nowhere')
      .set('Authorization', 'Bearer provider-token')
      .set('X-Forwarded-For', forwardedFor)
      .expect(404);
    const line = h.logs.lines.find((l) => l.msg === 'request' && l.path === '/api/v1/messages/msg_nowhere');
    expect(line).toMatchObject({ method: 'GET', status: 404 });
    return line!.ip;
  };

  it('TRUST_PROXY=false: X-Forwarded-For is ignored, the peer is the client', async () => {
    expect(await lookupFrom('false', CLIENT)).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
  });

  it('TRUST_PROXY=true: the first address of X-Forwarded-For is the client', async () => {
    expect(await lookupFrom('true', `${CLIENT}, 198.51.100.1`)).toBe(CLIENT);
  });

  it('a hop count trusts that many proxies: an address the client wrote itself further left is not taken', async () => {
    expect(await lookupFrom('1', `198.51.100.66, ${CLIENT}`)).toBe(CLIENT);
  });

  it('a peer outside the trusted subnets is the client, whatever it forwards', async () => {
    expect(await lookupFrom('10.0.0.0/8', CLIENT)).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
  });
});
