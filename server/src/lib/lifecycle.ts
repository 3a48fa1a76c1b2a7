/**
 * Shutdown hooks. Components that hold resources (the outbox worker, the embedded emulator, timers)
 * register a stop function; main.ts runs them in reverse registration order on SIGTERM/SIGINT, so
 * whatever started last (and may depend on earlier things) stops first.
 */
export type ShutdownHook = () => Promise<void> | void;

export interface Lifecycle {
  onShutdown(name: string, hook: ShutdownHook): void;
  /** Runs every hook once; a failing hook is reported and does not stop the others. */
  shutdown(report?: (name: string, err: unknown) => void): Promise<void>;
}

export function createLifecycle(): Lifecycle {
  const hooks: Array<{ name: string; hook: ShutdownHook }> = [];
  let running: Promise<void> | null = null;
  return {
    onShutdown(name, hook) {
      hooks.push({ name, hook });
    },
    shutdown(report) {
      running ??= (async () => {
        for (const { name, hook } of [...hooks].reverse()) {
          try {
            await hook();
          } catch (err) {
            report?.(name, err);
          }
        }
      })();
      return running;
    },
  };
}
