// What the action recorded when it last wrote the role: a short hash per setting, kept in the role's
// digest tag. A setting has drifted when its live value differs from what was recorded for it, so a change
// of the inputs is never drift, and one hand edit does not make every later input change look like drift. Pure.
import { createHash } from 'node:crypto';
import type { RoleSettings } from './desired.js';
import { canonical, type PolicyDocument, statements } from './policy.js';

/** Short hashes (8 hex characters) of the role settings the action writes, each set when known. */
export interface RoleRecord {
  /** The trust policy, by meaning. */
  trust?: string;
  /** The trust policy required an external ID (sts:ExternalId). */
  externalId?: boolean;
  description?: string;
  session?: string;
  boundary?: string;
  /** The CORS-kept bucket list (cors: true), sorted. */
  cors?: string;
  /** Input tags: the hash of the lower-cased key → the hash of the value. */
  tags: Record<string, string>;
  /**
   * The action's own policies it has attached to the role (a short hash per ARN, sorted), written only once they
   * are: a policy the record names that is not attached was detached outside the action. Undefined in records
   * of earlier versions, which did not keep it.
   */
  attached?: string[];
}

/** The digest tag as read: none, the single digest of earlier versions, or a record per setting. */
export type RecordState = { kind: 'none' } | { kind: 'legacy'; digest: string } | { kind: 'settings'; record: RoleRecord };

/** The settings a record knows; `tag:<key>` for each input tag. */
export type Setting = 'trust' | 'description' | 'session' | 'boundary' | 'cors' | `tag:${string}`;

const VERSION = '2';
// IAM tag values hold at most 256 characters; a record with more tags than fit keeps no tag hashes.
const TAG_VALUE_LIMIT = 256;

export function shortHash(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 8);
}

const tagKeyHash = (key: string) => shortHash(key.toLowerCase()).slice(0, 6);

/** The record's hashes of attached policy ARNs: 6 hex characters each, sorted. */
export function attachmentHashes(policyArns: string[]): string[] {
  return policyArns.map((arn) => shortHash(arn).slice(0, 6)).sort();
}

/** Whether the record says the action attached this policy to the role; undefined when the record does not tell. */
export function recordedAttached(state: RecordState, policyArn: string): boolean | undefined {
  if (state.kind !== 'settings' || state.record.attached === undefined) return undefined;
  return state.record.attached.includes(attachmentHashes([policyArn])[0]);
}

/** The settings of a role (live or desired) as a record. `tagKeys` are the input tags' keys. */
export function recordOf(
  role: RoleSettings,
  options: { tagKeys: string[]; partition: string; corsBuckets?: string[]; attached?: string[] },
): RoleRecord {
  const tags: Record<string, string> = {};
  const byLowerKey = new Map(Object.entries(role.tags).map(([k, v]) => [k.toLowerCase(), v]));
  for (const key of options.tagKeys) {
    const value = byLowerKey.get(key.toLowerCase());
    tags[tagKeyHash(key)] = value === undefined ? '-' : shortHash(value);
  }
  return {
    trust: shortHash(canonical(role.trustPolicy, options.partition)),
    externalId: requiresExternalId(role.trustPolicy),
    description: shortHash(role.description ?? ''),
    session: String(role.maxSessionDuration ?? 3600),
    boundary: shortHash(role.permissionsBoundary ?? ''),
    cors: options.corsBuckets ? shortHash([...options.corsBuckets].sort().join(',')) : undefined,
    tags,
    attached: options.attached,
  };
}

/** Whether a trust policy requires sts:ExternalId in any of its conditions. */
export function requiresExternalId(trust: PolicyDocument): boolean {
  return statements(trust).some((s) =>
    Object.values(s.Condition ?? {}).some((block) => Object.keys(block).some((key) => key.toLowerCase() === 'sts:externalid')),
  );
}

/** The tag value: `2 t=… e=1 d=… s=… b=… c=… a=<hash>.<hash> g.<key>=<value> …` (characters IAM allows in tag values). */
export function writeRecord(record: RoleRecord): string {
  const parts = [
    VERSION,
    `t=${record.trust}`,
    ...(record.externalId ? ['e=1'] : []),
    `d=${record.description}`,
    `s=${record.session}`,
    `b=${record.boundary}`,
    ...(record.cors ? [`c=${record.cors}`] : []),
    ...(record.attached ? [`a=${[...record.attached].sort().join('.')}`] : []),
  ];
  const tags = Object.entries(record.tags)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `g.${k}=${v}`);
  const full = [...parts, ...tags].join(' ');
  return full.length <= TAG_VALUE_LIMIT ? full : parts.join(' ');
}

/** Reads the digest tag. A value of another shape counts as a legacy digest (judged as a whole). */
export function readRecord(value: string | undefined): RecordState {
  if (value === undefined || value === '') return { kind: 'none' };
  const parts = value.split(' ');
  if (parts[0] !== VERSION) return { kind: 'legacy', digest: value };
  const record: RoleRecord = { tags: {} };
  for (const part of parts.slice(1)) {
    const eq = part.indexOf('=');
    const [key, v] = [part.slice(0, eq), part.slice(eq + 1)];
    if (key === 't') record.trust = v;
    else if (key === 'e') record.externalId = v === '1';
    else if (key === 'd') record.description = v;
    else if (key === 's') record.session = v;
    else if (key === 'b') record.boundary = v;
    else if (key === 'c') record.cors = v;
    else if (key === 'a') record.attached = v === '' ? [] : v.split('.');
    else if (key.startsWith('g.')) record.tags[key.slice(2)] = v;
  }
  return { kind: 'settings', record };
}

function recordedValue(record: RoleRecord, setting: Setting): string | undefined {
  if (setting.startsWith('tag:')) return record.tags[tagKeyHash(setting.slice(4))];
  return record[setting as Exclude<Setting, `tag:${string}`>];
}

/**
 * Whether a setting was changed outside the action: its live value differs from what the action recorded
 * for it. Unknown (no record, or nothing recorded for that setting, such as a tag just added to the inputs)
 * is not drift. A legacy digest is judged as a whole: `legacyDrift` says whether the role differs from it.
 */
export function drifted(state: RecordState, live: RoleRecord, setting: Setting, legacyDrift: boolean): boolean {
  if (state.kind === 'none') return false;
  if (state.kind === 'legacy') return legacyDrift;
  const recorded = recordedValue(state.record, setting);
  return recorded !== undefined && recorded !== recordedValue(live, setting);
}
