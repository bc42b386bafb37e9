/**
 * Event time in milliseconds since the epoch, read from Falco's `time` field. The windows run on this
 * clock and never on the wall clock, so replaying last week's events for training gives exactly the
 * values live scoring gave them.
 *
 * Hand-written rather than Date.parse: Falco writes nine fraction digits and falcosidekick trims
 * trailing zeros; engines differ on how many fraction digits Date.parse accepts, and this runs once
 * per event on the hot path, where it must not allocate.
 */

const ZERO = 48;

/** The value of `count` decimal digits at `from`, or -1 when any of them is not a digit. */
function digits(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const d = text.charCodeAt(i) - ZERO;
    if (!(d >= 0 && d <= 9)) return -1;
    value = value * 10 + d;
  }
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return leap ? 29 : 28;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/**
 * `YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|±HH:MM)` to whole milliseconds (the fraction is truncated, not
 * rounded, so an event never moves into the next millisecond). NaN when the text has another shape.
 */
export function parseEventTime(text: string): number {
  if (text.length < 20 || text.charCodeAt(10) !== 84 /* T */) return NaN;
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return NaN; // "-"
  if (text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return NaN; // ":"
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return NaN;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) return NaN;

  let i = 19;
  let millis = 0;
  if (text.charCodeAt(i) === 46 /* . */) {
    const start = ++i;
    while (i < text.length && i - start < 9 && digits(text, i, 1) >= 0) i++;
    const count = i - start;
    if (count === 0) return NaN;
    // Only the first three digits matter once the value is truncated to milliseconds.
    const taken = Math.min(count, 3);
    millis = digits(text, start, taken) * (taken === 1 ? 100 : taken === 2 ? 10 : 1);
  }

  let offsetMs = 0;
  const zone = text.charCodeAt(i);
  if ((zone === 43 /* + */ || zone === 45) /* - */ && i + 6 === text.length) {
    const oh = digits(text, i + 1, 2);
    const om = digits(text, i + 4, 2);
    if (oh < 0 || om < 0 || text.charCodeAt(i + 3) !== 58 /* : */) return NaN;
    offsetMs = (zone === 43 ? 1 : -1) * (oh * 60 + om) * 60_000;
  } else if (zone !== 90 /* Z */ || i + 1 !== text.length) {
    return NaN;
  }

  const days = daysFromCivil(year, month, day);
  return days * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + millis - offsetMs;
}
