// IAM policy documents: parsing, comparison by meaning, size and digests. Pure.
import { createHash } from 'node:crypto';

export type StringOrList = string | string[];
export type ConditionBlock = Record<string, Record<string, StringOrList | boolean | number>>;
export type Principal = '*' | Record<string, StringOrList>;

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: Principal;
  NotPrincipal?: Principal;
  Action?: StringOrList;
  NotAction?: StringOrList;
  Resource?: StringOrList;
  NotResource?: StringOrList;
  Condition?: ConditionBlock;
}

export interface PolicyDocument {
  Version?: string;
  Id?: string;
  Statement: Statement[] | Statement;
}

/** Compact JSON: IAM counts every character but whitespace, so this is what the quota sees. */
export function serialize(doc: PolicyDocument): string {
  return JSON.stringify(doc);
}

/** The size IAM's quota sees: it ignores whitespace, and compact JSON has none outside strings, so this never undercounts. */
export function policySize(doc: PolicyDocument): number {
  return serialize(doc).length;
}

/**
 * Parses a document as IAM returns it. AWS URL-encodes documents in GetRole and GetPolicyVersion
 * (some emulators return plain JSON), so plain JSON is tried first.
 */
export function parseDocument(raw: string): PolicyDocument {
  try {
    return JSON.parse(raw) as PolicyDocument;
  } catch {
    return JSON.parse(decodeURIComponent(raw)) as PolicyDocument;
  }
}

function list(value: StringOrList | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function sortedUnique(values: string[]): string[] {
  return [...new Set(values)].sort();
}

// An account ID principal means the same as the account's root ARN in the document's partition.
function principalValue(value: string, partition: string): string {
  return /^\d{12}$/.test(value) ? `arn:${partition}:iam::${value}:root` : value;
}

function normalizePrincipal(principal: Principal | undefined, partition: string): unknown {
  if (principal === undefined) return undefined;
  if (principal === '*') return { AWS: ['*'] };
  const out: Record<string, string[]> = {};
  for (const key of Object.keys(principal).sort()) {
    const values = sortedUnique(list(principal[key]).map((v) => principalValue(v, partition)));
    // {"AWS": x, "Service": []} names the same principals as {"AWS": x}.
    if (values.length) out[key] = values;
  }
  return out;
}

function normalizeCondition(condition: ConditionBlock | undefined): unknown {
  // An empty block, or an operator with no keys, conditions nothing.
  const operators = Object.keys(condition ?? {}).filter((op) => Object.keys(condition?.[op] ?? {}).length > 0);
  if (!condition || operators.length === 0) return undefined;
  const out: Record<string, [string, string[]][]> = {};
  for (const operator of operators.sort()) {
    // Condition keys are case-insensitive; operators and values are not. Keys that differ only in case are
    // still separate entries of the block (ANDed), so each stays its own entry rather than replacing another.
    const entries = Object.entries(condition[operator]).map(([k, v]): [string, string[]] => [
      k.toLowerCase(),
      sortedUnique((Array.isArray(v) ? v : [v]).map(String)),
    ]);
    // The same entry twice is one condition (A and A).
    out[operator] = sortedUnique(entries.map((e) => JSON.stringify(e))).map((e) => JSON.parse(e) as [string, string[]]);
  }
  return out;
}

/** A statement in canonical form: lists sorted and de-duplicated, actions lower-cased, Sid dropped. */
function normalizeStatement(statement: Statement, partition: string): string {
  return JSON.stringify({
    Effect: statement.Effect,
    Principal: normalizePrincipal(statement.Principal, partition),
    NotPrincipal: normalizePrincipal(statement.NotPrincipal, partition),
    // Action names are case-insensitive in IAM.
    Action: statement.Action === undefined ? undefined : sortedUnique(list(statement.Action).map((a) => a.toLowerCase())),
    NotAction: statement.NotAction === undefined ? undefined : sortedUnique(list(statement.NotAction).map((a) => a.toLowerCase())),
    Resource: statement.Resource === undefined ? undefined : sortedUnique(list(statement.Resource)),
    NotResource: statement.NotResource === undefined ? undefined : sortedUnique(list(statement.NotResource)),
    Condition: normalizeCondition(statement.Condition),
  });
}

/** The statements of a document; none when a hand edit left it without any (it is then reported as drift). */
export function statements(doc: PolicyDocument): Statement[] {
  const s = (doc as { Statement?: Statement[] | Statement }).Statement;
  if (s === undefined || s === null) return [];
  return Array.isArray(s) ? s : [s];
}

/**
 * A canonical string of the document's meaning: equal strings mean equivalent documents. `partition` is
 * where the document lives: an account ID principal means that partition's root ARN.
 */
export function canonical(doc: PolicyDocument, partition = 'aws'): string {
  const normalized = sortedUnique(statements(doc).map((s) => normalizeStatement(s, partition)));
  return JSON.stringify({ Version: doc.Version ?? '2008-10-17', Statement: normalized });
}

/** True when two documents grant the same thing, whatever their order, Sids or single-value-vs-list form. */
export function equivalent(a: PolicyDocument, b: PolicyDocument, partition = 'aws'): boolean {
  return canonical(a, partition) === canonical(b, partition);
}

/** Short content digest stored in a tag, so a later run can tell drift from an input change. */
export function digest(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 32);
}

/** The facts a reviewer reads in a document diff. */
export interface DocumentFacts {
  buckets: string[];
  objectResources: string[];
  kmsKeys: string[];
  actions: string[];
  principals: string[];
  conditions: string[];
}

export function documentFacts(doc: PolicyDocument): DocumentFacts {
  const buckets = new Set<string>();
  const objectResources = new Set<string>();
  const kmsKeys = new Set<string>();
  const actions = new Set<string>();
  const principals = new Set<string>();
  const conditions = new Set<string>();
  for (const statement of statements(doc)) {
    for (const action of list(statement.Action)) actions.add(action);
    for (const resource of list(statement.Resource)) {
      const s3 = /^arn:[\w-]+:s3:::([^/]+)(\/.*)?$/.exec(resource);
      if (s3) {
        if (s3[2]) objectResources.add(resource);
        else buckets.add(s3[1]);
      } else if (/^arn:[\w-]+:kms:/.test(resource)) kmsKeys.add(resource);
    }
    const principal = statement.Principal;
    if (principal === '*') principals.add('*');
    else if (principal)
      for (const values of Object.values(principal)) for (const p of list(values)) principals.add(principalValue(p, 'aws'));
    if (statement.Condition) {
      for (const [operator, block] of Object.entries(statement.Condition)) {
        for (const [key, value] of Object.entries(block)) {
          const values = Array.isArray(value) ? value : [value];
          for (const v of values) conditions.add(`${operator} ${key} = ${String(v)}`);
        }
      }
    }
  }
  return {
    buckets: [...buckets].sort(),
    objectResources: [...objectResources].sort(),
    kmsKeys: [...kmsKeys].sort(),
    actions: [...actions].sort(),
    principals: [...principals].sort(),
    conditions: [...conditions].sort(),
  };
}
