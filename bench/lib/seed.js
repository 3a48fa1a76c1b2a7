'use strict';
/**
 * Bulk seeding for the scale benchmark: N connected accounts and M stored messages written
 * straight into SQLite in one transaction (minutes through the API, seconds this way).
 * Mirrors the server's schema (server/src/storage/sqlite/migrations.ts): provider_accounts,
 * connections, conversations, messages (half inbound with msgid, half outbound from hooks),
 * webhook_receipts for the hooks, and done outbox entries — as a server in steady state holds them:
 * messages span 90 days and end 2 days ago (outside the reconciler's 24 h look-back, so its pass
 * at start has nothing to read), receipts exist for the last 29 days only and done outbox entries
 * for the last 6.5 days only (retention deletes older ones, so its pass at start finds nothing).
 * Triggers keep counters/outbox_counts as the server would. The live schema is checked first, so a
 * migration that renames a column fails here with a clear message instead of seeding a wrong
 * database. The same accounts are connected in the emulator (connectEmulator), so every seeded
 * binding is real on both sides.
 */
const { createAmojoClient } = require('@amochan/amojo');
const { buildMessageHook } = require('@amochan/amojo/testing');
const { SERVER_DIR } = require('./paths');

const Database = require(require.resolve('better-sqlite3', { paths: [SERVER_DIR] }));

const MESSAGES_PER_CONVERSATION = 10;
const DAY = 86_400_000;
const SPAN = 90 * DAY;
const NEWEST_AGO = 2 * DAY;
const RECEIPTS_FOR = 29 * DAY;
const DONE_OUTBOX_FOR = 6.5 * DAY;

const COLUMNS = {
  provider_accounts: ['login', 'password_hash', 'created_at'],
  connections: [
    'amojo_account_id',
    'login',
    'scope_id',
    'title',
    'status',
    'amocrm_account_id',
    'pipeline_id',
    'connected_at',
    'disconnected_at',
    'updated_at',
  ],
  conversations: [
    'id',
    'login',
    'scope_id',
    'conversation_id',
    'amojo_chat_id',
    'client_id',
    'client_ref_id',
    'phone',
    'state',
    'ref_bound',
    'created_at',
    'updated_at',
    'last_activity_at',
  ],
  messages: [
    'id',
    'direction',
    'login',
    'scope_id',
    'conversation_id',
    'amojo_chat_id',
    'msgid',
    'amojo_msg_id',
    'sender_ref_id',
    'status',
    'last_error',
    'payload',
    'created_at',
    'updated_at',
  ],
  webhook_receipts: ['key', 'scope_id', 'kind', 'raw', 'received_at'],
  outbox: [
    'id',
    'destination',
    'kind',
    'ordering_key',
    'payload',
    'message_id',
    'state',
    'attempts',
    'next_attempt_at',
    'lease_until',
    'last_error',
    'created_at',
    'updated_at',
  ],
};

/** uuid-shaped ids, sequential so the B-trees fill in order (seeding speed; depth is the same). */
const uuid = (kind, i) => {
  const h = i.toString(16).padStart(12, '0');
  return `${kind.toString(16).padStart(8, '0')}-0000-4000-8000-${h}`;
};
const seededLogin = (a) => `acct-${a}`;
const seededAmojoId = (a) => uuid(0xacc, a);

/** Refuses to seed a schema this file does not mirror: every column we write exists, every required one is written. */
function checkSchema(db) {
  const problems = [];
  for (const [table, cols] of Object.entries(COLUMNS)) {
    const info = db.prepare(`PRAGMA table_info(${table})`).all();
    if (info.length === 0) {
      problems.push(`table ${table} is missing`);
      continue;
    }
    const have = new Set(info.map((c) => c.name));
    for (const c of cols) if (!have.has(c)) problems.push(`${table}.${c} is gone`);
    for (const c of info)
      if (c.notnull && c.dflt_value === null && !c.pk && !cols.includes(c.name)) problems.push(`${table}.${c.name} (NOT NULL) is not seeded`);
  }
  if (problems.length > 0) {
    throw new Error(`bench/lib/seed.js no longer mirrors server/src/storage/sqlite/migrations.ts: ${problems.join('; ')}. Update seed.js.`);
  }
}

