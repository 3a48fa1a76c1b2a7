import { createTestClock, type TestClock } from '@amochan/amojo/testing';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { startEmulator, type RunningEmulator } from '@amochan/amojo-emulator';
import { SignJWT } from 'jose';
import { loadConfig } from '../../src/config';
import type { AppDeps } from '../../src/deps';
import { createApp } from '../../src/http/app';
import { createLogger, type Logger } from '../../src/lib/logger';
import { hashPassword, type ScryptParams } from '../../src/services/credentials/password-hash';
import { createMemoryStore } from '../../src/storage/memory/store';
import type { Store } from '../../src/storage/types';
import { createTestDeps, emulatorEnv } from './app-factory';

/** The widget API tests' set-up: a memory store, the emulator on loopback, a real app, captured logs. */

/** Cheap scrypt so tests stay fast; production uses DEFAULT_SCRYPT_PARAMS. */
export const FAST_SCRYPT: ScryptParams = { N: 1024, r: 8, p: 1 };
export const CLIENT_SECRET = 'test-client-secret-0123456789abcdef';
export const AUDIENCE = 'https://amochan.example.com';
export const CLIENT_UUID = '6b1f7c1e-0b7a-4f7e-9a53-0d7b2f2a9c11';

export interface LogCapture {
  lines: Array<Record<string, unknown>>;
  text(): string;
}

export function captureLogger(level = 'info'): { logger: Logger; logs: LogCapture } {
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      raw.push(chunk.toString());
      cb();
    },
  });
  const logger = createLogger({ level, destination: stream });
  return {
    logger,
    logs: {
      get lines() {
        return raw
          .join('')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>);
      },
      text: () => raw.join(''),
    },
  };
}

export interface WidgetHarness {
  emulator: RunningEmulator;
  store: Store;
  deps: AppDeps;
  app: ReturnType<typeof createApp>;
  logs: LogCapture;
  clock: TestClock;
  close(): Promise<void>;
}

export async function addAccount(store: Store, login: string, password: string): Promise<void> {
  await store.accounts.upsert({ login, passwordHash: await hashPassword(password, FAST_SCRYPT), createdAt: Date.now() });
}

/** env: extra environment for loadConfig (e.g. AMOCRM_CLIENT_SECRET to require tokens). */
export async function createHarness(options: { env?: Record<string, string>; store?: Store; emulator?: RunningEmulator } = {}): Promise<WidgetHarness> {
  const emulator = options.emulator ?? (await startEmulator());
  const config = loadConfig({
    ...emulatorEnv(emulator),
    PROVIDER_API_TOKEN: 'provider-token',
    DATABASE_URL: 'memory:',
    LOG_LEVEL: 'info',
    ...options.env,
  });
  const store = options.store ?? createMemoryStore();
  const { logger, logs } = captureLogger();
  // From now, not the SDK's fixed default: the widget tokens tests mint carry the real time.
  const clock = createTestClock(Date.now());
  const deps = createTestDeps({ config, store, logger, clock, emulator });
  await addAccount(store, 'alice', 'alice-pass');
  await addAccount(store, 'bob', 'bob-pass');
  return {
    emulator,
    store,
    deps,
    app: createApp(deps),
    logs,
    clock,
    async close() {
      if (!options.emulator) await emulator.close();
      await store.close();
    },
  };
}

export const tokenEnv = { AMOCRM_CLIENT_SECRET: CLIENT_SECRET, AMOCRM_TOKEN_AUDIENCE: AUDIENCE, AMOCRM_CLIENT_ID: CLIENT_UUID };

/** A widget token as amoCRM's $authorizedAjax would make it; override any claim or the key. */
export async function makeToken(
  options: { accountId?: number; nowMs?: number; claims?: Record<string, unknown>; secret?: string; alg?: string; lifetimeS?: number } = {},
): Promise<string> {
  const iat = Math.floor((options.nowMs ?? Date.now()) / 1000);
  const claims: Record<string, unknown> = {
    iss: 'https://acme.amocrm.ru',
    aud: AUDIENCE,
    jti: randomUUID(),
    iat,
    nbf: iat,
    exp: iat + (options.lifetimeS ?? 1800),
    account_id: options.accountId ?? 31_000_001,
    user_id: 7001,
    subdomain: 'acme',
    client_uuid: CLIENT_UUID,
    ...options.claims,
  };
  for (const [k, v] of Object.entries(claims)) if (v === undefined) delete claims[k];
  return new SignJWT(claims).setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(options.secret ?? CLIENT_SECRET));
}

export const newAmojoId = (): string => randomUUID();

/** The provider events the connection service enqueued, in order. */
export async function providerEvents(store: Store): Promise<Array<{ type: string; account: string; data: Record<string, unknown>; orderingKey: string }>> {
  const entries = await store.outbox.list({});
  return entries
    .filter((e) => e.destination === 'provider' && e.kind === 'event')
    .sort((a, b) => a.seq - b.seq)
    .map((e) => {
      const p = e.payload as { type: string; account: string; data: Record<string, unknown> };
      return { type: p.type, account: p.account, data: p.data, orderingKey: e.orderingKey };
    });
}
