// Policy variables (IAM User Guide, "IAM policy elements: Variables and tags"): `${key}` is replaced by the
// request's value of that key, `${key, 'default'}` falls back to the default (a quote doubled inside it), and
// `${*}`, `${?}`, `${$}` stand for the literal characters. A key without a value and without a default leaves
// the element matching nothing; a multivalued key cannot be a variable. IAM replaces once, never again.
import { lookup, type RequestContext } from './context.js';

/** One character of a resolved pattern: a literal character, or a wildcard that only policy text can write. */
export type Token = string | { wild: '*' | '?' };
export type Pattern = Token[];

export type Resolved = { kind: 'pattern'; pattern: Pattern } | { kind: 'missing'; key: string } | { kind: 'unknown'; key: string };

/** Each `${...}` in policy text with where it starts and ends; a quoted default may hold braces. */
function* variables(text: string): Generator<{ index: number; end: number; inner: string }> {
  let from = 0;
  for (;;) {
    const index = text.indexOf('${', from);
    if (index < 0) return;
    let quoted = false;
    let end = -1;
    for (let i = index + 2; i < text.length; i++) {
      if (text[i] === "'") quoted = !quoted;
      else if (text[i] === '}' && !quoted) {
        end = i + 1;
        break;
      }
    }
    if (end < 0) return;
    yield { index, end, inner: text.slice(index + 2, end - 1) };
    from = end;
  }
}
const WITH_DEFAULT = /^\s*([^\s,']+)\s*(?:,\s*'((?:[^']|'')*)'\s*)?$/;

/** Policy text as a pattern: * and ? are wildcards, every other character is itself. */
export function literalPattern(text: string, wildcards = true): Pattern {
  return [...text].map((c) => (wildcards && (c === '*' || c === '?') ? { wild: c } : c));
}

/** Replaces the variables of one policy string with the request's values. */
export function resolve(text: string, context: RequestContext | undefined, wildcards = true): Resolved {
  // Before Version 2012-10-17 a policy has no variables: ${...} is its own text.
  if (context?.literalVariables) return { kind: 'pattern', pattern: literalPattern(text, wildcards) };
  const pattern: Pattern = [];
  let last = 0;
  for (const m of variables(text)) {
    pattern.push(...literalPattern(text.slice(last, m.index), wildcards));
    last = m.end;
    const inner = m.inner.trim();
    if (inner === '*' || inner === '?' || inner === '$') {
      pattern.push(inner);
      continue;
    }
    const parsed = WITH_DEFAULT.exec(m.inner);
    if (!parsed) return { kind: 'missing', key: m.inner };
    const [, key, fallback] = parsed;
    const found = context ? lookup(context, key) : { kind: 'absent' as const };
    if (found.kind === 'unknown') return { kind: 'unknown', key };
    const value = found.kind === 'present' && typeof found.value === 'string' ? found.value : undefined;
    const replacement = value ?? (fallback === undefined ? undefined : fallback.replace(/''/g, "'"));
    if (replacement === undefined) return { kind: 'missing', key };
    // A value from the request is data: its * and ? are characters, not wildcards.
    pattern.push(...literalPattern(replacement, false));
  }
  pattern.push(...literalPattern(text.slice(last), wildcards));
  return { kind: 'pattern', pattern };
}

/** The characters a pattern stands for, wildcards written as themselves (for operators without wildcards). */
export function patternText(pattern: Pattern): string {
  return pattern.map((t) => (typeof t === 'string' ? t : t.wild)).join('');
}
