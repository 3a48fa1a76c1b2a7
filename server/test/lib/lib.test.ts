import { createLifecycle } from '../../src/lib/lifecycle';
import { createKeyedMutex } from '../../src/lib/keyed-mutex';
import { createWakeSignal } from '../../src/lib/wake-signal';
import { buildProviderEvent, accountEventEntry } from '../../src/services/provider-event';
import { captureLogger } from '../support/widget-harness';
import { sleep } from '../support/wait';

describe('logger redaction', () => {
  it('censors passwords, secrets, tokens and auth headers at any usual depth', () => {
    const { logger, logs } = captureLogger();
    logger.info(
      {
        password: 'p1',
        body: { login: 'alice', password: 'p2', token: 't1' },
        req: { headers: { authorization: 'Bearer t2', 'x-auth-token': 'jwt-t3', cookie: 'sid=c1', 'x-signature': 'sig1' } },
        config: { AMOJO_CHANNEL_SECRET: 's1', PROVIDER_API_TOKEN: 't4', AMOCRM_CLIENT_SECRET: 's2', PROVIDER_WEBHOOK_SECRET: 's3', PORT: 3000 },
        secret: 's4',
      },
      'hello',
    );
    const text = logs.text();
    for (const leaked of ['p1', 'p2', 't1', 't2', 'jwt-t3', 'sid=c1', 'sig1', 's1', 't4', 's2', 's3', 's4']) expect(text).not.toContain(`"${leaked}`);
    const [line] = logs.lines;
    expect(line).toMatchObject({ msg: 'hello', level: 'info', service: 'amochan', body: { login: 'alice', password: '[redacted]' }, config: { PORT: 3000 } });
  });
});

describe('lifecycle', () => {
  it('runs hooks once, in reverse order, reporting failures without stopping', async () => {
    const lifecycle = createLifecycle();
    const order: string[] = [];
    const failures: string[] = [];
    lifecycle.onShutdown('store', () => void order.push('store'));
    lifecycle.onShutdown('broken', () => {
      throw new Error('x');
    });
    lifecycle.onShutdown('worker', async () => {
      await sleep(5);
      order.push('worker');
    });
    await Promise.all([lifecycle.shutdown((name) => failures.push(name)), lifecycle.shutdown()]);
    expect(order).toEqual(['worker', 'store']);
    expect(failures).toEqual(['broken']);
  });
});

describe('keyed mutex', () => {
  it('serialises work per key, runs other keys in parallel, forgets idle keys', async () => {
    const mutex = createKeyedMutex();
    const log: string[] = [];
    const step = (name: string, ms: number) => async () => {
      log.push(`${name}:start`);
      await sleep(ms);
      log.push(`${name}:end`);
      return name;
    };
    const results = await Promise.all([mutex.run('a', step('a1', 20)), mutex.run('a', step('a2', 1)), mutex.run('b', step('b1', 1))]);
    expect(results).toEqual(['a1', 'a2', 'b1']);
    expect(log.indexOf('a2:start')).toBeGreaterThan(log.indexOf('a1:end'));
    expect(log.indexOf('b1:end')).toBeLessThan(log.indexOf('a1:end'));
    expect(mutex.size()).toBe(0);
  });

  it('a failure releases the lock', async () => {
    const mutex = createKeyedMutex();
    await expect(mutex.run('a', () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    await expect(mutex.run('a', () => Promise.resolve(1))).resolves.toBe(1);
  });
});

describe('wake signal', () => {
  it('notifies subscribers until they unsubscribe', () => {
    const signal = createWakeSignal();
    let n = 0;
    const off = signal.subscribe(() => n++);
    signal.wake();
    off();
    signal.wake();
    expect(n).toBe(1);
  });
});

describe('provider events', () => {
  it('have the contract envelope and the account ordering key', () => {
    let i = 0;
    const ids = (prefix: string) => `${prefix}_${++i}`;
    const event = buildProviderEvent({ type: 'account.connected', account: 'alice', data: { amojo_id: 'x' }, now: 1700000000000, ids });
    expect(event).toEqual({ id: 'evt_1', type: 'account.connected', created_at: 1700000000000, account: 'alice', channel: null, data: { amojo_id: 'x' } });
    expect(accountEventEntry(event, ids)).toEqual({
      id: 'obx_2',
      destination: 'provider',
      kind: 'event',
      orderingKey: 'acct:alice',
      payload: event,
      messageId: null,
    });
  });
});

describe('one error taxonomy', () => {
  it('maps storage and amojo errors at the edge, through the one status table', () => {
    const { toAppError } = require('../../src/http/error-handler') as typeof import('../../src/http/error-handler');
    const { StorageError } = require('../../src/storage/errors') as typeof import('../../src/storage/errors');
    const { AmojoHttpError } = require('@amochan/amojo') as typeof import('@amochan/amojo');
    const conflict = toAppError(new StorageError('conflict', 'taken'));
    expect(conflict).toMatchObject({ code: 'conflict', status: 409, message: 'taken' });
    expect(toAppError(new StorageError('not_found', 'gone'))).toMatchObject({ code: 'not_found', status: 404 });
    const amojo = toAppError(new AmojoHttpError({ status: 503, body: '', method: 'POST', path: '/v2/origin/custom/x' }));
    expect(amojo).toMatchObject({ code: 'amojo_error', status: 502, details: { amojo_status: 503 } });
  });
});
