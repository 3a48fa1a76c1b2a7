import { createTestClock } from '@amochan/amojo/testing';
import { createRecoveryGate, LIVE_HOOK_MAX_WAIT_MS, STARTUP_WINDOW_MS, type GateTimer } from '../../src/services/recovery-gate';

/**
 * The recovery gate on its own: which live hooks it holds, for how long, and when it stops
 * holding. Time is moved by hand through the gate's clock and timer options, so the 3 s hold and
 * the 120 s start window are exact and cost no wall time.
 */

/** Lets every promise callback that is ready run (the gate's chains are several hops long). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A clock and timers moved by hand: `advance` moves time on and fires the timers that fell due. */
function manualTimers() {
  const clock = createTestClock(Date.UTC(2026, 0, 1));
  const timers: Array<{ at: number; fire: () => void; live: boolean }> = [];
  const timer: GateTimer = (fire, ms) => {
    const t = { at: clock.now() + ms, fire, live: true };
    timers.push(t);
    return () => {
      t.live = false;
    };
  };
  return {
    timer,
    clock,
    async advance(ms: number): Promise<void> {
      clock.advance(ms);
      for (const t of timers.filter((x) => x.live && x.at <= clock.now())) {
        t.live = false;
        t.fire();
      }
      await settle();
    },
    /** How far ahead each timer still armed is. */
    armed: () => timers.filter((t) => t.live).map((t) => t.at - clock.now()),
  };
}

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Whether a promise has settled yet, read after settle(). */
function track(promise: Promise<unknown>): { done: boolean } {
  const state = { done: false };
  promise.then(
    () => (state.done = true),
    () => (state.done = true),
  );
  return state;
}

describe('recovery gate: holding live hooks while a chat is recovered', () => {
  it('holds a live hook of a chat the reconciler is working on until that work ends, so the recovered message is committed first', async () => {
    const timers = manualTimers();
    const gate = createRecoveryGate({ timer: timers.timer });
    const history = deferred();
    const committed: string[] = [];
    const recovery = gate.recovering('scope', 'chat', async () => {
      await history.promise;
      committed.push('recovered');
    });
    const live = gate.beforeLive('scope', 'chat').then(() => committed.push('live'));
    const held = track(live);
    await settle();
    expect(held.done).toBe(false);
    expect(timers.armed()).toEqual([LIVE_HOOK_MAX_WAIT_MS]);

    history.resolve();
    await Promise.all([recovery, live]);
    expect(committed).toEqual(['recovered', 'live']);
    // The hold's timer is cancelled once the hook is released: nothing left to fire later.
    expect(timers.armed()).toEqual([]);
  });

  it('releases a held live hook after 3 s even if the recovery never ends', async () => {
    expect(LIVE_HOOK_MAX_WAIT_MS).toBe(3_000);
    const timers = manualTimers();
    const gate = createRecoveryGate({ timer: timers.timer });
    void gate.recovering('scope', 'chat', () => new Promise<void>(() => undefined));
    const held = track(gate.beforeLive('scope', 'chat'));

    await timers.advance(LIVE_HOOK_MAX_WAIT_MS - 1);
    expect(held.done).toBe(false);
    await timers.advance(1);
    expect(held.done).toBe(true);

    // Every later hook of that chat gets its own bound, not the first one's leftover.
    const next = track(gate.beforeLive('scope', 'chat'));
    await timers.advance(LIVE_HOOK_MAX_WAIT_MS - 1);
    expect(next.done).toBe(false);
    await timers.advance(1);
    expect(next.done).toBe(true);
  });

  it('releases held live hooks as soon as a recovery fails, and the reconciler still sees the failure', async () => {
    const timers = manualTimers();
    const gate = createRecoveryGate({ timer: timers.timer });
    const history = deferred();
    const recovery = gate.recovering('scope', 'chat', () => history.promise);
    const live = gate.beforeLive('scope', 'chat');
    history.reject(new Error('amojo history unreachable'));
    await expect(recovery).rejects.toThrow('amojo history unreachable');
    await expect(live).resolves.toBeUndefined();
    expect(timers.armed()).toEqual([]);
  });

  it('never holds a live hook of a chat nobody is recovering, in this scope or another', async () => {
    const timers = manualTimers();
    const gate = createRecoveryGate({ timer: timers.timer });
    void gate.recovering('scope', 'busy', () => new Promise<void>(() => undefined));
    const otherChat = track(gate.beforeLive('scope', 'idle'));
    // The same chat id under another scope is another account's chat.
    const otherScope = track(gate.beforeLive('other-scope', 'busy'));
    await settle();
    expect(otherChat.done).toBe(true);
    expect(otherScope.done).toBe(true);
    expect(timers.armed()).toEqual([]);
  });

  it("runs the reconciler's work on one chat one piece at a time, and holds live hooks until the last is done", async () => {
    const gate = createRecoveryGate({ timer: manualTimers().timer });
    const first = deferred();
    const second = deferred();
    const log: string[] = [];
    const a = gate.recovering('scope', 'chat', async () => {
      log.push('first starts');
      await first.promise;
      log.push('first ends');
    });
    const b = gate.recovering('scope', 'chat', async () => {
      log.push('second starts');
      await second.promise;
      log.push('second ends');
    });
    const live = gate.beforeLive('scope', 'chat').then(() => log.push('live'));
    await settle();
    expect(log).toEqual(['first starts']);
    first.resolve();
    await a;
    await settle();
    expect(log).toEqual(['first starts', 'first ends', 'second starts']);
    second.resolve();
    await Promise.all([b, live]);
    expect(log).toEqual(['first starts', 'first ends', 'second starts', 'second ends', 'live']);
  });
});

