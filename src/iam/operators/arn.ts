// ARN condition operators (IAM User Guide, "Condition operators", Amazon Resource Name): ArnEquals and ArnLike
// behave the same, each of the six colon-separated parts compared on its own with * and ? wildcards; policy
// variables are replaced in their values. A value or pattern of fewer than six parts matches nothing.
import { arnMatches } from '../wildcard.js';
import type { Operator } from './types.js';

const like: Operator['test'] = (v, p) => arnMatches(p, v);

export const ARN_OPERATORS: Record<string, Operator> = {
  ArnEquals: { test: like, negated: false, variables: true },
  ArnLike: { test: like, negated: false, variables: true },
  ArnNotEquals: { test: like, negated: true, variables: true },
  ArnNotLike: { test: like, negated: true, variables: true },
};
