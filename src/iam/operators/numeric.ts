// Numeric condition operators (IAM User Guide, "Condition operators", Numeric). A value that is not a number
// matches no numeric comparison.
import { patternText } from '../variables.js';
import type { Operator } from './types.js';

/** A decimal number, or undefined for anything else (an empty string is not 0). */
export function parseNumber(text: string): number | undefined {
  return /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(text) ? Number(text) : undefined;
}

function compare(holds: (a: number, b: number) => boolean): Operator['test'] {
  // NaN for a value that is no number: every comparison with it is false, so it matches nothing.
  return (v, p) => holds(parseNumber(v) ?? Number.NaN, parseNumber(patternText(p)) ?? Number.NaN);
}

const equal = compare((a, b) => a === b);

export const NUMERIC_OPERATORS: Record<string, Operator> = {
  NumericEquals: { test: equal, negated: false, variables: false },
  NumericNotEquals: { test: equal, negated: true, variables: false },
  NumericLessThan: { test: compare((a, b) => a < b), negated: false, variables: false },
  NumericLessThanEquals: { test: compare((a, b) => a <= b), negated: false, variables: false },
  NumericGreaterThan: { test: compare((a, b) => a > b), negated: false, variables: false },
  NumericGreaterThanEquals: { test: compare((a, b) => a >= b), negated: false, variables: false },
};
