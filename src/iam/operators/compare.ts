// The comparison operators of the Numeric and Date families (IAM User Guide, "IAM JSON policy elements: Condition
// operators"): Equals, NotEquals, LessThan, LessThanEquals, GreaterThan, GreaterThanEquals, each over the values
// its family reads. A policy value the family cannot read makes the entry unknown (the condition evaluator asks
// `reads` first); a request value it cannot read compares as NaN, so it matches no comparison.
import { patternText } from '../variables.js';
import type { Operator } from './types.js';

/**
 * The six operators of a family, named `<family>Equals` and so on.
 * @param family `Numeric` or `Date`.
 * @param parse A value as a number (a decimal, or milliseconds since the epoch), or undefined when it is none.
 */
export function comparisons(family: 'Numeric' | 'Date', parse: (text: string) => number | undefined): Record<string, Operator> {
  const reads = (text: string) => parse(text) !== undefined;
  const compare =
    (holds: (a: number, b: number) => boolean): Operator['test'] =>
    (v, p) =>
      holds(parse(v) ?? Number.NaN, parse(patternText(p)) ?? Number.NaN);
  const operator = (holds: (a: number, b: number) => boolean, negated = false): Operator => ({
    test: compare(holds),
    negated,
    variables: false,
    reads,
  });
  const equal = (a: number, b: number) => a === b;
  return {
    [`${family}Equals`]: operator(equal),
    [`${family}NotEquals`]: operator(equal, true),
    [`${family}LessThan`]: operator((a, b) => a < b),
    [`${family}LessThanEquals`]: operator((a, b) => a <= b),
    [`${family}GreaterThan`]: operator((a, b) => a > b),
    [`${family}GreaterThanEquals`]: operator((a, b) => a >= b),
  };
}
