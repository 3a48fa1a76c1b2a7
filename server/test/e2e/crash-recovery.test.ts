import { sleep } from '../support/wait';
import { eventually, sendUntilAccepted, startCluster, type Cluster } from '../support/cluster';
import { amojoMsgidFor } from '../../src/services/amojo-msgid';

/**
 * Crash safety, end to end: the built server over one SQLite file is SIGKILLed several times in the
 * middle of a burst and restarted on the same file. A provider that retries (same msgid) until it
 * gets 202, and a manager answering all along. Then: every accepted message reached amojo exactly
 * once and in order per conversation; every manager reply reached the provider, as one event.
 * Then SIGTERM under load: exit 0, and nothing lost or repeated after a restart. (Reply order
 * across SIGTERMs with managers answering all along: crash-reply-order.test.ts.)
 */
jest.setTimeout(120_000);

const CONVERSATIONS = 6;
const PER_CONVERSATION = 50;
const KILL_AT = [60, 140, 220];
const CONCURRENCY = 8;

const env = {
  OUTBOX_CONCURRENCY: String(CONCURRENCY),
  OUTBOX_POLL_MS: '25',
  OUTBOX_BASE_DELAY_MS: '20',
  OUTBOX_MAX_DELAY_MS: '300',
  OUTBOX_MAX_ATTEMPTS: '100',
  // Short lease (and timeouts that fit in it): work in flight at a kill resumes seconds after restart.
  OUTBOX_LEASE_MS: '4000',
  AMOJO_TIMEOUT_MS: '1000',
  PROVIDER_WEBHOOK_TIMEOUT_MS: '2000',
  RECONCILE_INTERVAL_MS: '1000',
  RECONCILE_GRACE_MS: '1500',
};

interface Reply {
  messageId: string;
  hookStatus: number | null;
}

const message = (conv: number, i: number) => ({
  account: 'alice',
  conversation_id: `crash-${conv}`,
  msgid: `crash-${conv}-${i}`,
  sender: { id: `cust-${conv}`, name: `Customer ${conv}` },
  message: { type: 'text', text: `message ${i}` },
});

/** Manager replies at a steady pace into chats that exist, until told to stop. */
async function replyLoop(cluster: Cluster, replies: Reply[], until: () => boolean): Promise<void> {
  let n = 0;
  while (!until()) {
    const chats = cluster.emulator.control
      .listChats(cluster.scopeId)
      .filter((c) => c.conversationId?.startsWith('crash-') || c.conversationId?.startsWith('term-'));
    if (chats.length > 0) {
      const chat = chats[n++ % chats.length]!;
      const r = await cluster.emulator.control.managerReply({ scopeId: cluster.scopeId, chatId: chat.id, text: `reply ${n}` });
      replies.push({ messageId: r.messageId, hookStatus: r.webhook.status });
    }
    await sleep(15);
  }
}

/** Checks both directions once everything settled; returns the raw provider duplicates. */
async function verify(cluster: Cluster, expected: Map<string, string[]>, replies: Reply[]): Promise<number> {
  const wanted = [...expected.values()].flat();
  const sentOnce = (msgid: string) =>
    cluster.emulator.control.listMessages({ scopeId: cluster.scopeId }).filter((m) => m.clientMsgId === amojoMsgidFor('alice', msgid)).length === 1;
  await eventually(() => wanted.every(sentOnce), 'every accepted message in amojo', 60_000);
  const inAmojo = cluster.emulator.control.listMessages({ scopeId: cluster.scopeId }).filter((m) => m.clientMsgId !== null);
  // Exactly once: one record per msgid, nothing we never accepted.
  expect(inAmojo).toHaveLength(wanted.length);
  for (const [conversationId, msgids] of expected) {
    const chat = cluster.emulator.control.listChats(cluster.scopeId).find((c) => c.conversationId === conversationId)!;
    const order = cluster.emulator.control
      .listMessages({ scopeId: cluster.scopeId, chatId: chat.id })
      .filter((m) => m.clientMsgId !== null)
      .map((m) => m.clientMsgId);
    expect(order).toEqual(msgids.map((msgid) => amojoMsgidFor('alice', msgid)));
  }

  await eventually(() => replies.every((r) => cluster.provider.countFor(r.messageId) >= 1), 'every manager reply at the provider', 60_000);
  let duplicates = 0;
  for (const r of replies) {
    const raw = cluster.provider.deliveries.filter((d) => d.type === 'message.created' && d.dataId === r.messageId);
    // One event per reply (a repeat is the same event id, so a provider deduplicating on it sees one).
    expect(new Set(raw.map((d) => d.eventId)).size).toBe(1);
    duplicates += raw.length - 1;
  }
  return duplicates;
}

