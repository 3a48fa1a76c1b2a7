import type { Logger } from './logger';

/**
 * At most one log line per interval for a condition that repeats (a full disk fails every write
 * and every poll): the first occurrence is logged at once, the next ones are counted and reported
 * with the following line (`suppressed`). Logs may share the full disk, and a line every 200 ms
 * says nothing the first one did not.
 */
export type LogLevel = 'error' | 'warn' | 'info';
export type ThrottledLog = (level: LogLevel, fields: Record<string, unknown>, message: string) => void;

export function createLogThrottle(logger: Logger, intervalMs: number, now: () => number = Date.now): ThrottledLog {
  let last = -Infinity;
  let suppressed = 0;
  return (level, fields, message) => {
    const t = now();
    if (t - last < intervalMs) {
      suppressed++;
      return;
    }
    last = t;
    logger[level]({ ...fields, ...(suppressed > 0 ? { suppressed } : {}) }, message);
    suppressed = 0;
  };
}
