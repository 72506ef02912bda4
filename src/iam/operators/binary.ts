// Binary condition operator (IAM User Guide, "Condition operators", Binary): base-64 values compared byte for byte.
import { patternText } from '../variables.js';
import type { Operator } from './types.js';

// Node's base-64 decoder skips whitespace (a value wrapped over lines, or padded with spaces, is the same bytes).
const bytes = (text: string) => Buffer.from(text, 'base64');

export const BINARY_OPERATORS: Record<string, Operator> = {
  BinaryEquals: { test: (v, p) => bytes(v).equals(bytes(patternText(p))), negated: false, variables: false },
};