describe('crash safety (SIGKILL mid-burst)', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster('e2e-crash', env);
  });
  afterAll(() => cluster?.close());

  it(`loses and repeats nothing across ${KILL_AT.length} kill -9s`, async () => {
    const expected = new Map<string, string[]>();
    const replies: Reply[] = [];
    let accepted = 0;
    let burstDone = false;
    const senders = Array.from({ length: CONVERSATIONS }, async (_, conv) => {
      const order: string[] = [];
      expected.set(`crash-${conv}`, order);
      for (let i = 0; i < PER_CONVERSATION; i++) {
        const body = message(conv, i);
        await sendUntilAccepted(cluster, body);
        order.push(body.msgid);
        accepted++;
      }
    });
    const manager = replyLoop(cluster, replies, () => burstDone);
    const killer = (async () => {
      for (const at of KILL_AT) {
        await eventually(() => accepted >= at, `${at} accepted`, 60_000);
        await cluster.kill();
        // A reply while we are down: its hook fails; the reconciler brings it back at start.
        const chat = cluster.emulator.control.listChats(cluster.scopeId)[0]!;
        const lost = await cluster.emulator.control.managerReply({ scopeId: cluster.scopeId, chatId: chat.id, text: `while down ${at}` });
        expect(lost.webhook.ok).toBe(false);
        replies.push({ messageId: lost.messageId, hookStatus: lost.webhook.status });
        await cluster.start();
      }
    })();
    await Promise.all([...senders, killer]);
    burstDone = true;
    await manager;

    expect(accepted).toBe(CONVERSATIONS * PER_CONVERSATION);
    const duplicates = await verify(cluster, expected, replies);
    // A provider delivery answered 2xx but killed before it was recorded is sent again: the one
    // window no sender can close without the receiver's help (X-Amochan-Event-Id). Bounded by what
    // was in flight at each kill.
    expect(duplicates).toBeLessThanOrEqual(KILL_AT.length * CONCURRENCY);
    const statuses = cluster.emulator.control.listMessages({ scopeId: cluster.scopeId });
    process.stdout.write(
      `e2e-crash: ${accepted} messages, ${replies.length} replies (${replies.filter((r) => r.hookStatus !== 200).length} with a failed hook), ` +
        `${KILL_AT.length} kills, ${duplicates} repeated provider deliveries, ${statuses.length} amojo records\n`,
    );
    expect(await cluster.terminate()).toBe(0);
  });
});

describe('graceful shutdown (SIGTERM under load)', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    // A slow provider (80 ms per event) keeps deliveries in flight when SIGTERM arrives.
    cluster = await startCluster('e2e-term', { ...env, SHUTDOWN_TIMEOUT_MS: '10000' }, 80);
  });
  afterAll(() => cluster?.close());

  it('stops intake, finishes in-flight deliveries, exits 0; nothing lost or repeated after restart', async () => {
    const expected = new Map<string, string[]>();
    const replies: Reply[] = [];
    let accepted = 0;
    let done = false;
    const senders = Array.from({ length: 4 }, async (_, conv) => {
      const order: string[] = [];
      expected.set(`term-${conv}`, order);
      for (let i = 0; i < 40; i++) {
        const body = { ...message(conv, i), conversation_id: `term-${conv}`, msgid: `term-${conv}-${i}` };
        await sendUntilAccepted(cluster, body);
        order.push(body.msgid);
        accepted++;
      }
    });
    const manager = replyLoop(cluster, replies, () => done || accepted >= 60);
    await eventually(() => accepted >= 60, '60 accepted', 60_000);
    await manager;
    const started = Date.now();
    const code = await cluster.terminate();
    const tookMs = Date.now() - started;
    expect(code).toBe(0);
    expect(tookMs).toBeLessThan(10_000);
    expect(cluster.server!.stdout()).toContain('"msg":"stopped"');
    await cluster.start();
    await Promise.all(senders);
    done = true;

    const duplicates = await verify(cluster, expected, replies);
    // A graceful stop records every delivery it made: not a single repeat.
    expect(duplicates).toBe(0);
    expect(await cluster.terminate()).toBe(0);
  });
});
