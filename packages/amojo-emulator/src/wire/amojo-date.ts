/*
 * The Date header exactly as amojo documents it: RFC 2822 in UTC with a numeric `+0000` zone, e.g.
 * `Wed, 15 Dec 2021 23:12:55 +0000`. RFC 2822 allows more (GMT, other offsets, one-digit days, no
 * weekday); the docs show only this form, so the emulator accepts only this form, with a weekday
 * that matches the date.
 */

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const FORMAT = /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) \+0000$/;

/** Milliseconds since the epoch, or undefined when the value is not the documented form. */
export function parseDocumentedDate(value: string): number | undefined {
  const m = FORMAT.exec(value);
  if (!m) return undefined;
  const [, day, dd, mon, yyyy, hh, mi, ss] = m;
  const month = MONTHS.indexOf(mon!);
  const ms = Date.UTC(Number(yyyy), month, Number(dd), Number(hh), Number(mi), Number(ss));
  const d = new Date(ms);
  // Date.UTC rolls 31 Feb over into March and 25:00 into the next day; amojo would not.
  const rolledOver = d.getUTCDate() !== Number(dd) || d.getUTCMonth() !== month || d.getUTCHours() !== Number(hh);
  if (rolledOver || Number(mi) > 59 || Number(ss) > 59) return undefined;
  if (DAYS[d.getUTCDay()] !== day) return undefined;
  return ms;
}
