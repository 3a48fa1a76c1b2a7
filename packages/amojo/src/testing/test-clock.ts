/*
 * A clock a test moves by hand. Its two readers fit both sides of amochan: `date` is the SDK's
 * `clock: () => Date`, `now` the emulator's `clock: () => number`. Both are plain functions, safe
 * to pass around detached from the object.
 */

export interface TestClock {
  /** Milliseconds since the epoch. */
  now: () => number;
  /** The same instant as a Date. */
  date: () => Date;
  /** Whole seconds, as amojo's `time` and `timestamp` fields carry them. */
  seconds: () => number;
  /** Moves the clock forward (or back, with a negative value). */
  advance: (ms: number) => void;
  set: (at: number | Date | string) => void;
}

/** Starts at `start` (default 2024-05-01T10:00:00Z, a fixed instant so outputs are repeatable). */
export function createTestClock(start: number | Date | string = Date.UTC(2024, 4, 1, 10, 0, 0)): TestClock {
  let current = toMs(start);
  return {
    now: () => current,
    date: () => new Date(current),
    seconds: () => Math.floor(current / 1000),
    advance: (ms) => {
      if (!Number.isFinite(ms)) throw new RangeError('advance: ms must be a finite number');
      current += ms;
    },
    set: (at) => {
      current = toMs(at);
    },
  };
}

function toMs(at: number | Date | string): number {
  const ms = typeof at === 'number' ? at : typeof at === 'string' ? Date.parse(at) : at.getTime();
  if (!Number.isFinite(ms)) throw new RangeError(`not a time: ${String(at)}`);
  return ms;
}