/** The outbox row of seeded message i, delivered 50 ms after it was created at `at`. */
function deliveredEntry(i, at, entry) {
  return {
    id: `obx_sm-${i}`,
    ...entry,
    message_id: `sm-${i}`,
    state: 'done',
    attempts: 1,
    next_attempt_at: at,
    lease_until: null,
    last_error: null,
    created_at: at,
    updated_at: at + 50,
  };
}

function insertStatement(db, table) {
  const cols = COLUMNS[table];
  return db.prepare(`INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((c) => '@' + c).join(', ')})`);
}

/**
 * Seeds `accounts` accounts and `messages` messages into the database file. Returns
 * {accounts:[{login, amojoId, scopeId}], conversations, messages, seconds}.
 */
function seedDatabase(file, { channelId, accounts, messages, now = Date.now() }) {
  const started = Date.now();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF'); // a throwaway bench database: durability of the seed is irrelevant
  db.pragma('cache_size = -524288');
  checkSchema(db);
  const ins = Object.fromEntries(Object.keys(COLUMNS).map((t) => [t, insertStatement(db, t)]));
  const perAccount = Math.max(1, Math.floor(messages / accounts));
  const convsPerAccount = Math.max(1, Math.floor(perAccount / MESSAGES_PER_CONVERSATION));
  const seeded = [];
  let msgNo = 0;
  let outboxNo = 0;
  let receiptsNo = 0;
  let conversationsCount = 0;
  const conversationsTotal = accounts * convsPerAccount;
  const newest = now - NEWEST_AGO;

  const run = db.transaction(() => {
    for (let a = 0; a < accounts; a += 1) {
      const login = seededLogin(a);
      const amojoId = seededAmojoId(a);
      const scopeId = `${channelId}_${amojoId}`;
      const connectedAt = now - SPAN - NEWEST_AGO - DAY + a;
      seeded.push({ login, amojoId, scopeId });
      ins.provider_accounts.run({ login, password_hash: 'seeded-by-bench:no-login', created_at: connectedAt });
      ins.connections.run({
        amojo_account_id: amojoId,
        login,
        scope_id: scopeId,
        title: `Seeded ${a}`,
        status: 'connected',
        amocrm_account_id: null,
        pipeline_id: null,
        connected_at: connectedAt,
        disconnected_at: null,
        updated_at: connectedAt,
      });
      for (let k = 0; k < convsPerAccount && msgNo < messages; k += 1) {
        const g = a * convsPerAccount + k;
        const convId = `seed-conv-${a}-${k}`;
        const chatId = uuid(0xc4a7, g);
        const clientRef = uuid(0xc11e, g);
        const inConv = k === convsPerAccount - 1 ? perAccount - k * MESSAGES_PER_CONVERSATION : MESSAGES_PER_CONVERSATION;
        // Conversations are scattered over the span (a prime stride), messages a minute apart within one.
        const t0 = newest - SPAN + Math.floor((((g * 7919) % conversationsTotal) / conversationsTotal) * SPAN) - inConv * 60_000;
        const last = t0 + (inConv - 1) * 60_000;
        conversationsCount += 1;
        ins.conversations.run({
          id: `cv-${a}-${k}`,
          login,
          scope_id: scopeId,
          conversation_id: convId,
          amojo_chat_id: chatId,
          client_id: `seed-cust-${a}-${k}`,
          client_ref_id: clientRef,
          phone: null,
          state: 'active',
          ref_bound: 0,
          created_at: t0,
          updated_at: last,
          last_activity_at: last,
        });
        for (let j = 0; j < inConv && msgNo < messages; j += 1) {
          const i = msgNo;
          msgNo += 1;
          const at = t0 + j * 60_000;
          const amojoMsgId = uuid(0x3e55, i);
          const withOutbox = now - at < DONE_OUTBOX_FOR;
          if (j % 2 === 0) {
            const payload = JSON.stringify({
              account: login,
              conversation_id: convId,
              msgid: `seed-${i}`,
              sender: { id: `seed-cust-${a}-${k}`, name: `Customer ${k}` },
              message: { type: 'text', text: `Seeded customer message ${i}: is the order still available?` },
            });
            ins.messages.run({
              id: `sm-${i}`,
              direction: 'inbound',
              login,
              scope_id: scopeId,
              conversation_id: convId,
              amojo_chat_id: chatId,
              msgid: `seed-${i}`,
              amojo_msg_id: amojoMsgId,
              sender_ref_id: null,
              status: 'sent',
              last_error: null,
              payload,
              created_at: at,
              updated_at: at + 50,
            });
            if (withOutbox) {
              outboxNo += 1;
              ins.outbox.run(
                deliveredEntry(i, at, {
                  destination: 'amojo',
                  kind: 'new_message',
                  ordering_key: `conv:${login}:${convId}`,
                  payload: JSON.stringify({ scopeId, conversationRef: `cv-${a}-${k}`, message: { msgid: `seed-${i}` } }),
                }),
              );
            }
          } else {
            // The manager's amojo id, as the server stores it from the hook (messages_scope_sender index).
            const managerId = uuid(0x3a9, a);
            const raw = JSON.stringify(
              buildMessageHook({
                accountId: amojoId,
                chatId,
                conversationId: convId,
                receiver: { id: clientRef, clientId: `seed-cust-${a}-${k}` },
                senderId: managerId,
                messageId: amojoMsgId,
                time: Math.floor(at / 1000),
                msecTimestamp: at,
                message: { text: `Seeded manager answer ${i}: yes.` },
              }),
            );
            ins.messages.run({
              id: `sm-${i}`,
              direction: 'outbound',
              login,
              scope_id: scopeId,
              conversation_id: convId,
              amojo_chat_id: chatId,
              msgid: null,
              amojo_msg_id: amojoMsgId,
              sender_ref_id: managerId,
              status: 'delivered',
              last_error: null,
              payload: raw,
              created_at: at,
              updated_at: at + 50,
            });
            if (now - at < RECEIPTS_FOR) {
              receiptsNo += 1;
              ins.webhook_receipts.run({ key: `msg:${amojoMsgId}`, scope_id: scopeId, kind: 'message', raw, received_at: at });
            }
            if (withOutbox) {
              outboxNo += 1;
              ins.outbox.run(
                deliveredEntry(i, at, {
                  destination: 'provider',
                  kind: 'event',
                  ordering_key: `conv:${scopeId}:${chatId}`,
                  payload: JSON.stringify({ id: `evt-${i}`, type: 'message.created', account: login }),
                }),
              );
            }
          }
        }
      }
    }
  });
  run();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return {
    accounts: seeded,
    conversations: conversationsCount,
    messages: msgNo,
    outbox_done: outboxNo,
    receipts: receiptsNo,
    seconds: (Date.now() - started) / 1000,
  };
}

/** Connects every seeded account in the emulator through the signed API (bounded concurrency). */
async function connectEmulator(bench, accounts, concurrency = 16) {
  const client = createAmojoClient({ baseUrl: bench.url, channelId: bench.channelId, secret: bench.secret });
  let next = 0;
  const worker = async () => {
    while (next < accounts.length) {
      const account = accounts[next];
      next += 1;
      const res = await client.connect({ account_id: account.amojoId, title: account.login });
      if (res.scope_id !== account.scopeId) throw new Error(`emulator scope ${res.scope_id} ≠ seeded ${account.scopeId}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

module.exports = { seedDatabase, connectEmulator, seededLogin };
