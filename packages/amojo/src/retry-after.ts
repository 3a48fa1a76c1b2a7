/*
 * Retry-After (RFC 9110 §10.2.3): delta-seconds or an HTTP-date. We also accept fractional seconds
 * ("1.5"), which some proxies send, because rounding them down to 0 would retry too early.
 */

// An HTTP-date always names a weekday and a month; requiring letters keeps Date.parse from reading
// "-1" or "12" as a year.
const HTTP_DATE = /^[A-Za-z]{3},? /;

/**
 * Milliseconds to wait from `nowMs`, or undefined when the header is absent, negative or not one of
 * the two forms. A date in the past means "now" (0).
 */
export function parseRetryAfter(headerValue: string | null | undefined, nowMs: number): number | undefined {
  if (typeof headerValue !== 'string') return undefined;
  const value = headerValue.trim();
  if (value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) {
    const ms = Math.round(Number(value) * 1000);
    return Number.isFinite(ms) ? ms : undefined;
  }
  if (!HTTP_DATE.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
