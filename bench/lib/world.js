'use strict';
/**
 * A "world" = one fresh SQLite database + the built server + live accounts connected through the
 * server's own widget API (the real connect flow, against the in-process emulator).
 * Accounts are added once with the CLI into a template database that every world copies, so the
 * scrypt hashing and CLI start-up are paid once per run, not per benchmark.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { runCli, startServer } = require('./proc');

const LIVE_PASSWORD = 'bench-password-1';

/** Creates the temp dir and the template DB (migrated, with `liveCount` provider accounts). */
function createTemplate(liveCount) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amochan-bench-'));
  const file = path.join(dir, 'template.sqlite');
  const databaseUrl = `sqlite:${file}`;
  runCli(['migrate'], { databaseUrl });
  const logins = [];
  for (let i = 0; i < liveCount; i += 1) {
    const login = `live-${i}`;
    runCli(['accounts', 'add', login], { databaseUrl, input: `${LIVE_PASSWORD}\n` });
    logins.push(login);
  }
  return { dir, file, logins };
}

let worldSeq = 0;

/** Copies the template to a new file (the CLI closed it, so there is no -wal to copy). */
function copyDatabase(template, name) {
  worldSeq += 1;
  const file = path.join(template.dir, `${name}-${worldSeq}.sqlite`);
  fs.copyFileSync(template.file, file);
  for (const ext of ['-wal', '-shm']) if (fs.existsSync(template.file + ext)) fs.copyFileSync(template.file + ext, file + ext);
  return file;
}

async function postJson(url, body, headers = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // keep text for the error
  }
  return { status: res.status, json, text };
}

/** POST /widget/v1/connect for each live login; returns [{login, amojoId, scopeId}]. */
async function connectLive(serverUrl, logins) {
  const accounts = [];
  for (const login of logins) {
    const amojoId = crypto.randomUUID();
    const res = await postJson(`${serverUrl}/widget/v1/connect`, { login, password: LIVE_PASSWORD, amojo_id: amojoId });
    if (res.status !== 200 || !res.json || !res.json.scope_id) throw new Error(`connect ${login} → ${res.status} ${res.text}`);
    accounts.push({ login, amojoId, scopeId: res.json.scope_id });
  }
  return accounts;
}

/**
 * Starts the server on a copy of the template (optionally prepared further by `prepare(file)`,
 * e.g. bulk seeding), then connects the live accounts through it.
 */
async function startWorld({ template, name, emulator, sink, prepare, cpuProfDir, env }) {
  const file = copyDatabase(template, name);
  if (prepare) await prepare(file);
  const server = await startServer({ emulator, databaseUrl: `sqlite:${file}`, providerWebhookUrl: sink.url, cpuProfDir, label: name, env });
  try {
    const accounts = await connectLive(server.url, template.logins);
    return { server, accounts, file };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

/** Removes a world's database files once its server stopped (a 1M-message DB is ~1 GB). */
function dropDatabase(file) {
  for (const ext of ['', '-wal', '-shm']) fs.rmSync(file + ext, { force: true });
}

/**
 * The provider's webhook endpoint: answers 200 to every event and counts them. In the bench
 * process, like the emulator; the server's outbox delivers message.created events here.
 */
function startSink() {
  let count = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      count += 1;
      res.writeHead(200, { 'Content-Length': 0 });
      res.end();
    });
  });
  server.keepAliveTimeout = 65000;
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        url: `http://127.0.0.1:${server.address().port}/events`,
        get count() {
          return count;
        },
        close: () =>
          new Promise((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      });
    });
  });
}

module.exports = { createTemplate, startWorld, startSink, dropDatabase, postJson, LIVE_PASSWORD };
