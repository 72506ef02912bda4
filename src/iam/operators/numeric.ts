// Numeric condition operators (IAM User Guide, "Condition operators", Numeric: "an integer or decimal value").
// A request value that is not a number matches no numeric comparison; a policy value that is not one, or one a
// double cannot hold exactly (beyond 2^53, as 9007199254740993 is), is one the evaluator cannot read as IAM
// does: its entry is unknown.
import { patternText } from '../variables.js';
import type { Operator } from './types.js';

/** A decimal number of at most 2^53 - 1 in magnitude, or undefined for anything else (an empty string is not 0). */
export function parseNumber(text: string): number | undefined {
  const n = Number(text);
  return /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(text) && Math.abs(n) <= Number.MAX_SAFE_INTEGER ? n : undefined;
}

const readsNumber = (text: string) => parseNumber(text) !== undefined;

function compare(holds: (a: number, b: number) => boolean): Operator['test'] {
  // NaN for a value that is no number: every comparison with it is false, so it matches nothing.
  return (v, p) => holds(parseNumber(v) ?? Number.NaN, parseNumber(patternText(p)) ?? Number.NaN);
}

const equal = compare((a, b) => a === b);

const numeric = (test: Operator['test'], negated: boolean): Operator => ({ test, negated, variables: false, reads: readsNumber });

export const NUMERIC_OPERATORS: Record<string, Operator> = {
  NumericEquals: numeric(equal, false),
  NumericNotEquals: numeric(equal, true),
  NumericLessThan: numeric(
    compare((a, b) => a < b),
    false,
  ),
  NumericLessThanEquals: numeric(
    compare((a, b) => a <= b),
    false,
  ),
  NumericGreaterThan: numeric(
    compare((a, b) => a > b),
    false,
  ),
  NumericGreaterThanEquals: numeric(
    compare((a, b) => a >= b),
    false,
  ),
};
