/** Polling helpers for tests that wait on another process, a server or a worker. */

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

type Check<T> = () => T | undefined | null | false | Promise<T | undefined | null | false>;

/** Polls `check` every `intervalMs` until it returns a truthy value, which it returns; throws after `timeoutMs`. */
export async function waitFor<T>(check: Check<T>, what = 'condition', timeoutMs = 5000, intervalMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}