describe('recovery gate: the start window', () => {
  function started() {
    const timers = manualTimers();
    const gate = createRecoveryGate({ timer: timers.timer, clock: timers.clock });
    const asked: string[] = [];
    const pending = new Map<string, ReturnType<typeof deferred<void>>>();
    gate.attach((scopeId, chatId) => {
      asked.push(`${scopeId}/${chatId}`);
      const d = deferred();
      pending.set(`${scopeId}/${chatId}`, d);
      return d.promise;
    });
    return { timers, gate, asked, finish: (key: string) => pending.get(key)!.resolve() };
  }

  it('has the first live hook of a chat recover that chat first, and only once', async () => {
    const { gate, asked, finish } = started();
    const committed: string[] = [];
    const first = gate.beforeLive('scope', 'chat').then(() => committed.push('live 1'));
    await settle();
    expect(asked).toEqual(['scope/chat']);
    expect(committed).toEqual([]);
    committed.push('recovered');
    finish('scope/chat');
    await first;
    expect(committed).toEqual(['recovered', 'live 1']);

    // Recovered once: the chat's next hooks go straight through.
    const second = track(gate.beforeLive('scope', 'chat'));
    await settle();
    expect(second.done).toBe(true);
    expect(asked).toEqual(['scope/chat']);
  });

  it('reads a chat again on its first live hook even if a pass just read it: the pass may have read it before hooks reached us', async () => {
    const { gate, asked, finish } = started();
    // The pass at start reads the chat as soon as we listen; a reply written right after that
    // whose hook could not reach us yet (a balancer still checking us) is not in what it read.
    await gate.recovering('scope', 'chat', async () => undefined);
    const live = track(gate.beforeLive('scope', 'chat'));
    await settle();
    expect(asked).toEqual(['scope/chat']);
    expect(live.done).toBe(false);
    finish('scope/chat');
    await settle();
    expect(live.done).toBe(true);
  });

  it('has hooks of a chat arriving while its first one is held wait for the same read, not start another', async () => {
    const { gate, asked, finish } = started();
    const first = track(gate.beforeLive('scope', 'chat'));
    const second = track(gate.beforeLive('scope', 'chat'));
    await settle();
    expect(asked).toEqual(['scope/chat']);
    expect([first.done, second.done]).toEqual([false, false]);
    finish('scope/chat');
    await settle();
    expect([first.done, second.done]).toEqual([true, true]);
  });

  it('ends when a pass has covered what was written up to the first live hook, not before', async () => {
    const { timers, gate, asked, finish } = started();
    // A pass over before any hook reached us proves nothing about the replies written since.
    gate.passDone(timers.clock.now());
    await timers.advance(1_000);
    const firstLiveAt = timers.clock.now();
    const a = gate.beforeLive('scope', 'a');
    await settle();
    expect(asked).toEqual(['scope/a']);
    finish('scope/a');
    await a;

    // A periodic pass covers only up to its start minus its grace: short of the first hook, the window stays.
    await timers.advance(5_000);
    gate.passDone(firstLiveAt - 1);
    const b = gate.beforeLive('scope', 'b');
    await settle();
    expect(asked).toEqual(['scope/a', 'scope/b']);
    finish('scope/b');
    await b;

    gate.passDone(firstLiveAt);
    const c = track(gate.beforeLive('scope', 'c'));
    await settle();
    expect(c.done).toBe(true);
    expect(asked).toEqual(['scope/a', 'scope/b']);
  });

  it('ends after 120 s: live hooks then neither trigger a recovery nor wait', async () => {
    expect(STARTUP_WINDOW_MS).toBe(120_000);
    const { timers, gate, asked, finish } = started();
    await timers.advance(STARTUP_WINDOW_MS - 1);
    const early = track(gate.beforeLive('scope', 'early'));
    await settle();
    expect(asked).toEqual(['scope/early']);
    expect(early.done).toBe(false);
    finish('scope/early');
    await settle();
    expect(early.done).toBe(true);

    await timers.advance(1);
    const late = track(gate.beforeLive('scope', 'late'));
    await settle();
    expect(late.done).toBe(true);
    expect(asked).toEqual(['scope/early']);
  });

  it('ends at once on startupDone; a recovery the reconciler runs later still holds its chat', async () => {
    const { gate, asked } = started();
    gate.startupDone();
    const live = track(gate.beforeLive('scope', 'chat'));
    await settle();
    expect(live.done).toBe(true);
    expect(asked).toEqual([]);

    // A periodic pass working on a chat: its live hooks wait for it, window or not.
    const history = deferred();
    const recovery = gate.recovering('scope', 'chat', () => history.promise);
    const held = track(gate.beforeLive('scope', 'chat'));
    await settle();
    expect(held.done).toBe(false);
    history.resolve();
    await recovery;
    await settle();
    expect(held.done).toBe(true);
  });
});
