// Binary condition operator (IAM User Guide, "Condition operators", Binary): base-64 values compared byte for byte.
import { patternText } from '../variables.js';
import type { Operator } from './types.js';

// Base 64 (RFC 4648, section 4) with its padding, line breaks and spaces allowed between groups (RFC 2045 wraps it).
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Whether a policy value is base 64: Node's decoder would drop any other character and stop at padding, so other text is unknown. */
const readsBase64 = (text: string) => BASE64.test(text.replace(/\s/g, ''));

const bytes = (text: string) => Buffer.from(text, 'base64');

export const BINARY_OPERATORS: Record<string, Operator> = {
  BinaryEquals: { test: (v, p) => bytes(v).equals(bytes(patternText(p))), negated: false, variables: false, reads: readsBase64 },
};
