'use strict';
/**
 * Ingest's second baseline (child process): the least a webhook receiver that keeps its promise
 * can do. Reads the body, checks X-Signature (HMAC-SHA1 hex of the raw body with the channel
 * secret, as amojo signs hooks), commits one row per hook to SQLite and answers 200 only after the
 * COMMIT: the same guarantee as ours (a 200 means the hook survives kill -9). Same durability as
 * the server's SQLite store (server/src/storage/sqlite/database.ts): WAL, synchronous=NORMAL, same
 * cache; and the same group commit (write-queue.ts): every hook that arrived in one turn of the
 * event loop joins one BEGIN IMMEDIATE … COMMIT, at most 500 per transaction.
 * No parsing, no dedup, no lookups, no outbox: ours / this = what our work beyond durability costs.
 *   PORT, SECRET (the channel secret), DB_FILE (created; the bench deletes it)
 */
const crypto = require('node:crypto');
const http = require('node:http');
const path = require('node:path');
// The server's own better-sqlite3, so both sides run the same SQLite build.
const Database = require(require.resolve('better-sqlite3', { paths: [path.join(__dirname, '..', '..', 'server')] }));

const SECRET = process.env.SECRET;
const MAX_BATCH = 500;
if (!SECRET || !process.env.DB_FILE) throw new Error('SECRET and DB_FILE are required');

const db = new Database(process.env.DB_FILE);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');
db.pragma('foreign_keys = ON');
db.pragma('cache_size = -32768');
db.pragma('temp_store = MEMORY');
db.exec('CREATE TABLE IF NOT EXISTS hooks (id INTEGER PRIMARY KEY, scope TEXT NOT NULL, body TEXT NOT NULL, received_at INTEGER NOT NULL)');
const insert = db.prepare('INSERT INTO hooks (scope, body, received_at) VALUES (?, ?, ?)');
const commitBatch = db.transaction((batch) => {
  for (const job of batch) insert.run(job.scope, job.body, job.at);
});

let queue = [];
let scheduled = false;
function flush() {
  scheduled = false;
  while (queue.length > 0) {
    const batch = queue.slice(0, MAX_BATCH);
    queue = queue.slice(batch.length);
    let status = 200;
    try {
      commitBatch.immediate(batch);
    } catch {
      status = 503;
    }
    for (const job of batch) reply(job.res, status, status === 200 ? '{}' : '{"error":"storage_unavailable"}');
  }
}

function reply(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function signatureOk(raw, header) {
  if (typeof header !== 'string' || header.length !== 40) return false;
  const expected = crypto.createHmac('sha1', SECRET).update(raw).digest();
  const given = Buffer.from(header, 'hex');
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

const server = http.createServer((req, res) => {
  if (req.method !== 'POST') return reply(res, 200, '{}'); // the bench's readiness probe
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks);
    if (!signatureOk(raw, req.headers['x-signature'])) return reply(res, 401, '{"error":"bad_signature"}');
    queue.push({ scope: req.url.slice(req.url.lastIndexOf('/') + 1), body: raw.toString('utf8'), at: Date.now(), res });
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
});
server.keepAliveTimeout = 65000;
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => {
  server.close(() => {
    flush();
    db.close();
    process.exit(0);
  });
  server.closeAllConnections();
});
