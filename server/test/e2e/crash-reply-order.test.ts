import { sleep } from '../support/wait';
import { eventually, sendUntilAccepted, startCluster, type Cluster } from '../support/cluster';

/**
 * Manager replies keep their order across a crash. Managers answer in many chats all along; the
 * server is SIGKILLed, replies written while it is down lose their hooks (amojo never retries), and
 * at restart the reconciler recovers them from chat history while new replies' hooks arrive live.
 * Per conversation, the provider must see every reply in the order amojo wrote them: a recovered
 * reply never after a live one written later.
 */
jest.setTimeout(180_000);

const CHATS = 24;
const MANAGERS = 4;
const CYCLES = 2;

let cluster: Cluster;
beforeAll(async () => {
  cluster = await startCluster('e2e-reply-order', {
    OUTBOX_POLL_MS: '25',
    OUTBOX_BASE_DELAY_MS: '20',
    OUTBOX_MAX_DELAY_MS: '300',
    OUTBOX_LEASE_MS: '4000',
    AMOJO_TIMEOUT_MS: '1000',
    PROVIDER_WEBHOOK_TIMEOUT_MS: '2000',
    RECONCILE_INTERVAL_MS: '1000',
    RECONCILE_GRACE_MS: '1500',
  });
});
afterAll(() => cluster?.close());

/** Replies delivered after a reply of the same chat that amojo wrote later. */
function outOfOrder(): { total: number; late: number; byChat: Map<string, number> } {
  const byChat = new Map<string, number>();
  let total = 0;
  let late = 0;
  for (const chat of cluster.emulator.control.listChats(cluster.scopeId)) {
    const written = cluster.emulator.control
      .listMessages({ scopeId: cluster.scopeId, chatId: chat.id })
      .filter((m) => m.clientMsgId === null)
      .map((m) => m.id);
    const position = new Map(written.map((id, i) => [id, i]));
    const seen = new Set<string>();
    let newest = -1;
    let chatLate = 0;
    for (const d of cluster.provider.deliveries) {
      if (d.type !== 'message.created' || !d.dataId || !position.has(d.dataId) || seen.has(d.dataId)) continue;
      seen.add(d.dataId);
      const at = position.get(d.dataId)!;
      if (at < newest) chatLate++;
      newest = Math.max(newest, at);
    }
    total += written.length;
    late += chatLate;
    if (chatLate > 0) byChat.set(chat.id, chatLate);
  }
  return { total, late, byChat };
}

it('after kill -9, recovered replies reach the provider in their place, not after later live ones', async () => {
  for (let c = 0; c < CHATS; c++) {
    await sendUntilAccepted(cluster, {
      account: 'alice',
      conversation_id: `order-${c}`,
      sender: { id: `cust-${c}`, name: `Customer ${c}` },
      message: { type: 'text', text: 'hello' },
    });
  }
  const chats = await eventually(() => {
    const list = cluster.emulator.control.listChats(cluster.scopeId).filter((ch) => ch.conversationId?.startsWith('order-'));
    return list.length === CHATS ? list : null;
  }, 'every chat in amojo');

  let stop = false;
  const replies: string[] = [];
  let lostHooks = 0;
  // Several managers, each answering round the chats as fast as amojo lets them.
  const managers = Array.from({ length: MANAGERS }, async (_, m) => {
    for (let n = m; !stop; n += MANAGERS) {
      const chat = chats[n % CHATS]!;
      const r = await cluster.emulator.control.managerReply({ scopeId: cluster.scopeId, chatId: chat.id, text: `mgr-${String(n).padStart(3, '0')}` });
      replies.push(r.messageId);
      if (!r.webhook.ok) lostHooks++;
      await sleep(20);
    }
  });
  try {
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      await sleep(1000);
      await cluster.kill();
      await sleep(1500);
      await cluster.start();
    }
    await sleep(1500);
  } finally {
    stop = true;
    await Promise.all(managers);
  }

  await eventually(() => replies.every((id) => cluster.provider.countFor(id) >= 1), 'every reply at the provider', 90_000);
  const order = outOfOrder();
  process.stdout.write(
    `reply order after ${CYCLES} kill -9s: ${replies.length} replies in ${CHATS} chats, ${lostHooks} hooks lost (recovered from history), ${order.late} delivered out of order\n`,
  );
  expect(lostHooks).toBeGreaterThan(0);
  expect(order.total).toBe(replies.length);
  expect(order.late).toBe(0);
});
