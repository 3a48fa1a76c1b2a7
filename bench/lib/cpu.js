'use strict';
/**
 * Where a measurement's CPU went, per message: each server process, the local PostgreSQL's
 * processes, and how often the servers were switched out. Read from /proc (Linux; null elsewhere,
 * and PostgreSQL's share is null when it runs on another machine or as another user we cannot see).
 * This is what explains a throughput ratio that counting statements does not: two instances on one
 * 2-core box run the same statements and system calls per message as one, yet cost more CPU.
 */
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');

const TICKS_PER_S = 100; // USER_HZ on every Linux we run on

function cpuMs(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S;
  } catch {
    return null;
  }
}

function contextSwitches(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const n = (k) => Number((status.match(new RegExp(`^${k}:\\s+(\\d+)`, 'm')) || [])[1]);
    return n('voluntary_ctxt_switches') + n('nonvoluntary_ctxt_switches');
  } catch {
    return null;
  }
}

function postgresPids() {
  try {
    return execFileSync('pgrep', ['-x', 'postgres'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

const sum = (values) => (values.some((v) => v === null) ? null : values.reduce((a, b) => a + b, 0));

/** A reading now, for the given server pids; diff two with perMessage(). Backends that exit meanwhile are not counted. */
function cpuReading(serverPids) {
  const pg = postgresPids()
    .map(cpuMs)
    .filter((v) => v !== null);
  return {
    server: sum(serverPids.map(cpuMs)),
    postgres: pg.length > 0 ? pg.reduce((a, b) => a + b, 0) : null,
    switches: sum(serverPids.map(contextSwitches)),
  };
}

/** µs of CPU per message of the servers and of PostgreSQL, and the servers' context switches per message. */
function perMessage(before, after, messages) {
  const per = (k, scale) => (before[k] === null || after[k] === null ? null : Math.round(((after[k] - before[k]) * scale * 100) / messages) / 100);
  return { server_cpu_us: per('server', 1000), postgres_cpu_us: per('postgres', 1000), server_switches: per('switches', 1) };
}

module.exports = { cpuReading, perMessage };
