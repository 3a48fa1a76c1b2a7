/**
 * Serialises async work per key inside this process (e.g. two concurrent connects for one amoCRM
 * account must not interleave their amojo call and their store writes). Idle keys are forgotten, so
 * memory stays proportional to work in flight. Across instances use the store's shared locks (storage/shared-state-types.ts).
 */
export interface KeyedMutex {
  run<T>(key: string, work: () => Promise<T>): Promise<T>;
  /** Keys with work queued or running (for tests and diagnostics). */
  size(): number;
}

export function createKeyedMutex(): KeyedMutex {
  const tails = new Map<string, Promise<void>>();
  return {
    async run(key, work) {
      const previous = tails.get(key) ?? Promise.resolve();
      let release!: () => void;
      const current = new Promise<void>((resolve) => (release = resolve));
      const tail = previous.then(() => current);
      tails.set(key, tail);
      await previous;
      try {
        return await work();
      } finally {
        release();
        if (tails.get(key) === tail) tails.delete(key);
      }
    },
    size: () => tails.size,
  };
}
