import pg from 'pg';
import { call } from '../support/http-client';
import { createTestDatabase, describePg, type TestDatabase } from '../support/postgres';
import {
  disjoint,
  expectEveryMessageOnceInOrder,
  expectEveryReplyOnce,
  FAST_RECOVERY_ENV,
  leadIntervals,
  startBurst,
  startPgCluster,
  type PgCluster,
} from '../support/pg-cluster';
import { makeToken } from '../support/widget-harness';
import { waitFor } from '../support/wait';

/**
 * Three built servers on one PostgreSQL database behind a round-robin front. A burst of customer
 * messages and manager replies across several accounts and conversations; the instance that runs
 * the reconciler is SIGKILLed mid-burst and restarted. Then: every 202 reached amojo exactly once
 * and in per-conversation order, every manager reply reached the provider as one event, a widget
 * token used on one instance is refused on another, password limits count across instances, and
 * the reconciler ran on exactly one instance at a time.
 */
jest.setTimeout(120_000);

const LOGINS = ['acme', 'globex', 'initech', 'umbrella'];
const CONVERSATIONS_PER_LOGIN = 3;
const PER_CONVERSATION = 15;
const TOTAL = LOGINS.length * CONVERSATIONS_PER_LOGIN * PER_CONVERSATION;

const env = {
  ...FAST_RECOVERY_ENV,
  WIDGET_RATE_LIMIT_PER_LOGIN: '3',
  WIDGET_RATE_LIMIT_PER_IP: '1000',
};

async function reconcilerHolder(url: string): Promise<string | null> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ holder: string }>("SELECT holder FROM job_leases WHERE job = 'reconciler' AND expires_at > $1", [Date.now()]);
    return rows[0]?.holder ?? null;
  } finally {
    await c.end();
  }
}

describePg('several instances on one PostgreSQL database', () => {
  let db: TestDatabase;
  let cluster: PgCluster;
  beforeAll(async () => {
    db = await createTestDatabase('e2e_multi');
    cluster = await startPgCluster({ name: 'e2e-multi', databaseUrl: db.url, count: 3, logins: LOGINS, env });
  });
  afterAll(async () => {
    await cluster?.close();
    await db?.drop();
  });

  it('a widget token used on one instance is refused on another', async () => {
    const token = await makeToken({ accountId: 40_000_001 });
    const status = (i: number) =>
      call(`${cluster.url(i)}/widget/v1/status?amojo_id=${encodeURIComponent('00000000-0000-4000-8000-000000000001')}`, 'GET', undefined, {
        'X-Auth-Token': token,
      });
    expect((await status(0)).status).toBe(200);
    const replay = await status(1);
    expect(replay.status).toBe(403);
    expect(replay.body!.error.message).toMatch(/already used/);
  });

  it('failed passwords count across instances (per login and source)', async () => {
    const attempt = async (i: number, password: string) =>
      (
        await call(
          `${cluster.url(i)}/widget/v1/connect`,
          'POST',
          { login: 'acme', password, amojo_id: '00000000-0000-4000-8000-000000000002' },
          { 'X-Auth-Token': await makeToken({ accountId: 40_000_001 }) },
        )
      ).status;
    expect([await attempt(0, 'guess'), await attempt(1, 'guess'), await attempt(2, 'guess')]).toEqual([401, 401, 401]);
    expect(await attempt(0, 'acme-pass')).toBe(429);
  });

  it(`relays ${TOTAL} messages and the manager's replies exactly once and in order while the reconciler's instance is killed and restarted`, async () => {
    let rr = 0;
    // The provider spreads its calls over the front and the instances directly.
    const pick = () => (rr++ % 2 === 0 ? cluster.front.url : cluster.url(rr % 3));
    const burst = startBurst(cluster, {
      logins: LOGINS,
      conversationsPerLogin: CONVERSATIONS_PER_LOGIN,
      perConversation: PER_CONVERSATION,
      tag: 'conv',
      pick,
      replyEveryMs: 20,
    });
    const killer = (async () => {
      await waitFor(() => burst.accepted() >= TOTAL / 3, 'a third accepted', 60_000, 50);
      const holder = await waitFor(() => reconcilerHolder(db.url), 'a reconciler leader', 10_000, 100);
      const victim = cluster.instances.findIndex((s) => s !== null && holder.includes(`:${s.child.pid}:`));
      expect(victim).toBeGreaterThanOrEqual(0);
      await cluster.kill(victim);
      // Another instance takes the job over once the dead one's lease expires.
      await waitFor(
        async () => {
          const h = await reconcilerHolder(db.url);
          return h !== null && h !== holder;
        },
        'a new reconciler leader',
        15_000,
        100,
      );
      await cluster.start(victim);
    })();
    const { expected, answers, replies } = await burst.finish(killer);
    const statuses = answers.map((a) => a.status);

    // Exactly once, in order, per conversation.
    const reachedAmojo = await expectEveryMessageOnceInOrder(cluster, expected, LOGINS);
    await expectEveryReplyOnce(cluster, replies, 'every reply at the provider');
    expect(statuses.filter((s) => s >= 500 && s !== 502 && s !== 503)).toEqual([]);

    // The reconciler ran on exactly one instance at a time, and moved after the kill.
    const now = Date.now();
    const intervals = cluster.history.flatMap((h) => leadIntervals(h.process.logs, 'reconciler', h.endedAt ?? now));
    expect(intervals.length).toBeGreaterThanOrEqual(2);
    expect(disjoint(intervals)).toBe(true);
    console.log(
      `multi-instance: ${reachedAmojo} messages accepted (${statuses.length} POSTs, ${statuses.filter((s) => s !== 202).length} retried), ` +
        `${replies.length} manager replies, ${intervals.length} reconciler leadership terms, ${cluster.provider.deliveries.length} provider deliveries`,
    );
  });
});
