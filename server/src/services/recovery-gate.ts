import { systemClock, type Clock } from '../lib/clock';

/**
 * Keeps a conversation's manager messages in amojo's order when some come from chat history. The
 * outbox delivers a conversation's events in commit order, so a message the reconciler recovers
 * must be committed before any live hook of the same chat written after it. After a crash or a
 * restart, hooks of messages written while we were down are gone, and new ones start arriving once
 * amojo reaches us again: at once when it calls this process directly, or only once a load
 * balancer or readiness probe lets it through — possibly after the reconciler's pass at start has
 * read a chat's history, so hooks can still be lost after that pass. So:
 * - during the start window, the first live hook of each chat triggers that chat's recovery (its
 *   history read up to now) and is committed after it (the recovered messages sorted by amojo's
 *   timestamps, the live one in its place after them — or, if history already had it, as a
 *   duplicate). A chat the pass read does not count: the pass may have read it before hooks reached
 *   us. Later hooks of a recovered chat go straight through;
 * - the window ends once a reconciler pass has covered everything written up to the first live hook
 *   this process received (hooks reach us from then on, and what was lost before it is recovered),
 *   or after STARTUP_WINDOW_MS at the latest;
 * - any time the reconciler is working on a chat, live hooks of that chat wait for it.
 * The wait is bounded (amojo gives a hook 5 s): past it the hook is committed anyway, and at worst
 * that conversation sees one late message, as before.
 *
 * All of this is per process: on PostgreSQL with several instances, a pass on the leader holds only
 * the hooks that reach the leader (docs/operations.md, "PostgreSQL and several instances").
 */
export interface RecoveryGate {
  /** Awaited by a live message or reaction hook of this chat before it is committed. */
  beforeLive(scopeId: string, chatId: string): Promise<void>;
  /** The reconciler's work on one chat; live hooks of that chat wait for it. */
  recovering<T>(scopeId: string, chatId: string, work: () => Promise<T>): Promise<T>;
  /** The reconciler says how to recover one chat now; this opens the start window. */
  attach(recoverChat: (scopeId: string, chatId: string) => Promise<void>): void;
  /**
   * A reconciler pass recovered, in every chat it reads, what was written up to `coveredUpTo`
   * (its start minus its grace). Ends the start window if that reaches the first live hook.
   */
  passDone(coveredUpTo: number): void;
  /** Ends the start window now (the reconciler stops): live hooks no longer trigger recoveries. */
  startupDone(): void;
}

export const LIVE_HOOK_MAX_WAIT_MS = 3_000;
/**
 * The start window ends after this long at the latest: an instance that does not lead the
 * reconciler job never runs a pass, and must not keep recovering every new chat inline (nor
 * remember them) for its whole life.
 */
export const STARTUP_WINDOW_MS = 120_000;

/** Runs `fire` after `ms` unless the returned cancel is called first. */
export type GateTimer = (fire: () => void, ms: number) => () => void;

/** Real timers that never hold the process open (a shutdown must not wait for a hold or the window). */
const unrefTimer: GateTimer = (fire, ms) => {
  const timer = setTimeout(fire, ms);
  timer.unref();
  return () => clearTimeout(timer);
};

export interface RecoveryGateOptions {
  maxWaitMs?: number;
  startupWindowMs?: number;
  /** Both limits are timed with it; tests pass one they fire by hand. */
  timer?: GateTimer;
  /** The reconciler's clock: the first live hook's time is compared with what its passes covered. */
  clock?: Clock;
}

export function createRecoveryGate(options: RecoveryGateOptions = {}): RecoveryGate {
  const maxWaitMs = options.maxWaitMs ?? LIVE_HOOK_MAX_WAIT_MS;
  const startupWindowMs = options.startupWindowMs ?? STARTUP_WINDOW_MS;
  const timer = options.timer ?? unrefTimer;
  const clock = options.clock ?? systemClock;
  const running = new Map<string, Promise<unknown>>();
  /** Chats recovered (or being recovered) on their first live hook; only kept during the start window. */
  const recovered = new Set<string>();
  let recoverChat: ((scopeId: string, chatId: string) => Promise<void>) | null = null;
  let startupPending = false;
  /** When the first live hook reached us in the start window: hooks flow from then on. */
  let firstLiveAt: number | null = null;
  const keyOf = (scopeId: string, chatId: string) => `${scopeId}\u0000${chatId}`;

  const gate: RecoveryGate = {
    async beforeLive(scopeId, chatId) {
      const key = keyOf(scopeId, chatId);
      if (startupPending) firstLiveAt ??= clock.now();
      let pending = running.get(key);
      if (startupPending && recoverChat && !recovered.has(key)) {
        const recover = recoverChat;
        // Read afresh even if the pass read this chat: it may have done so before hooks reached
        // us. Once per chat: hooks of it arriving meanwhile wait for this read, and a failed one
        // is not retried on every hook (each has waited for it; the periodic passes retry).
        recovered.add(key);
        pending = gate.recovering(scopeId, chatId, () => recover(scopeId, chatId));
      }
      if (!pending) return;
      let cancel: (() => void) | undefined;
      await Promise.race([
        pending.catch(() => undefined),
        new Promise<void>((resolve) => {
          cancel = timer(resolve, maxWaitMs);
        }),
      ]);
      cancel?.();
    },
    recovering(scopeId, chatId, work) {
      // Behind whatever already runs on this chat (pass work and inline recoveries alike).
      const key = keyOf(scopeId, chatId);
      const previous = running.get(key);
      const current = (previous ? previous.catch(() => undefined) : Promise.resolve()).then(work);
      running.set(key, current);
      const settle = () => {
        if (running.get(key) === current) running.delete(key);
      };
      current.then(settle, settle);
      return current;
    },
    attach(fn) {
      recoverChat = fn;
      startupPending = true;
      timer(() => gate.startupDone(), startupWindowMs);
    },
    passDone(coveredUpTo) {
      if (startupPending && firstLiveAt !== null && coveredUpTo >= firstLiveAt) gate.startupDone();
    },
    startupDone() {
      startupPending = false;
      recovered.clear();
    },
  };
  return gate;
}
