/**
 * The scheduling shared by background jobs (reconciler, retention): passes never overlap, the next
 * one is timed from the end of the previous (a slow pass stretches the period instead of piling up),
 * timers never hold the process open, and a shutdown waits for a running pass only so long.
 */

export interface PeriodicTaskOptions<T> {
  pass: () => Promise<T>;
  /** A pass rejected: log it; the value returned stands in for its result (a pass never throws). */
  onError: (err: unknown) => T;
  /** Counts passes by result (a Prometheus counter). */
  runs?: { inc(labels: { result: 'ok' | 'error' }): void };
  /** Before the first pass after start(); 0 runs it at once. */
  firstDelayMs: number;
  /** Between the end of a pass and the next; ≤ 0 = only the first pass. */
  intervalMs: number;
  /** How long stop() waits for a running pass before giving up on it. */
  stopWaitMs: number;
}

export interface PeriodicTask<T> {
  /** A pass now; while one is running, that one's result instead of a second pass. Never rejects. */
  runOnce(): Promise<T>;
  start(): void;
  /** Stops scheduling; resolves when the running pass ends, or after stopWaitMs. */
  stop(): Promise<void>;
  /** True from stop() until the next start(): long passes check it to end early. */
  readonly stopping: boolean;
}

export function createPeriodicTask<T>(options: PeriodicTaskOptions<T>): PeriodicTask<T> {
  let running: Promise<T> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let stopping = false;

  function runOnce(): Promise<T> {
    running ??= options
      .pass()
      .then(
        (result) => {
          options.runs?.inc({ result: 'ok' });
          return result;
        },
        (err: unknown) => {
          options.runs?.inc({ result: 'error' });
          return options.onError(err);
        },
      )
      .finally(() => {
        running = null;
      });
    return running;
  }

  function schedule(delayMs: number): void {
    if (stopping) return;
    timer = setTimeout(() => {
      timer = null;
      void runOnce().then(next);
    }, delayMs);
    timer.unref?.();
  }

  function next(): void {
    if (options.intervalMs > 0) schedule(options.intervalMs);
  }

  return {
    runOnce,
    start() {
      stopping = false;
      if (timer) return;
      if (options.firstDelayMs > 0) schedule(options.firstDelayMs);
      else void runOnce().then(next);
    },
    async stop() {
      stopping = true;
      if (timer) clearTimeout(timer);
      timer = null;
      if (!running) return;
      let giveUp: NodeJS.Timeout | undefined;
      await Promise.race([running, new Promise<void>((resolve) => (giveUp = setTimeout(resolve, options.stopWaitMs)))]);
      clearTimeout(giveUp);
    },
    get stopping() {
      return stopping;
    },
  };
}
