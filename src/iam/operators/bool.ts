// Boolean condition operator (IAM User Guide, "Condition operators", Boolean): true or false, without case.
import { patternText } from '../variables.js';
import type { Operator } from './types.js';

export const BOOL_OPERATORS: Record<string, Operator> = {
  Bool: { test: (v, p) => v.toLowerCase() === patternText(p).toLowerCase(), negated: false, variables: false },
};
