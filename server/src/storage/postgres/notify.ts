import pg from 'pg';
import { OUTBOX_CHANNEL } from './outbox';

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
  let delay = 100;

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
    retryTimer = setTimeout(() => {
      retryTimer = null;
      void connect(true);
    }, delay);
    retryTimer.unref();
    delay = Math.min(delay * 2, 5_000);
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
      delay = 100;
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
