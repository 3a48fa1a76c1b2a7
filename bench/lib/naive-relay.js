'use strict';
/**
 * Relay baseline (child process): the naive synchronous relay a provider could write in an
 * afternoon. It takes the same POST /api/v1/messages, signs new_message with the same SDK, sends
 * it to the same emulator with fetch, waits for the answer, then answers the provider. It stores
 * nothing and never retries, so it is an upper bound on speed for a relay with no durability.
 *
 * env: PORT, AMOJO_BASE_URL, AMOJO_CHANNEL_SECRET, PROVIDER_API_TOKEN,
 *      NAIVE_SCOPES = JSON {"<provider login>": "<scope_id>"}.
 */
const http = require('node:http');
const { signRequest } = require('@amochan/amojo');

const base = process.env.AMOJO_BASE_URL;
const secret = process.env.AMOJO_CHANNEL_SECRET;
const auth = `Bearer ${process.env.PROVIDER_API_TOKEN}`;
const scopes = JSON.parse(process.env.NAIVE_SCOPES || '{}');

function answer(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

async function relay(raw, res) {
  const input = JSON.parse(raw);
  const scopeId = scopes[input.account];
  if (!scopeId) return answer(res, 404, { error: { code: 'unknown_account', message: input.account } });
  const now = Date.now();
  const payload = {
    timestamp: Math.floor(now / 1000),
    msec_timestamp: now,
    msgid: input.msgid,
    conversation_id: input.conversation_id,
    sender: input.sender,
    message: input.message,
    silent: false,
  };
  const body = JSON.stringify({ event_type: 'new_message', payload });
  const path = `/v2/origin/custom/${scopeId}`;
  const headers = signRequest({ method: 'POST', path, body, secret });
  const upstream = await fetch(base + path, { method: 'POST', headers, body });
  const text = await upstream.text();
  if (!upstream.ok) return answer(res, 502, { error: { code: 'amojo_error', message: text } });
  return answer(res, 202, { id: input.msgid, msgid: input.msgid, status: 'sent' });
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/healthz') return answer(res, 200, { status: 'ok' });
  if (req.method !== 'POST' || req.url !== '/api/v1/messages') return answer(res, 404, { error: { code: 'not_found' } });
  if (req.headers.authorization !== auth) return answer(res, 401, { error: { code: 'unauthorized' } });
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    relay(Buffer.concat(chunks).toString('utf8'), res).catch((err) => answer(res, 500, { error: { code: 'internal', message: String(err) } }));
  });
});
server.keepAliveTimeout = 65000;
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
