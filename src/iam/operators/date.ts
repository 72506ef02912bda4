// Date condition operators (IAM User Guide, "Condition operators", Date): ISO 8601 dates and times, or epoch
// seconds (aws:EpochTime). A value that is neither matches no date comparison.
import { patternText } from '../variables.js';
import type { Operator } from './types.js';

/** Milliseconds since the epoch, or undefined when the text is not a date. */
export function parseDate(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(t)) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

function compare(holds: (a: number, b: number) => boolean): Operator['test'] {
  return (v, p) => {
    const a = parseDate(v);
    const b = parseDate(patternText(p));
    return a !== undefined && b !== undefined && holds(a, b);
  };
}

const equal = compare((a, b) => a === b);

export const DATE_OPERATORS: Record<string, Operator> = {
  DateEquals: { test: equal, negated: false, variables: false },
  DateNotEquals: { test: equal, negated: true, variables: false },
  DateLessThan: { test: compare((a, b) => a < b), negated: false, variables: false },
  DateLessThanEquals: { test: compare((a, b) => a <= b), negated: false, variables: false },
  DateGreaterThan: { test: compare((a, b) => a > b), negated: false, variables: false },
  DateGreaterThanEquals: { test: compare((a, b) => a >= b), negated: false, variables: false },
};
