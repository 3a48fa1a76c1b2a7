// A stand-in for the amochan server's widget routes (DESIGN.md contract), strict where the real
// one is: CORS for one origin, a valid single-use X-Auth-Token on every call, JSON bodies.
// Lets the browser harness test run before/independently of server/.
import http from 'http';
import { jwtVerify, type JWTPayload } from 'jose';
import type { AddressInfo } from 'net';

export interface StubRequest {
  method: string;
  path: string;
  contentType?: string;
  body?: any;
  claims?: JWTPayload;
}

interface StubOptions {
  clientSecret: string;
  /** The origin of the host page: the only CORS origin and the expected JWT audience. */
  origin: string;
  accounts: Record<string, string>;
  /** Answer like a server with amoCRM OAuth: these channels, each a created source, and these pipelines. */
  amocrm?: { channels: Array<{ id: string; name: string }>; pipelines: Array<{ id: number; name: string; is_main: boolean }> };
}

type Reply = [number, unknown];

export async function startStubWidgetApi(options: StubOptions) {
  const requests: StubRequest[] = [];
  const tokenProblems: string[] = [];
  const seenJti = new Set<string>();
  const connections = new Map<string, string>();
  // The amoCRM account (token account_id) each binding was made from, as the server keeps it.
  const owners = new Map<string, unknown>();
  const injected = new Map<string, Reply>();
  const key = new TextEncoder().encode(options.clientSecret);
  // The pipeline of each channel's source, as amoCRM would report it; new sources go to the main one.
  const mainPipeline = options.amocrm?.pipelines.find((p) => p.is_main)?.id ?? null;
  const sourcePipelines = new Map(options.amocrm?.channels.map((c) => [c.id, mainPipeline]));
  const channelsNow = () =>
    options.amocrm!.channels.map((c, i) => ({
      id: c.id,
      name: c.name,
      external_id: `ext-${c.id}`,
      source_id: 100 + i,
      pipeline_id: sourcePipelines.get(c.id) ?? null,
      state: 'created',
    }));
  const error = (status: number, code: string): Reply => [status, { error: { code, message: code } }];

  async function verify(token: string | undefined): Promise<JWTPayload> {
    if (!token) throw new Error('no X-Auth-Token');
    const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], audience: options.origin, requiredClaims: ['jti', 'exp', 'iat', 'nbf'] });
    if (!/^https:\/\/[a-z0-9-]+\.amocrm\.ru$/.test(String(payload.iss))) throw new Error(`bad iss ${payload.iss}`);
    if (typeof payload.account_id !== 'number' || typeof payload.user_id !== 'number') throw new Error('account_id/user_id must be numbers');
    if (seenJti.has(payload.jti!)) throw new Error(`jti ${payload.jti} reused`);
    seenJti.add(payload.jti!);
    return payload;
  }

  function route(method: string, path: string, query: URLSearchParams, body: any, claims: JWTPayload): Reply {
    const forced = injected.get(`${method} ${path}`);
    if (forced) {
      injected.delete(`${method} ${path}`);
      return forced;
    }
    if (method === 'GET' && path === '/widget/v1/status') {
      const login = connections.get(query.get('amojo_id') ?? '');
      if (!login) return [200, { status: 'disconnected' }];
      return [
        200,
        options.amocrm
          ? { status: 'connected', login, channels: channelsNow(), pipelines: options.amocrm.pipelines, installation: 'active' }
          : { status: 'connected', login },
      ];
    }
    if (method !== 'POST') return error(404, 'not_found');
    if (!body || typeof body.amojo_id !== 'string') return error(400, 'invalid_request');
    const validLogin = () => options.accounts[body.login] !== undefined && options.accounts[body.login] === body.password;
    switch (path) {
      case '/widget/v1/connect':
        if (!body.login || !body.password) return error(400, 'invalid_request');
        if (!validLogin()) return error(401, 'invalid_credentials');
        connections.set(body.amojo_id, body.login);
        owners.set(body.amojo_id, claims.account_id);
        return [200, { status: 'connected', scope_id: `scope-${body.amojo_id}` }];
      case '/widget/v1/disconnect':
        // Without a password, the token of the account that made the binding is enough.
        if (body.password === undefined && body.login === undefined) {
          if (!connections.has(body.amojo_id)) return error(404, 'not_found');
          if (owners.get(body.amojo_id) !== claims.account_id) return error(403, 'forbidden');
        } else if (!validLogin()) return error(401, 'invalid_credentials');
        connections.delete(body.amojo_id);
        return [200, { status: 'disconnected' }];
      case '/widget/v1/source': {
        if (!options.amocrm) return [200, { status: 'ok' }];
        const pipelineId = Number(body.pipeline_id);
        if (!options.amocrm.pipelines.some((p) => p.id === pipelineId)) return error(400, 'invalid_request');
        if (body.channel !== undefined && !sourcePipelines.has(body.channel)) return error(404, 'not_found');
        for (const id of sourcePipelines.keys()) if (body.channel === undefined || body.channel === id) sourcePipelines.set(id, pipelineId);
        return [200, { status: 'ok', pipeline_id: pipelineId, channels: channelsNow() }];
      }
      default:
        return error(404, 'not_found');
    }
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://stub');
    const cors: Record<string, string> = req.headers.origin === options.origin ? { 'Access-Control-Allow-Origin': options.origin, Vary: 'Origin' } : {};
    const reply = ([status, payload]: Reply) => {
      res.writeHead(status, { ...cors, 'Content-Type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...cors, 'Access-Control-Allow-Methods': 'GET, POST', 'Access-Control-Allow-Headers': 'Content-Type, X-Auth-Token' });
      return res.end();
    }
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const record: StubRequest = { method: req.method ?? '', path: url.pathname, contentType: req.headers['content-type'] };
    requests.push(record);
    try {
      record.body = raw ? JSON.parse(raw) : undefined;
    } catch {
      return reply(error(400, 'invalid_request'));
    }
    try {
      record.claims = await verify(req.headers['x-auth-token'] as string | undefined);
    } catch (problem) {
      tokenProblems.push(String(problem));
      return reply(error(403, 'invalid_token'));
    }
    reply(route(record.method, url.pathname, url.searchParams, record.body, record.claims));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    tokenProblems,
    connections,
    /** The next call of "METHOD /path" gets this answer instead. */
    failNext(route: string, status: number, code: string) {
      injected.set(route, error(status, code));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export type StubWidgetApi = Awaited<ReturnType<typeof startStubWidgetApi>>;
