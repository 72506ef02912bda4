// Wildcards (IAM User Guide, "IAM JSON policy elements: Resource" and "Condition operators"): * matches any
// run of characters, ? any one character. ARNs are matched part by part: each of the six colon-separated
// parts on its own, so a wildcard never crosses a colon before the resource part.
import type { Pattern, Token } from './variables.js';

const escapeRegex = (c: string) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether `value` matches the whole pattern. */
export function globMatches(pattern: Pattern, value: string, caseless = false): boolean {
  const body = pattern.map((t) => (typeof t === 'string' ? escapeRegex(t) : t.wild === '*' ? '[^]*' : '[^]')).join('');
  return new RegExp(`^${body}$`, caseless ? 'i' : '').test(value);
}

/** An ARN's six parts (arn, partition, service, region, account, resource); undefined when it has fewer. */
export function arnParts<T>(chars: T[], isColon: (t: T) => boolean): T[][] | undefined {
  const parts: T[][] = [[]];
  for (const c of chars) {
    if (parts.length < 6 && isColon(c)) parts.push([]);
    else parts[parts.length - 1].push(c);
  }
  return parts.length === 6 ? parts : undefined;
}

/** ArnLike's match: both are ARNs of six parts, and each part of the value matches the pattern's part. */
export function arnMatches(pattern: Pattern, value: string): boolean {
  const patternParts = arnParts(pattern, (t) => t === ':');
  const valueParts = arnParts([...value], (c) => c === ':');
  if (!patternParts || !valueParts) return false;
  return patternParts.every((part, i) => globMatches(part, valueParts[i].join('')));
}

/**
 * A string both patterns match (IAM wildcards: * any run, ? one character), or undefined when none exists.
 * Case-sensitive, as an ARN's resource part is. A breadth-first search over pairs of positions; where both
 * sides are wildcards, any character does, and `x` stands for it.
 */
export function globWitness(a: Pattern, b: Pattern): string | undefined {
  const key = (i: number, j: number) => i * (b.length + 1) + j;
  const from = new Map<number, { prev: number; char: string }>([[key(0, 0), { prev: -1, char: '' }]]);
  const queue: [number, number][] = [[0, 0]];
  const visit = (i: number, j: number, prev: number, char: string) => {
    if (from.has(key(i, j))) return;
    from.set(key(i, j), { prev, char });
    queue.push([i, j]);
  };
  while (queue.length) {
    const [i, j] = queue.shift() as [number, number];
    const here = key(i, j);
    if (i === a.length && j === b.length) {
      let text = '';
      for (let k = here; k !== key(0, 0); k = (from.get(k) as { prev: number }).prev) text = (from.get(k) as { char: string }).char + text;
      return text;
    }
    const ta = a[i];
    const tb = b[j];
    // A * may match nothing.
    if (typeof ta === 'object' && ta.wild === '*') visit(i + 1, j, here, '');
    if (typeof tb === 'object' && tb.wild === '*') visit(i, j + 1, here, '');
    if (ta === undefined || tb === undefined) continue;
    const char = typeof ta === 'string' ? ta : typeof tb === 'string' ? tb : 'x';
    if (typeof ta === 'string' && typeof tb === 'string' && ta !== tb) continue;
    // A * consuming a character stays where it is; anything else moves on.
    const next = (t: Token, n: number) => (typeof t === 'object' && t.wild === '*' ? n : n + 1);
    visit(next(ta, i), next(tb, j), here, char);
  }
  return undefined;
}

/** An ARN both ARN patterns match, part by part (undefined: none, or either has fewer than six parts). */
export function arnWitness(a: Pattern, b: Pattern): string | undefined {
  const pa = arnParts(a, (t) => t === ':');
  const pb = arnParts(b, (t) => t === ':');
  if (!pa || !pb) return undefined;
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) {
    const w = globWitness(pa[i], pb[i]);
    // Parts before the resource hold no colon: arnParts split there, so neither side has one to give.
    if (w === undefined) return undefined;
    parts.push(w);
  }
  return parts.join(':');
}
