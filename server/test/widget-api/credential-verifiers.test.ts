import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpVerifier } from '../../src/services/credentials/http-verifier';
import { createLocalVerifier } from '../../src/services/credentials/local-verifier';
import { DEFAULT_SCRYPT_PARAMS, hashPassword, parsePasswordHash, verifyPassword } from '../../src/services/credentials/password-hash';
import { validateLogin, validatePassword } from '../../src/services/credentials/rules';
import { AppError } from '../../src/lib/errors';
import { createMemoryStore } from '../../src/storage/memory/store';
import request from 'supertest';
import { addAccount, captureLogger, createHarness, FAST_SCRYPT, newAmojoId } from '../support/widget-harness';

describe('password hashes', () => {
  it('are self-describing scrypt strings with a random salt', async () => {
    const a = await hashPassword('hunter2', FAST_SCRYPT);
    const b = await hashPassword('hunter2', FAST_SCRYPT);
    expect(a).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(a).not.toBe(b);
    expect(parsePasswordHash(a)).toMatchObject({ params: FAST_SCRYPT });
  });

  it('verify the right password only', async () => {
    const stored = await hashPassword('correct horse', FAST_SCRYPT);
    expect(await verifyPassword('correct horse', stored)).toBe(true);
    expect(await verifyPassword('correct horse ', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('normalise Unicode so the same password typed differently still matches', async () => {
    const stored = await hashPassword('caf\u00e9', FAST_SCRYPT);
    expect(await verifyPassword('cafe\u0301', stored)).toBe(true);
  });

  it('default parameters are the production ones', async () => {
    const stored = await hashPassword('x');
    expect(parsePasswordHash(stored)!.params).toEqual(DEFAULT_SCRYPT_PARAMS);
    expect(await verifyPassword('x', stored)).toBe(true);
  });

  it('refuse malformed or tampered stored strings (false, never a throw)', async () => {
    const good = await hashPassword('pw', FAST_SCRYPT);
    const parts = good.split('$');
    const variants = [
      '',
      'plain-text-password',
      `bcrypt$${parts.slice(1).join('$')}`,
      ['scrypt', '1000', ...parts.slice(2)].join('$'), // N not a power of two
      ['scrypt', String(2 ** 24), ...parts.slice(2)].join('$'), // absurd memory
      ['scrypt', '1024', '0', ...parts.slice(3)].join('$'),
      [...parts.slice(0, 4), '', parts[5]].join('$'),
      parts.slice(0, 5).join('$'),
    ];
    for (const v of variants) {
      expect(parsePasswordHash(v)).toBeNull();
      expect(await verifyPassword('pw', v)).toBe(false);
    }
  });
});

describe('login and password rules', () => {
  it('login', () => {
    expect(validateLogin('alice@example.com')).toBeNull();
    expect(validateLogin('')).toMatch(/empty/);
    expect(validateLogin('a b')).toMatch(/spaces/);
    expect(validateLogin('a\u0000b')).toMatch(/control/);
    expect(validateLogin('x'.repeat(201))).toMatch(/at most/);
  });
  it('password', () => {
    expect(validatePassword(' spaces are fine ')).toBeNull();
    expect(validatePassword('')).toMatch(/empty/);
    expect(validatePassword('x'.repeat(1025))).toMatch(/at most/);
  });
});

describe('local verifier', () => {
  it('checks stored accounts', async () => {
    const store = createMemoryStore();
    await addAccount(store, 'alice', 'pw1');
    const verifier = createLocalVerifier({ accounts: store.accounts });
    expect(verifier.kind).toBe('local');
    expect(await verifier.verify('alice', 'pw1')).toBe(true);
    expect(await verifier.verify('alice', 'pw2')).toBe(false);
    expect(await verifier.verify('nobody', 'pw1')).toBe(false);
  });
});

describe('http verifier (provider auth endpoint on loopback)', () => {
  let server: Server;
  let url: string;
  let handler: (req: IncomingMessage, res: ServerResponse, body: string) => void;
  const seen: Array<{ body: string; contentType: string | undefined }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ body, contentType: req.headers['content-type'] });
        handler(req, res, body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const answer =
    (status: number, headers: Record<string, string> = {}) =>
    (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(status, headers);
      res.end('{}');
    };

  const verifier = (timeoutMs = 2000) => createHttpVerifier({ url, timeoutMs, logger: captureLogger().logger });

  async function unavailable(promise: Promise<boolean>): Promise<AppError> {
    const err = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('provider_auth_unavailable');
    expect((err as AppError).status).toBe(502);
    return err as AppError;
  }

  it('POSTs {login, password} as JSON; 2xx = valid', async () => {
    handler = answer(204);
    expect(await verifier().verify('alice', 'p@ss')).toBe(true);
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({ login: 'alice', password: 'p@ss' });
    expect(seen.at(-1)!.contentType).toBe('application/json');
  });

  it.each([401, 403])('%i = invalid credentials', async (status) => {
    handler = answer(status);
    expect(await verifier().verify('alice', 'x')).toBe(false);
  });

  it.each([400, 404, 429, 500, 503])('%i = cannot tell: 502 provider_auth_unavailable', async (status) => {
    handler = answer(status);
    const err = await unavailable(verifier().verify('alice', 'x'));
    expect(err.message).toContain(String(status));
  });

  it('a redirect is not followed (the password would travel on)', async () => {
    handler = answer(307, { Location: 'http://127.0.0.1:1/steal' });
    await unavailable(verifier().verify('alice', 'x'));
  });

  it('timeout', async () => {
    handler = () => undefined; // never answers
    const err = await unavailable(verifier(150).verify('alice', 'x'));
    expect(err.message).toMatch(/did not answer within 150 ms/);
  });

  it('unreachable', async () => {
    const v = createHttpVerifier({ url: 'http://127.0.0.1:1/auth', logger: captureLogger().logger });
    await unavailable(v.verify('alice', 'x'));
  });
});

describe('widget connect with CREDENTIALS_VERIFIER=http', () => {
  let auth: Server;
  let status = 200;

  beforeAll(async () => {
    auth = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(status);
        res.end();
      });
    });
    await new Promise<void>((resolve) => auth.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    auth.closeAllConnections();
    await new Promise((resolve) => auth.close(resolve));
  });

  it('2xx connects, 401 is invalid_credentials, 500 is a 502 provider_auth_unavailable for the widget', async () => {
    const h = await createHarness({
      env: { CREDENTIALS_VERIFIER: 'http', PROVIDER_AUTH_URL: `http://127.0.0.1:${(auth.address() as AddressInfo).port}/check` },
    });
    try {
      status = 200;
      await request(h.app).post('/widget/v1/connect').send({ login: 'anyone', password: 'x', amojo_id: newAmojoId() }).expect(200);
      status = 401;
      const denied = await request(h.app).post('/widget/v1/connect').send({ login: 'anyone', password: 'x', amojo_id: newAmojoId() });
      expect(denied.status).toBe(401);
      expect(denied.body.error.code).toBe('invalid_credentials');
      status = 500;
      const broken = await request(h.app).post('/widget/v1/connect').send({ login: 'anyone', password: 'x', amojo_id: newAmojoId() });
      expect(broken.status).toBe(502);
      expect(broken.body.error).toMatchObject({ code: 'provider_auth_unavailable', upstream_status: 500 });
      expect(broken.body.error.message).toMatch(/answered 500; try again later/);
    } finally {
      await h.close();
    }
  });
});
