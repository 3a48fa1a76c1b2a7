import { call } from '../support/http-client';
import { createTestDatabase, describePg, type TestDatabase } from '../support/postgres';
import { expectEveryMessageOnceInOrder, expectEveryReplyOnce, FAST_RECOVERY_ENV, startBurst, startPgCluster, type PgCluster } from '../support/pg-cluster';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { sleep, waitFor } from '../support/wait';

/**
 * PostgreSQL going away mid-burst (a restart or failover, played by cutting a TCP proxy between the
 * servers and the database: the machine's shared PostgreSQL is never touched). While it is away:
 * 503 with Retry-After (never a 500), /readyz not ready, no process exits. Once it is back
 * everything resumes by itself: every 202 reaches amojo once and in order, and the manager replies
 * whose hooks failed during the outage are recovered by the reconciler.
 */
jest.setTimeout(120_000);

const LOGINS = ['acme', 'globex'];
const CONVERSATIONS_PER_LOGIN = 3;
const PER_CONVERSATION = 15;
const TOTAL = LOGINS.length * CONVERSATIONS_PER_LOGIN * PER_CONVERSATION;
const OUTAGE_MS = 4000;

const env = FAST_RECOVERY_ENV;

describePg('PostgreSQL restart mid-burst', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let cluster: PgCluster;
  beforeAll(async () => {
    db = await createTestDatabase('e2e_restart');
    const target = new URL(db.url);
    proxy = await startTcpProxy(Number(target.port || 5432), target.hostname);
    const viaProxy = new URL(db.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    cluster = await startPgCluster({ name: 'e2e-pg-restart', databaseUrl: viaProxy.toString(), count: 2, logins: LOGINS, env });
  });
  afterAll(async () => {
    await cluster?.close();
    await proxy?.close();
    await db?.drop();
  });

  it('answers 503 + Retry-After while the database is away, and loses nothing once it is back', async () => {
    let rr = 0;
    const pick = () => (rr++ % 2 === 0 ? cluster.front.url : cluster.url(rr % 2));
    const burst = startBurst(cluster, {
      logins: LOGINS,
      conversationsPerLogin: CONVERSATIONS_PER_LOGIN,
      perConversation: PER_CONVERSATION,
      tag: 'pg',
      pick,
      replyEveryMs: 25,
    });
    let readyDuringOutage: number[] = [];
    const outage = (async () => {
      await waitFor(() => burst.accepted() >= TOTAL / 3, 'a third accepted', 60_000, 50);
      await proxy.cut();
      await sleep(OUTAGE_MS / 2);
      readyDuringOutage = await Promise.all([0, 1].map(async (i) => (await call(`${cluster.url(i)}/readyz`, 'GET')).status));
      await sleep(OUTAGE_MS / 2);
      await proxy.restore();
    })();
    const { expected, answers, replies } = await burst.finish(outage);

    expect(readyDuringOutage).toEqual([503, 503]);
    expect(cluster.instances.every((s) => s !== null && s.child.exitCode === null && s.child.signalCode === null)).toBe(true);
    const unavailable = answers.filter((a) => a.status === 503);
    expect(unavailable.length).toBeGreaterThan(0);
    expect(unavailable.every((a) => Number(a.retryAfter) > 0)).toBe(true);
    expect(answers.filter((a) => a.status >= 500 && a.status !== 503 && a.status !== 502)).toEqual([]);
    for (let i = 0; i < 2; i++)
      await waitFor(async () => (await call(`${cluster.url(i)}/readyz`, 'GET')).status === 200, `instance ${i} ready again`, 15_000, 100);

    const reachedAmojo = await expectEveryMessageOnceInOrder(cluster, expected, LOGINS);
    await expectEveryReplyOnce(cluster, replies, "every reply at the provider (the outage's via the reconciler)");
    console.log(
      `postgres restart: ${reachedAmojo} messages accepted, ${unavailable.length} answers 503 + Retry-After during a ${OUTAGE_MS} ms outage, ${replies.length} manager replies delivered`,
    );
  });
});
