// The Condition element (IAM User Guide, "IAM JSON policy elements: Condition" and "Condition operators"):
// every operator block and every key in it must hold (AND); a key holds when any of its policy values
// matches (OR); a negated operator holds when none matches. A key absent from the request: negated operators
// and ...IfExists hold, the others do not; Null tests presence; ForAllValues holds and ForAnyValue does not.
// Three-valued: a key the evaluator cannot value makes its entry unknown, naming the key.
import { type Candidate, isAddressSpace, type KeyValue, lookup, type RequestContext } from './context.js';
import { forAnyValue, forPublicAddress, type Operator, type ParsedOperator, parseOperator, sameForEveryValue } from './operators/index.js';
import { all, type Decider, FALSE, type Outcome, TRUE, tri } from './tri.js';
import { literalPattern, type Pattern, resolve } from './variables.js';

export type ConditionBlock = Record<string, Record<string, unknown>>;

const asList = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/**
 * The policy values as patterns, with variables replaced where the operator allows them; a value whose variable
 * has no value matches nothing. Undefined when a variable's value is one the evaluator cannot know.
 */
function patternsOf(values: string[], operator: Operator, context: RequestContext): Pattern[] | undefined {
  const patterns: Pattern[] = [];
  for (const v of values) {
    if (!operator.variables) {
      patterns.push(literalPattern(v));
      continue;
    }
    const r = resolve(v, context);
    if (r.kind === 'unknown') return undefined;
    if (r.kind === 'pattern') patterns.push(r.pattern);
  }
  return patterns;
}

/** One entry for one possible request value of its key (undefined: absent). */
function entryHolds(parsed: ParsedOperator, values: string[], candidate: Candidate, context: RequestContext): Outcome | 'unknown-variable' {
  if (isAddressSpace(candidate)) {
    // A public address is a value: Null holds when it is asked for "false".
    if (parsed.isNull) return tri(values.some((v) => v.toLowerCase() === 'false'));
    const held = candidate.space === 'public-address' ? forPublicAddress(parsed, values) : forAnyValue(parsed, values);
    return held === 'unknown' ? { value: 'unknown' } : tri(held);
  }
  const requestValue: KeyValue | undefined = candidate;
  const present = requestValue !== undefined && !(Array.isArray(requestValue) && requestValue.length === 0);
  if (parsed.isNull) return tri(values.some((v) => v.toLowerCase() === String(!present)));
  const operator = parsed.operator;
  if (!operator) return FALSE;
  if (!present) {
    if (parsed.set === 'ForAllValues') return TRUE;
    if (parsed.set === 'ForAnyValue') return FALSE;
    return tri(parsed.ifExists || operator.negated);
  }
  const patterns = patternsOf(values, operator, context);
  if (!patterns) return 'unknown-variable';
  const matchesOne = (v: string) => patterns.some((p) => operator.test(v, p));
  const holdsFor = (v: string) => (operator.negated ? !matchesOne(v) : matchesOne(v));
  const requestValues = Array.isArray(requestValue) ? requestValue : [requestValue];
  if (parsed.set === 'ForAllValues') return tri(requestValues.every(holdsFor));
  if (parsed.set === 'ForAnyValue') return tri(requestValues.some(holdsFor));
  // Without a set qualifier a multivalued key is matched as a whole: any value for a positive operator, none for a negated one.
  return tri(operator.negated ? requestValues.every(holdsFor) : requestValues.some(holdsFor));
}

/** A candidate value as the decider shows it. */
function show(v: Candidate): string {
  if (v === undefined) return '(absent)';
  if (isAddressSpace(v)) return v.space === 'public-address' ? 'a public address' : 'present (any value)';
  if (Array.isArray(v)) return v.join(', ');
  return v === '' ? '"" (empty)' : v;
}

/** One condition entry: an operator, a key and its policy values. */
export function conditionEntry(written: string, key: string, rawValues: unknown, context: RequestContext): Outcome {
  const parsed = parseOperator(written);
  const values = asList(rawValues);
  const decider = (extra: Partial<Decider> = {}): Decider => ({ key, operator: written, values, ...extra });
  // An operator IAM does not know, or Null with IfExists: the evaluator cannot say what AWS does with it.
  if (!parsed.operator && !parsed.isNull) return { value: 'unknown', decider: decider() };
  // A value the operator cannot read as IAM does (a date form IAM does not document): what AWS decides is unknown.
  const reads = parsed.operator?.reads;
  const unreadable = reads ? values.find((v) => !reads(v)) : undefined;
  if (unreadable !== undefined) return { value: 'unknown', decider: decider({ unreadable }) };
  const found = lookup(context, key);
  // An address the evaluator cannot know, against blocks that hold every address: the same answer for all.
  if (found.kind === 'unknown' && !found.candidates && parsed.operator && sameForEveryValue(parsed, values))
    return tri(!parsed.operator.negated);
  const candidates: Candidate[] | undefined =
    found.kind === 'present' ? [found.value] : found.kind === 'absent' ? [undefined] : found.candidates;
  if (!candidates) return { value: 'unknown', decider: decider() };
  const results = candidates.map((c) => entryHolds(parsed, values, c, context));
  if (results.some((r) => r === 'unknown-variable')) return { value: 'unknown', decider: decider() };
  const outcomes = results as Outcome[];
  if (outcomes.every((o) => o.value === outcomes[0].value) && outcomes[0].value !== 'unknown') return outcomes[0];
  // The values that make the entry hold and fail, where a candidate decides it.
  const holds = outcomes.findIndex((o) => o.value === true);
  const fails = outcomes.findIndex((o) => o.value === false);
  return {
    value: 'unknown',
    decider: decider({
      ...(holds >= 0 && { holdsWhen: show(candidates[holds]) }),
      ...(fails >= 0 && { failsWhen: show(candidates[fails]) }),
    }),
  };
}

/** A statement's whole Condition element (a statement without one holds). */
export function conditionHolds(condition: ConditionBlock | undefined, context: RequestContext): Outcome {
  const entries = Object.entries(condition ?? {}).flatMap(([operator, block]) =>
    Object.entries(block ?? {}).map(
      ([key, values]) =>
        () =>
          conditionEntry(operator, key, values, context),
    ),
  );
  // Lazily: the first false entry decides, whatever the entries after it.
  return all(
    (function* () {
      for (const e of entries) yield e();
    })(),
  );
}
