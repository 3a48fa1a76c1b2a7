/**
 * Keeps a conversation's manager messages in amojo's order when some come from chat history. The
 * outbox delivers a conversation's events in commit order, so a message the reconciler recovers
 * must be committed before any live hook of the same chat written after it. After a crash, hooks
 * of messages written while we were down are gone, and new ones start arriving the moment we
 * listen, before the reconciler's pass at start has reached their chat. So:
 * - until the pass at start is done, a live hook of a chat not recovered yet triggers that chat's
 *   recovery at once and is committed after it (the recovered messages sorted by amojo's
 *   timestamps, the live one in its place after them — or, if history already had it, as a duplicate);
 * - any time the reconciler is working on a chat, live hooks of that chat wait for it.
 * The wait is bounded (amojo gives a hook 5 s): past it the hook is committed anyway, and at worst
 * that conversation sees one late message, as before.
 */
export interface RecoveryGate {
  /** Awaited by a live message or reaction hook of this chat before it is committed. */
  beforeLive(scopeId: string, chatId: string): Promise<void>;
  /** The reconciler's work on one chat; live hooks of that chat wait for it. */
  recovering<T>(scopeId: string, chatId: string, work: () => Promise<T>): Promise<T>;
  /** The reconciler says how to recover one chat now; from here until startupDone, chats are recovered on first use. */
  attach(recoverChat: (scopeId: string, chatId: string) => Promise<void>): void;
  /** The pass at start is over: live hooks no longer trigger recoveries. */
  startupDone(): void;
}

export const LIVE_HOOK_MAX_WAIT_MS = 3_000;
/**
 * The start window ends with the reconciler's first pass, or after this long at the latest: an
 * instance that does not lead the reconciler job never runs a pass, and must not keep recovering
 * every new chat inline (nor remember them) for its whole life.
 */
export const STARTUP_WINDOW_MS = 120_000;

export function createRecoveryGate(options: { maxWaitMs?: number; startupWindowMs?: number } = {}): RecoveryGate {
  const maxWaitMs = options.maxWaitMs ?? LIVE_HOOK_MAX_WAIT_MS;
  const startupWindowMs = options.startupWindowMs ?? STARTUP_WINDOW_MS;
  const running = new Map<string, Promise<unknown>>();
  /** Chats recovered since start (only kept while the pass at start runs). */
  const recovered = new Set<string>();
  let recoverChat: ((scopeId: string, chatId: string) => Promise<void>) | null = null;
  let startupPending = false;
  const keyOf = (scopeId: string, chatId: string) => `${scopeId}\u0000${chatId}`;

  const gate: RecoveryGate = {
    async beforeLive(scopeId, chatId) {
      const key = keyOf(scopeId, chatId);
      let pending = running.get(key);
      if (!pending && startupPending && recoverChat && !recovered.has(key)) {
        const recover = recoverChat;
        pending = gate.recovering(scopeId, chatId, () => recover(scopeId, chatId));
      }
      if (!pending) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        pending.catch(() => undefined),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, maxWaitMs);
          timer.unref();
        }),
      ]);
      clearTimeout(timer);
    },
    recovering(scopeId, chatId, work) {
      const key = keyOf(scopeId, chatId);
      const previous = running.get(key);
      const current = (previous ? previous.catch(() => undefined) : Promise.resolve()).then(work);
      running.set(key, current);
      const settle = () => {
        if (running.get(key) === current) running.delete(key);
        if (startupPending) recovered.add(key);
      };
      current.then(settle, settle);
      return current;
    },
    attach(fn) {
      recoverChat = fn;
      startupPending = true;
      setTimeout(() => gate.startupDone(), startupWindowMs).unref();
    },
    startupDone() {
      startupPending = false;
      recovered.clear();
    },
  };
  return gate;
}
