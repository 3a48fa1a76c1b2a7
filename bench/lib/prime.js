'use strict';
/**
 * Creates real conversations through the server (provider POST → outbox → emulator), so the hooks
 * the ingest benchmark sends answer chats the server knows, exactly as amojo's would.
 */
const { fixedRate } = require('./load');
const { providerMessage } = require('./fixtures');
const { BENCH_TOKEN } = require('./proc');

async function primeChats({ serverUrl, bench, accounts, count, prefix }) {
  const tracker = bench.track(prefix);
  const accountOf = (c) => accounts[c % accounts.length].login;
  await fixedRate({
    url: serverUrl,
    path: '/api/v1/messages',
    headers: { Authorization: `Bearer ${BENCH_TOKEN}`, 'Content-Type': 'application/json' },
    body: (i) => providerMessage(i, { prefix, conversations: count, accountOf }),
    rate: 500,
    count,
    onSent: (i, t) => tracker.sentAt(`${prefix}-${i}`, t),
    deadlineMs: 20000,
  });
  const ok = await tracker.waitAll(count, 20000);
  bench.untrack();
  if (!ok) throw new Error(`priming: only ${tracker.count}/${count} messages reached the emulator in 20 s`);

  const byScope = new Map(bench.control.listConnections().map((s) => [s.scopeId, s]));
  const chats = [];
  for (const account of accounts) {
    for (const chat of bench.control.listChats(account.scopeId)) {
      if (!chat.conversationId || !chat.conversationId.startsWith(prefix)) continue;
      const client = bench.control.listUsers(account.scopeId).find((u) => u.id === chat.clientUserId);
      chats.push({
        accountAmojoId: account.amojoId,
        scopeId: account.scopeId,
        chatId: chat.id,
        conversationId: chat.conversationId,
        clientAmojoId: chat.clientUserId,
        clientId: client ? client.clientId : null,
        managerAmojoId: byScope.get(account.scopeId).managerId,
      });
    }
  }
  if (chats.length === 0) throw new Error('priming created no chats in the emulator');
  return chats;
}

module.exports = { primeChats };
