import { Agent, request } from 'node:http';
import { bearer, startCluster, type Cluster } from '../support/cluster';
import { sleep } from '../support/wait';

/**
 * SIGTERM with busy keep-alive clients: idle connections are closed at once and busy ones are told
 * `Connection: close`, so the process exits about as soon as the requests in flight are answered —
 * not after SHUTDOWN_TIMEOUT_MS.
 */
jest.setTimeout(60_000);

const SHUTDOWN_TIMEOUT_MS = 10_000;
const CLIENTS = 8;

let cluster: Cluster;
beforeAll(async () => {
  cluster = await startCluster('e2e-shutdown', { SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS), RECONCILE_INTERVAL_MS: '0' });
});
afterAll(() => cluster?.close());

interface Answer {
  status: number;
  connection: string | undefined;
}

let sent = 0;
/** Alternately a provider API message (a store write) and a health check. */
function get(agent: Agent, url: string): Promise<Answer> {
  const n = sent++;
  const post = n % 2 === 0;
  const body = JSON.stringify({
    account: 'alice',
    conversation_id: `ka-${n % 5}`,
    msgid: `ka-${n}`,
    sender: { id: 'c1', name: 'Customer' },
    message: { type: 'text', text: 'hi' },
  });
  return new Promise((resolve, reject) => {
    const req = request(
      post ? `${url}/api/v1/messages` : `${url}/healthz`,
      post ? { agent, method: 'POST', headers: { ...bearer, 'Content-Type': 'application/json' } } : { agent },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
      },
    );
    req.on('error', reject);
    req.end(post ? body : undefined);
  });
}

/** A provider API message whose body arrives in two halves, the second when finish() is called. */
function startSlowPost(url: string): { finish(): void; answer: Promise<Answer> } {
  const body = JSON.stringify({
    account: 'alice',
    conversation_id: 'ka-slow',
    msgid: 'ka-slow',
    sender: { id: 'c1', name: 'Customer' },
    message: { type: 'text', text: 'sent slowly' },
  });
  const half = Math.floor(body.length / 2);
  let finish: () => void = () => undefined;
  const answer = new Promise<Answer>((resolve, reject) => {
    const req = request(`${url}/api/v1/messages`, {
      method: 'POST',
      agent: false,
      headers: { ...bearer, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
    });
    req.on('error', reject);
    req.flushHeaders();
    req.write(body.slice(0, half));
    finish = () => req.end(body.slice(half));
  });
  return { finish: () => finish(), answer };
}

it('exits well before SHUTDOWN_TIMEOUT_MS while keep-alive clients keep sending', async () => {
  const url = cluster.url();
  let stop = false;
  const answers: Answer[] = [];
  // Each client reuses one keep-alive socket, sending again as soon as the last answer is in.
  const clients = Array.from({ length: CLIENTS }, async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      while (!stop) {
        try {
          answers.push(await get(agent, url));
        } catch {
          // Refused or closed: the server is going away; a real client would go elsewhere.
          await sleep(20);
        }
      }
    } finally {
      agent.destroy();
    }
  });
  // Idle keep-alive sockets too: one request each, then silence.
  const idleAgents = Array.from({ length: 4 }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
  let code: number | null;
  let tookMs: number;
  let slowAnswer: Answer;
  try {
    for (const agent of idleAgents) await get(agent, url);
    await sleep(300);
    expect(answers.length).toBeGreaterThan(CLIENTS);
    // One request is surely in flight when SIGTERM lands: its body is only half sent. (Whether a
    // busy client is mid-request at that instant is chance; this one is not.)
    const slow = startSlowPost(url);
    await sleep(200); // its headers and first half reach the server
    const started = Date.now();
    const terminated = cluster.terminate();
    await sleep(150);
    slow.finish();
    slowAnswer = await slow.answer;
    code = await terminated;
    tookMs = Date.now() - started;
  } finally {
    stop = true;
    await Promise.all(clients);
    for (const agent of idleAgents) agent.destroy();
  }
  expect([...new Set(answers.map((a) => a.status))].sort()).toEqual([200, 202]);
  process.stdout.write(`shutdown with ${CLIENTS} busy and ${idleAgents.length} idle keep-alive clients: ${tookMs} ms (timeout ${SHUTDOWN_TIMEOUT_MS} ms)\n`);

  expect(code).toBe(0);
  expect(tookMs).toBeLessThan(2_000);
  expect(cluster.server!.stdout()).not.toContain('shutdown timed out');
  // A request in flight at SIGTERM is still answered, and told the connection ends rather than
  // having it cut under it.
  expect(slowAnswer!).toEqual({ status: 202, connection: 'close' });
});
