// Numeric condition operators (IAM User Guide, "Condition operators", Numeric: "an integer or decimal value").
// A request value that is not a number matches no numeric comparison; a policy value that is not one, or one a
// double cannot hold exactly (beyond 2^53, as 9007199254740993 is), is one the evaluator cannot read as IAM
// does: its entry is unknown.
import { comparisons } from './compare.js';

/** A decimal number of at most 2^53 - 1 in magnitude, or undefined for anything else (an empty string is not 0). */
export function parseNumber(text: string): number | undefined {
  const n = Number(text);
  return /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(text) && Math.abs(n) <= Number.MAX_SAFE_INTEGER ? n : undefined;
}

export const NUMERIC_OPERATORS = comparisons('Numeric', parseNumber);
