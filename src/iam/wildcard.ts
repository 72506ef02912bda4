// Wildcards (IAM User Guide, "IAM JSON policy elements: Resource" and "Condition operators"): * matches any
// run of characters, ? any one character. ARNs are matched part by part: each of the six colon-separated
// parts on its own, so a wildcard never crosses a colon before the resource part.
import type { Pattern } from './variables.js';

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
