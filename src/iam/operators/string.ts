// String condition operators (IAM User Guide, "Condition operators", String): exact, case-insensitive, and
// Like with * and ? wildcards; each has a negated form.
import { patternText } from '../variables.js';
import { globMatches } from '../wildcard.js';
import type { Operator } from './types.js';

const equals: Operator['test'] = (v, p) => v === patternText(p);
const equalsIgnoreCase: Operator['test'] = (v, p) => v.toLowerCase() === patternText(p).toLowerCase();
const like: Operator['test'] = (v, p) => globMatches(p, v);

export const STRING_OPERATORS: Record<string, Operator> = {
  StringEquals: { test: equals, negated: false, variables: true },
  StringNotEquals: { test: equals, negated: true, variables: true },
  StringEqualsIgnoreCase: { test: equalsIgnoreCase, negated: false, variables: true },
  StringNotEqualsIgnoreCase: { test: equalsIgnoreCase, negated: true, variables: true },
  StringLike: { test: like, negated: false, variables: true },
  StringNotLike: { test: like, negated: true, variables: true },
};
