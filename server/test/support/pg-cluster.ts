import { rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { startEmulator, type RunningEmulator } from '@amochan/amojo-emulator';
import { call } from './http-client';
import { startRecordingProvider, WEBHOOK_SECRET, type RecordingProvider } from './provider-server';
import { startRoundRobin, type RoundRobin } from './round-robin';
import { assertBuilt, makeTempDir, pointHooksAt, runCliProcess, serverEnv, startServerProcess, type ServerProcess } from './server-process';
import { makeToken, tokenEnv } from './widget-harness';
import { amojoMsgidFor } from '../../src/services/amojo-msgid';
import { sleep, waitFor } from './wait';

/**
 * Several built servers as real processes on one PostgreSQL database, behind a round-robin front
 * that the emulator's hooks and the provider's calls go through; the emulator plays amojo and a
 * recording provider receives events. Instances can be SIGKILLed and restarted one by one.
 */
export const TOKEN = 'e2e-pg-cluster-token';
export const bearer = { Authorization: `Bearer ${TOKEN}` };

export interface PgCluster {
  env: Record<string, string>;
  emulator: RunningEmulator;
  provider: RecordingProvider;
  front: RoundRobin;
  instances: Array<ServerProcess | null>;
  /** Every process ever started, with when it ended (SIGKILL or close), for the logs. */
  history: Array<{ process: ServerProcess; endedAt: number | null }>;
  /** login → scope id, one connected amojo account each. */
  scopes: Map<string, string>;
  /** The URL of instance i. */
  url(i: number): string;
  start(i: number): Promise<ServerProcess>;
  kill(i: number): Promise<void>;
  close(): Promise<void>;
}

export async function startPgCluster(options: {
  name: string;
  databaseUrl: string;
  count: number;
  logins: string[];
  env?: Record<string, string>;
}): Promise<PgCluster> {
  assertBuilt();
  const dir = makeTempDir(options.name);
  const emulator = await startEmulator();
  const provider = await startRecordingProvider();
  const front = await startRoundRobin();
  const env = {
    ...serverEnv({ dir, emulator, apiToken: TOKEN, providerUrl: provider.url, providerSecret: WEBHOOK_SECRET }, { ...tokenEnv, ...options.env }),
    DATABASE_URL: options.databaseUrl,
  };
  const instances: Array<ServerProcess | null> = Array.from({ length: options.count }, () => null);
  const refreshFront = () => front.setUpstreams(instances.filter((s): s is ServerProcess => s !== null).map((s) => s.url));
  const cluster: PgCluster = {
    env,
    emulator,
    provider,
    front,
    instances,
    history: [],
    scopes: new Map(),
    url: (i) => instances[i]?.url ?? 'http://127.0.0.1:1',
    async start(i) {
      const s = await startServerProcess(env, 30_000);
      instances[i] = s;
      cluster.history.push({ process: s, endedAt: null });
      refreshFront();
      return s;
    },
    async kill(i) {
      const s = instances[i];
      if (!s) return;
      await s.stop('SIGKILL');
      cluster.history.find((h) => h.process === s)!.endedAt = Date.now();
      // The front keeps the dead address for a moment, as a balancer would until its health check.
      await sleep(200);
      instances[i] = null;
      refreshFront();
    },
    async close() {
      await Promise.all(instances.map((s) => (s && s.child.exitCode === null && s.child.signalCode === null ? s.stop('SIGTERM') : null)));
      await front.close();
      await emulator.close();
      await provider.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  for (const login of options.logins) {
    const added = await runCliProcess(['accounts', 'add', login], env, `${login}-pass\n`);
    if (added.code !== 0) throw new Error(`accounts add ${login}: ${added.stderr}`);
  }
  await Promise.all(instances.map((_, i) => cluster.start(i)));
  pointHooksAt(emulator, front.url);
  let account = 0;
  for (const login of options.logins) {
    const token = await makeToken({ accountId: 40_000_000 + ++account });
    const res = await call(`${front.url}/widget/v1/connect`, 'POST', { login, password: `${login}-pass`, amojo_id: randomUUID() }, { 'X-Auth-Token': token });
    if (res.status !== 200) throw new Error(`connect ${login}: ${res.status} ${JSON.stringify(res.body)}`);
    cluster.scopes.set(login, res.body!.scope_id as string);
  }
  return cluster;
}

/** Leading intervals per instance from the single-runner's logs: [start, end] in ms. */
export function leadIntervals(logs: Array<Record<string, unknown>>, job: string, endAt: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let open: number | null = null;
  for (const l of logs) {
    if (l.job !== job) continue;
    const at = Date.parse(String(l.time));
    if (l.event === 'lead_start') open = at;
    else if (l.event === 'lead_stop' && open !== null) {
      out.push([open, at]);
      open = null;
    }
  }
  if (open !== null) out.push([open, endAt]);
  return out;
}

/** true when no two intervals (from different instances) overlap. */
export function disjoint(intervals: Array<[number, number]>): boolean {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  return sorted.every((iv, k) => k === 0 || iv[0] >= sorted[k - 1]![1]);
}

/** The messages each conversation was sent with, in the order their 202s came back. */
export type SentMessages = Map<string, { login: string; msgids: string[] }>;

/**
 * Every accepted message reached amojo exactly once, and each conversation's in the order it was
 * accepted. amojo knows them by the msgid derived from (login, msgid). Returns how many there were.
 */
export async function expectEveryMessageOnceInOrder(cluster: PgCluster, expected: SentMessages, logins: readonly string[]): Promise<number> {
  const control = cluster.emulator.control;
  const wanted = [...expected.values()].flatMap((e) => e.msgids.map((msgid) => amojoMsgidFor(e.login, msgid)));
  const inAmojo = () => logins.flatMap((login) => control.listMessages({ scopeId: cluster.scopes.get(login)! }).filter((m) => m.clientMsgId !== null));
  await waitFor(
    () => {
      const ids = new Set(inAmojo().map((m) => m.clientMsgId));
      return wanted.every((id) => ids.has(id));
    },
    'every accepted message in amojo',
    60_000,
    100,
  );
  expect(inAmojo()).toHaveLength(wanted.length);
  for (const [conversationId, { login, msgids }] of expected) {
    const scopeId = cluster.scopes.get(login)!;
    const chat = control.listChats(scopeId).find((c) => c.conversationId === conversationId)!;
    const order = control
      .listMessages({ scopeId, chatId: chat.id })
      .filter((m) => m.clientMsgId !== null)
      .map((m) => m.clientMsgId);
    expect(order).toEqual(msgids.map((msgid) => amojoMsgidFor(login, msgid)));
  }
  return wanted.length;
}

/**
 * Short retry, lease and reconcile intervals for outage tests: recovery that takes seconds in
 * production takes a fraction of one here, with a small pool so several instances fit in one database.
 */
export const FAST_RECOVERY_ENV: Record<string, string> = {
  OUTBOX_CONCURRENCY: '8',
  OUTBOX_POLL_MS: '100',
  OUTBOX_BASE_DELAY_MS: '20',
  OUTBOX_MAX_DELAY_MS: '300',
  OUTBOX_MAX_ATTEMPTS: '100',
  OUTBOX_LEASE_MS: '4000',
  AMOJO_TIMEOUT_MS: '1000',
  PROVIDER_WEBHOOK_TIMEOUT_MS: '2000',
  RECONCILE_INTERVAL_MS: '500',
  RECONCILE_GRACE_MS: '1000',
  JOB_LEASE_MS: '3000',
  DATABASE_POOL_SIZE: '4',
};

export interface ProviderAnswer {
  status: number;
  retryAfter: string | null;
}

/**
 * A provider that retries the same body on a network error or 5xx until it gets 202 (a 4xx is a
 * bug in the test and throws). Every answer is recorded, so a test can check what the outage looked like.
 */
export async function sendUntilAccepted(url: () => string, body: Record<string, unknown>, answers: ProviderAnswer[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await fetch(`${url()}/api/v1/messages`, {
        method: 'POST',
        headers: { ...bearer, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      answers.push({ status: res.status, retryAfter: res.headers.get('retry-after') });
      const text = await res.text();
      if (res.status === 202) return;
      if (res.status < 500) throw new Error(`refused ${res.status}: ${text}`);
    } catch (err) {
      if ((err as Error).message.startsWith('refused')) throw err;
    }
    if (Date.now() > deadline) throw new Error(`message ${String(body.msgid)} never accepted`);
    await sleep(30);
  }
}

/**
 * The burst both outage tests run: customers of every login write `perConversation` messages in each
 * of their conversations (one after another within a conversation, all conversations at once),
 * while managers answer in the chats that exist so far. `finish(fault)` waits for the customers and
 * for the fault played meanwhile (a kill, an outage), then stops the managers and returns what was sent.
 */
export function startBurst(
  cluster: PgCluster,
  options: { logins: readonly string[]; conversationsPerLogin: number; perConversation: number; tag: string; pick: () => string; replyEveryMs: number },
) {
  const expected: SentMessages = new Map();
  const answers: ProviderAnswer[] = [];
  const replies: string[] = [];
  let accepted = 0;
  let done = false;
  const senders = options.logins.flatMap((login) =>
    Array.from({ length: options.conversationsPerLogin }, async (_, c) => {
      const conversationId = `${login}-${options.tag}-${c}`;
      const msgids: string[] = [];
      expected.set(conversationId, { login, msgids });
      for (let i = 0; i < options.perConversation; i++) {
        const body = {
          account: login,
          conversation_id: conversationId,
          msgid: `${conversationId}-${i}`,
          sender: { id: `cust-${conversationId}`, name: 'Customer' },
          message: { type: 'text', text: `message ${i}` },
        };
        await sendUntilAccepted(options.pick, body, answers);
        msgids.push(body.msgid);
        accepted++;
      }
    }),
  );
  const managers = (async () => {
    for (let n = 0; !done; n++) {
      const login = options.logins[n % options.logins.length]!;
      const scopeId = cluster.scopes.get(login)!;
      const chats = cluster.emulator.control.listChats(scopeId);
      if (chats.length > 0)
        replies.push((await cluster.emulator.control.managerReply({ scopeId, chatId: chats[n % chats.length]!.id, text: `reply ${n}` })).messageId);
      await sleep(options.replyEveryMs);
    }
  })();
  return {
    accepted: () => accepted,
    async finish(fault: Promise<unknown>): Promise<{ expected: SentMessages; answers: ProviderAnswer[]; replies: string[] }> {
      try {
        await Promise.all([...senders, fault]);
      } finally {
        done = true;
        await managers;
      }
      return { expected, answers, replies };
    },
  };
}

/** Every manager reply reached the provider, as one event (a redelivery repeats the event id). */
export async function expectEveryReplyOnce(cluster: PgCluster, replies: readonly string[], what: string): Promise<void> {
  await waitFor(() => replies.every((id) => cluster.provider.countFor(id) >= 1), what, 60_000, 100);
  for (const id of replies) {
    const events = new Set(cluster.provider.deliveries.filter((d) => d.type === 'message.created' && d.dataId === id).map((d) => d.eventId));
    expect(events.size).toBe(1);
  }
}
