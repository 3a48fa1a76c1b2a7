import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { amojoMsgidFor } from '../../src/services/amojo-msgid';
import { bearer, eventually, sendUntilAccepted, startCluster, type Cluster } from '../support/cluster';
import { sleep } from '../support/wait';

/**
 * The database on a full disk, for real: the test mounts a 4 MB tmpfs (it needs root; this suite
 * runs as root, and skips with a notice elsewhere — no fault is injected instead), puts the
 * server's SQLite file on it and fills the rest. Writes are answered 503 storage_unavailable with
 * Retry-After on every path (provider API and amojo hooks), /readyz says not ready, the log stays
 * quiet, and once space is back everything resumes by itself with nothing lost.
 */
jest.setTimeout(120_000);

function tryMountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Writes zeros until the filesystem refuses (ENOSPC). */
function fillDisk(file: string): number {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(16 * 1024);
  let written = 0;
  try {
    for (;;) written += writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return written;
}

const mountPoint = mkdtempSync(path.join(tmpdir(), 'amochan-disk-full-'));
const mounted = tryMountTmpfs(mountPoint, '4m');
if (!mounted) process.stdout.write(`disk-full test skipped: cannot mount a tmpfs at ${mountPoint} (needs root)\n`);

const message = (i: number) => ({
  account: 'alice',
  conversation_id: 'disk-1',
  msgid: `disk-${i}`,
  sender: { id: 'cust-1', name: 'Customer' },
  message: { type: 'text', text: `message ${i}` },
});

(mounted ? describe : describe.skip)('database on a full disk', () => {
  let cluster: Cluster;
  const filler = path.join(mountPoint, 'filler');
  beforeAll(async () => {
    const dir = path.join(mountPoint, 'data');
    mkdirSync(dir);
    cluster = await startCluster(
      'e2e-disk-full',
      {
        RECONCILE_INTERVAL_MS: '1000',
        RECONCILE_GRACE_MS: '300',
        OUTBOX_BASE_DELAY_MS: '50',
        OUTBOX_MAX_DELAY_MS: '500',
        // amojo fails on purpose while the disk is full: those entries must not run out of attempts.
        OUTBOX_MAX_ATTEMPTS: '100',
        // An outcome the full disk refused to record waits out its lease: keep it short here.
        OUTBOX_LEASE_MS: '4000',
        AMOJO_TIMEOUT_MS: '1000',
        PROVIDER_WEBHOOK_TIMEOUT_MS: '2000',
      },
      0,
      { dir },
    );
  });
  afterAll(async () => {
    await cluster?.close();
    try {
      unlinkSync(filler);
    } catch {
      // already removed by the test
    }
    if (mounted) execFileSync('umount', [mountPoint]);
    rmdirSync(mountPoint);
  });

  it('answers 503 storage_unavailable with Retry-After, is not ready, logs little, and resumes by itself', async () => {
    const post = (body: unknown) =>
      fetch(`${cluster.url()}/api/v1/messages`, { method: 'POST', headers: { ...bearer, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const accepted: string[] = [];
    await sendUntilAccepted(cluster, message(0));
    accepted.push('disk-0');
    const chat = await eventually(() => cluster.emulator.control.listChats(cluster.scopeId).find((c) => c.conversationId === 'disk-1'), 'the chat in amojo');
    expect((await fetch(`${cluster.url()}/readyz`)).status).toBe(200);

    // Work in the outbox when the disk fills: amojo fails for now, so two messages wait for a retry
    // (each retry is a write the full disk refuses).
    cluster.emulator.control.failNext(1_000_000, 503);
    for (const n of [1, 2]) {
      await sendUntilAccepted(cluster, message(n));
      accepted.push(`disk-${n}`);
    }
    await sleep(300);

    const fillerBytes = fillDisk(filler);
    const filledAt = Date.now();

    // Provider API: a few writes may still fit in space SQLite already holds; then 503, never 500.
    const statuses: number[] = [];
    let refused: Response | null = null;
    let i = 3;
    for (; i <= 100 && !refused; i++) {
      const res = await post(message(i));
      statuses.push(res.status);
      if (res.status === 202) accepted.push(`disk-${i}`);
      else if (res.status === 503) refused = res;
      else throw new Error(`unexpected ${res.status}: ${await res.text()}`);
    }
    expect(refused).not.toBeNull();
    expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await refused!.json()) as { error: { code: string } }).error.code).toBe('storage_unavailable');
    const refusedMsgids = [`disk-${i - 1}`];

    // amojo's hook: answered 503 honestly, with Retry-After (amojo itself will not retry; the reconciler will).
    const reply = await cluster.emulator.control.managerReply({ scopeId: cluster.scopeId, chatId: chat.id, text: 'while the disk is full' });
    expect(reply.webhook.status).toBe(503);
    const attempt = cluster.emulator.control.webhookLog().find((w) => w.messageId === reply.messageId)!;
    const hookAgain = await fetch(attempt.url!, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Signature': attempt.signature },
      body: attempt.body,
    });
    expect(hookAgain.status).toBe(503);
    expect(Number(hookAgain.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await hookAgain.json()) as { error: { code: string } }).error.code).toBe('storage_unavailable');

    const ready = await fetch(`${cluster.url()}/readyz`);
    expect(ready.status).toBe(503);
    expect(Number(ready.headers.get('retry-after'))).toBeGreaterThan(0);

    // Two seconds of a full disk with the outbox polling every 200 ms, its claims and writes refused.
    for (let k = 0; k < 10; k++) {
      expect((await post(message(1000 + k))).status).toBe(503);
      await sleep(200);
    }
    // The access log keeps its line per request; what must not repeat are the background complaints.
    const lines = cluster.server!.logs.filter((l) => Date.parse(String(l.time)) >= filledAt && l.msg !== 'request');
    const claimFailures = lines.filter((l) => String(l.msg).includes('claim failed')).length;
    const warnOrWorse = lines.filter((l) => ['warn', 'error', 'fatal'].includes(String(l.level))).length;
    process.stdout.write(
      `disk full (${(fillerBytes / 1024).toFixed(0)} KiB filler): ${statuses.filter((s) => s === 202).length} writes fitted, then 503; ${warnOrWorse} warn/error lines in ${Date.now() - filledAt} ms (${claimFailures} "claim failed")\n`,
    );
    expect(claimFailures).toBeLessThanOrEqual(1);
    expect(warnOrWorse).toBeLessThanOrEqual(5);

    // Space comes back: ready again without a restart, the refused writes go through when retried,
    // and everything accepted reaches amojo once; the manager's reply reaches the provider.
    cluster.emulator.control.failNext(0, 503);
    unlinkSync(filler);
    await eventually(async () => (await fetch(`${cluster.url()}/readyz`)).status === 200, 'ready again', 20_000);
    for (const msgid of refusedMsgids) {
      await sendUntilAccepted(cluster, message(Number(msgid.slice('disk-'.length))));
      accepted.push(msgid);
    }
    const inAmojo = () =>
      cluster.emulator.control
        .listMessages({ scopeId: cluster.scopeId, chatId: chat.id })
        .filter((m) => m.clientMsgId !== null)
        .map((m) => m.clientMsgId);
    // amojo holds the msgid amochan derives from the provider's (account, msgid).
    const expected = accepted.map((m) => amojoMsgidFor('alice', m));
    await eventually(() => expected.every((m) => inAmojo().includes(m)), 'every accepted message in amojo', 30_000);
    expect(inAmojo()).toEqual(expected);
    await eventually(() => cluster.provider.countFor(reply.messageId) >= 1, 'the reply recovered for the provider', 30_000);
    expect(cluster.provider.countFor(reply.messageId)).toBe(1);
    expect(cluster.server!.child.exitCode).toBeNull();
  });
});
