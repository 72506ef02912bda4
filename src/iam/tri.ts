// Three-valued logic: a verdict that depends on what the evaluator cannot see is 'unknown', never allowed.

export type Tri = true | false | 'unknown';

/** Which condition key decides an unknown, and what would settle it. */
export interface Decider {
  key: string;
  operator: string;
  values: string[];
  /** The value of the key that makes the statement's condition true, and the one that makes it false, when one is known. */
  holdsWhen?: string;
  failsWhen?: string;
  /** A policy value the operator cannot read as IAM does (a date in a form IAM does not document). */
  unreadable?: string;
}

export interface Outcome {
  value: Tri;
  decider?: Decider;
}

export const TRUE: Outcome = { value: true };
export const FALSE: Outcome = { value: false };

/** All must hold: one false decides; else one unknown makes it unknown. */
export function all(outcomes: Iterable<Outcome>): Outcome {
  let unknown: Outcome | undefined;
  for (const o of outcomes) {
    if (o.value === false) return o;
    if (o.value === 'unknown') unknown ??= o;
  }
  return unknown ?? TRUE;
}

/** One must hold: one true decides; else one unknown makes it unknown. */
export function any(outcomes: Iterable<Outcome>): Outcome {
  let unknown: Outcome | undefined;
  for (const o of outcomes) {
    if (o.value === true) return o;
    if (o.value === 'unknown') unknown ??= o;
  }
  return unknown ?? FALSE;
}

export function not(outcome: Outcome): Outcome {
  if (outcome.value !== 'unknown') return { value: !outcome.value };
  const d = outcome.decider;
  return d ? { value: 'unknown', decider: { ...d, holdsWhen: d.failsWhen, failsWhen: d.holdsWhen } } : outcome;
}

export const tri = (b: boolean): Outcome => (b ? TRUE : FALSE);
