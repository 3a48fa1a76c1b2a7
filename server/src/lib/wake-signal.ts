/**
 * A tiny pub/sub used to wake the outbox worker right after a commit that enqueued work, instead of
 * waiting for its next poll. Producers (services, routes) only know `wake()`; the worker subscribes.
 * It lives in AppDeps so neither side imports the other.
 */
export interface WakeSignal {
  wake(): void;
  /** Returns an unsubscribe function. */
  subscribe(listener: () => void): () => void;
}

export function createWakeSignal(): WakeSignal {
  const listeners = new Set<() => void>();
  return {
    wake() {
      for (const listener of listeners) listener();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
