// Date condition operators (IAM User Guide, "IAM JSON policy elements: Condition operators", Date condition
// operators): values are "W3C implementations of the ISO 8601 date formats" (W3C Note "Date and Time Formats":
// YYYY, YYYY-MM, YYYY-MM-DD, then Thh:mmTZD, Thh:mm:ssTZD or Thh:mm:ss.sTZD, TZD being Z, +hh:mm or -hh:mm), or
// epoch seconds (aws:EpochTime, "AWS global condition context keys"). A value in neither form is one the
// evaluator cannot read as IAM does: its comparisons are unknown, never a silent non-match.
import { comparisons } from './compare.js';

// A year alone is left to parseDate (it is epoch seconds too), so the month is required here.
const W3C = /^(\d{4})-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2}))?)?$/;

/** A W3C date-time as milliseconds since the epoch (a partial date: its first instant, UTC); undefined when it is none. */
function parseW3c(t: string): number | undefined {
  const m = W3C.exec(t);
  if (!m) return undefined;
  const [, y, mo, d = '01', h, mi, s, frac, tzd = 'Z'] = m;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map((part) => Number(part ?? 0));
  // Milliseconds: the fraction's first three digits (more is finer than a date IAM compares, and a double would
  // round .99999999999999999 up to the next second).
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, Number((frac ?? '').slice(0, 3).padEnd(3, '0')));
  const at = new Date(ms);
  // Reject what Date.UTC rolls over: a month 00 or 13 lands in another year, February 30 or an hour 24 on
  // another day of the month; a year before 100 it reads as 19xx. A minute or second 60 stays within the day.
  if (at.getUTCFullYear() !== year || at.getUTCDate() !== day) return undefined;
  if (minute > 59 || second > 59) return undefined;
  if (tzd === 'Z') return ms;
  const [oh, om] = tzd.slice(1).split(':').map(Number);
  if (oh > 23 || om > 59) return undefined;
  return ms - (tzd[0] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
}

/**
 * Milliseconds since the epoch, or undefined when the text is neither a W3C date-time nor epoch seconds. Four
 * digits alone are both a W3C year and epoch seconds (2027: the year, or 00:33:47 on 1970-01-01): which one IAM
 * takes the documentation does not say, so they are undefined too.
 */
export function parseDate(text: string): number | undefined {
  const t = text.trim();
  if (/^\d{4}$/.test(t)) return undefined;
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  return parseW3c(t);
}

export const DATE_OPERATORS = comparisons('Date', parseDate);
