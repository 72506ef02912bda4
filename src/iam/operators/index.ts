// Condition operators by family (IAM User Guide, "Condition operators"), and the qualifiers an operator name
// may carry: ForAnyValue:/ForAllValues: for multivalued keys, ...IfExists for keys that may be absent. Null is
// its own family (it tests presence only) and is handled by the condition evaluator.
import { ARN_OPERATORS } from './arn.js';
import { BINARY_OPERATORS } from './binary.js';
import { BOOL_OPERATORS } from './bool.js';
import { DATE_OPERATORS } from './date.js';
import { coversEveryAddress, IP_OPERATORS, publicAddressesIn } from './ip.js';
import { NUMERIC_OPERATORS } from './numeric.js';
import { STRING_OPERATORS } from './string.js';
import type { Operator } from './types.js';

export type { Operator } from './types.js';

const OPERATORS: Record<string, Operator> = {
  ...STRING_OPERATORS,
  ...NUMERIC_OPERATORS,
  ...DATE_OPERATORS,
  ...BOOL_OPERATORS,
  ...BINARY_OPERATORS,
  ...IP_OPERATORS,
  ...ARN_OPERATORS,
};

export interface ParsedOperator {
  /** The operator's name without qualifiers, as written. */
  name: string;
  set?: 'ForAnyValue' | 'ForAllValues';
  ifExists: boolean;
  /** Undefined for Null and for a name IAM does not know. */
  operator?: Operator;
  isNull: boolean;
}

/** Splits `ForAllValues:StringLikeIfExists` into its qualifiers and its operator. */
export function parseOperator(written: string): ParsedOperator {
  const m = /^(?:(ForAnyValue|ForAllValues):)?(.+?)(IfExists)?$/.exec(written) ?? [];
  const name = m[2] ?? written;
  const isNull = name === 'Null' && m[3] === undefined;
  return {
    name,
    set: m[1] as ParsedOperator['set'],
    ifExists: m[3] !== undefined,
    operator: Object.hasOwn(OPERATORS, name) ? OPERATORS[name] : undefined,
    isNull,
  };
}

/** Whether an entry holds (or fails) for every value of its key, so an unknown value does not matter: an IP operator over every address. */
export function sameForEveryValue(parsed: ParsedOperator, values: string[]): boolean {
  return Object.hasOwn(IP_OPERATORS, parsed.name) && parsed.set === undefined && coversEveryAddress(values);
}

/**
 * An entry for a value known only as some public address: an IP operator (without a set qualifier) holds or
 * fails for every such address when its blocks hold none or all of them; otherwise, and for any other
 * operator, it depends on the address.
 */
export function forPublicAddress(parsed: ParsedOperator, values: string[]): boolean | 'unknown' {
  // A set qualifier over the one value of a single-valued key asks of that value what the operator alone asks.
  if (!parsed.operator || !Object.hasOwn(IP_OPERATORS, parsed.name)) return 'unknown';
  const held = publicAddressesIn(values);
  if (held === 'some') return 'unknown';
  return (held === 'all') !== parsed.operator.negated;
}

/**
 * An entry for a key present with a value the evaluator cannot know: it holds (or fails) only when every value
 * matches: an IP operator over every address, or a Like operator with the pattern "*".
 */
export function forAnyValue(parsed: ParsedOperator, values: string[]): boolean | 'unknown' {
  if (!parsed.operator) return 'unknown';
  const everything = Object.hasOwn(IP_OPERATORS, parsed.name)
    ? coversEveryAddress(values)
    : /^String(Not)?Like$/.test(parsed.name) && values.includes('*');
  return everything ? !parsed.operator.negated : 'unknown';
}
