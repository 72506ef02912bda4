import type { Pattern } from '../variables.js';

/** A condition operator without its ...IfExists and ForAnyValue/ForAllValues qualifiers. */
export interface Operator {
  /** Whether one request value matches one policy value (the positive test, also for a negated operator). */
  test: (value: string, pattern: Pattern) => boolean;
  /** A negated operator (StringNotEquals, ...) is true when no policy value matches, and when the key is absent. */
  negated: boolean;
  /** Whether policy variables are replaced in its values (string and ARN operators). */
  variables: boolean;
  /** Whether the operator reads a value as IAM does (dates); a value it cannot read makes the entry unknown. */
  reads?: (text: string) => boolean;
}
