import { computeBackoff } from '@amochan/amojo';
import pg from 'pg';
import { OUTBOX_CHANNEL } from './outbox';

/**
 * Reconnect delays: the SDK's exponential backoff, 100 ms doubling up to 5 s. Half of each delay is
 * random, so the instances that all lost their LISTEN connection when the database restarted do not
 * reconnect as one wave.
 */
const RECONNECT_BACKOFF = { baseMs: 100, maxMs: 5_000, jitter: 0.5 } as const;

export interface OutboxWakeListener {
  /** Registers cb, called when another store (instance, CLI) commits due work. */
  add(cb: () => void): () => void;
  close(): Promise<void>;
}

/**
 * One dedicated LISTEN connection per store (LISTEN is per session, so it cannot use the pool).
 * It connects on the first subscriber and reconnects with backoff after the server goes away;
 * after a reconnect it wakes everyone once, since notifications sent meanwhile were lost.
 * Notifications carrying `ownToken` (this store's own, see createOutboxNotifier) are ignored.
 */
export function createOutboxWakeListener(connectionString: string, ownToken: string, onError?: (err: Error) => void): OutboxWakeListener {
  const callbacks = new Set<() => void>();
  let client: pg.Client | null = null;
  let closed = false;
  let retryTimer: NodeJS.Timeout | null = null;
  /** Failed connects since the last good one (the backoff's attempt number). */
  let failures = 0;

  const wakeAll = () => {
    for (const cb of callbacks) {
      try {
        cb();
      } catch (err) {
        onError?.(err as Error);
      }
    }
  };
  const scheduleReconnect = () => {
    if (closed || retryTimer || callbacks.size === 0) return;
    failures += 1;
    retryTimer = setTimeout(
      () => {
        retryTimer = null;
        void connect(true);
      },
      computeBackoff({ attempt: failures, ...RECONNECT_BACKOFF }),
    );
    retryTimer.unref();
  };
  const connect = async (reconnect: boolean) => {
    const c = new pg.Client({ connectionString, keepAlive: true });
    client = c;
    c.on('notification', (n) => {
      if (n.payload !== ownToken) wakeAll();
    });
    c.on('error', (err) => {
      onError?.(err);
      if (client === c) client = null;
      c.end().catch(() => undefined);
      scheduleReconnect();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${OUTBOX_CHANNEL}`);
      failures = 0;
      if (closed) await c.end();
      else if (reconnect) wakeAll();
    } catch (err) {
      onError?.(err as Error);
      if (client === c) client = null;
      c.end().catch(() => undefined);
      scheduleReconnect();
    }
  };

  return {
    add(cb) {
      callbacks.add(cb);
      if (!client && !retryTimer && !closed) void connect(false);
      return () => void callbacks.delete(cb);
    },
    async close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      const c = client;
      client = null;
      if (c) await c.end().catch(() => undefined);
    },
  };
}
