'use strict';
/**
 * The amojo emulator runs inside the bench process, so "the emulator received msgid X" is an
 * in-process event with a monotonic timestamp: end-to-end latency needs no clock sync and no
 * polling. Only successful new_message calls count (a refused one will be retried by the server).
 */
const { performance } = require('node:perf_hooks');
const { startEmulator } = require('@amochan/amojo-emulator');

async function startBenchEmulator() {
  const emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
  // One listener, dispatching to whichever tracker is active (one measurement at a time).
  let active = null;
  emulator.control.on('request', (event) => {
    if (active === null || (event.endpoint !== 'message' && event.endpoint !== 'new_message') || event.status !== 200) return;
    // A regex, not JSON.parse: the bench shares the CPU with what it measures.
    const m = active.pattern.exec(event.requestBody);
    if (m) active.received(m[1], performance.now());
  });
  return {
    emulator,
    url: emulator.url,
    channelId: emulator.channelId,
    secret: emulator.secret,
    control: emulator.control,
    /** Starts tracking; returns a tracker for msgids with this prefix. */
    track(prefix) {
      active = createTracker(prefix);
      return active;
    },
    untrack() {
      active = null;
    },
    close: () => emulator.close(),
  };
}

/**
 * sentAt(msgid) records when the POST left; received() pairs it with arrival. waitAll resolves
 * when `expected` distinct msgids arrived or the deadline passed (bounded, never hangs).
 */
function createTracker(prefix) {
  const sent = new Map();
  const latencies = [];
  const seen = new Set();
  let firstSent = null;
  let lastReceived = null;
  let expected = Infinity;
  let done = null;
  return {
    // Prefixes are [a-z0-9-] only, so they need no escaping.
    // Matches the provider msgid the fixture writes into the text (lib/fixtures.js), not amojo's
    // msgid: the server sends amojo one derived from (account, msgid).
    pattern: new RegExp(`"text":"Hello, this is message (${prefix}-\\d+) `),
    sentAt(msgid, t) {
      if (firstSent === null) firstSent = t;
      sent.set(msgid, t);
    },
    received(msgid, t) {
      if (seen.has(msgid)) return;
      seen.add(msgid);
      lastReceived = t;
      const s = sent.get(msgid);
      if (s !== undefined) latencies.push(t - s);
      if (seen.size >= expected && done) done();
    },
    get count() {
      return seen.size;
    },
    get firstSent() {
      return firstSent;
    },
    get lastReceived() {
      return lastReceived;
    },
    latencies: () => latencies,
    waitAll(n, timeoutMs) {
      expected = n;
      if (seen.size >= n) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          done = null;
          resolve(false);
        }, timeoutMs);
        done = () => {
          clearTimeout(timer);
          done = null;
          resolve(true);
        };
      });
    },
  };
}

module.exports = { startBenchEmulator };
