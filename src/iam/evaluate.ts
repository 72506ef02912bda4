// Policy evaluation logic (IAM User Guide, "Policy evaluation logic", "Permissions boundaries for IAM entities",
// "Cross-account policy evaluation logic"; AWS KMS, "Key policies in AWS KMS"): an explicit Deny in any policy
// wins; a KMS key policy must allow, naming the principal or delegating to its account; a permissions boundary
// must allow, unless a resource-based policy of the principal's account grants to its session (the session ARN,
// or "*"); the identity's policies must allow, unless such a policy grants to the principal itself, not only to
// its account. Another account's policy grants nothing past them. Three-valued: what depends on an unknown is
// unknown, never allowed.
import type { RequestContext } from './context.js';
import { namesAccount, namesASession, narrowPrincipal } from './principal.js';
import { type Statement, statementApplies } from './statement.js';
import type { Decider, Tri } from './tri.js';

export interface PolicyDocumentLike {
  Version?: string;
  Statement?: Statement | Statement[];
}

/** A statement that decided something: its Sid, or its position counted from 1. */
export interface StatementRef {
  label: string;
  decider?: Decider;
}

export interface PolicyResult {
  /** Whether a Deny statement applies. */
  deny: Tri;
  /** Whether an Allow statement applies. */
  allow: Tri;
  denyBy?: StatementRef;
  allowBy?: StatementRef;
}

const statementsOf = (doc: PolicyDocumentLike): Statement[] =>
  doc.Statement === undefined || doc.Statement === null ? [] : Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];

/** How a reader names a statement: its Sid in quotes, or its position counted from 1 (`index` counts from 0). */
export const statementLabel = (s: { Sid?: string }, index: number): string => (s.Sid ? `"${s.Sid}"` : `#${index + 1}`);

/** Which of a policy's Deny and Allow statements apply to the request. */
export function evaluatePolicy(doc: PolicyDocumentLike, context: RequestContext): PolicyResult {
  const result: PolicyResult = { deny: false, allow: false };
  // Policy variables exist only in Version 2012-10-17; in an older policy or one without Version they are text.
  const versioned: RequestContext = doc.Version === '2012-10-17' ? context : { ...context, literalVariables: true };
  for (const [i, s] of statementsOf(doc).entries()) {
    const applies = statementApplies(s, versioned);
    const ref = { label: statementLabel(s, i), decider: applies.decider };
    const side = s.Effect === 'Deny' ? 'deny' : 'allow';
    const by = side === 'deny' ? 'denyBy' : 'allowBy';
    if (applies.value === true && result[side] !== true) {
      result[side] = true;
      result[by] = ref;
    } else if (applies.value === 'unknown' && result[side] === false) {
      result[side] = 'unknown';
      result[by] = ref;
    }
  }
  return result;
}

export type PolicyKind = 'resource' | 'key' | 'boundary' | 'identity';

export interface NamedPolicy {
  kind: PolicyKind;
  /** How a reader names it: "bucket policy", "key policy of arn:...", "permissions boundary arn:...". */
  name: string;
  document: PolicyDocumentLike;
  /** A resource policy that must allow on its own: a bucket of another account (IAM User Guide, "Cross-account policy evaluation logic"). */
  mustAllow?: boolean;
}

export interface Decision {
  /** allowed, denied (explicitly, or for want of an Allow), or unknown. */
  decision: 'allowed' | 'explicit-deny' | 'implicit-deny' | 'unknown';
  /** The policy and statement that decide it (none for an implicit deny by a policy without a matching Allow). */
  policy?: NamedPolicy;
  statement?: StatementRef;
  /** For unknown: whether a Deny may apply, or a needed Allow may not. */
  unknownSide?: 'deny' | 'allow';
}

/**
 * The grants of a resource-based policy to some principals only: the same document with each statement's
 * Principal narrowed to the values `keep` accepts, so only grants that still name the principal apply (an Allow
 * by NotPrincipal names no one in particular, and counts as no such grant). Statements keep their places, so a
 * deciding statement keeps its number. Only its Allow side is read.
 */
function narrowedGrants(doc: PolicyDocumentLike, keep: (value: string) => boolean): PolicyDocumentLike {
  const statements = statementsOf(doc).map((s) => ({ ...s, NotPrincipal: undefined, Principal: narrowPrincipal(s.Principal ?? {}, keep) }));
  return { ...doc, Statement: statements };
}

/** The strongest of several Allow answers: true over unknown over false. */
const strongest = (answers: Tri[]): Tri => (answers.includes(true) ? true : answers.includes('unknown') ? 'unknown' : false);

type Evaluated = { policy: NamedPolicy; result: PolicyResult };

/**
 * What the resource-based policies of the principal's own account (a bucket's, unless it must allow on its own,
 * being of another account; a key's whose ARN names the account) grant the principal itself:
 * - `session`: grants to its session (the session ARN, or `"*"`), which "are not limited by an implicit deny in
 *   an identity-based policy, a permissions boundary, or session policy" ("Policy evaluation logic";
 *   "Permissions boundaries for IAM entities"); a grant to the role's ARN is limited by the boundary;
 * - `direct`: grants that name the principal, not its account, which stand in for its identity policy; the
 *   account principal only delegates to IAM policies ("Key policies in AWS KMS"; iam-simulate agrees for buckets).
 * A policy of another account grants nothing without the identity policy ("Cross-account policy evaluation logic").
 */
function ownGrants(context: RequestContext, results: Evaluated[]): { session: Tri; direct: Evaluated[] } {
  const { principal } = context;
  if (!principal) return { session: false, direct: [] };
  const own = results.filter(({ policy }) =>
    policy.kind === 'key' ? context.resource.split(':')[4] === principal.account : policy.kind === 'resource' && !policy.mustAllow,
  );
  const grantsTo = (keep: (value: string) => boolean) =>
    own.map(({ policy }) => ({ policy, result: evaluatePolicy(narrowedGrants(policy.document, keep), context) }));
  return {
    session: strongest(grantsTo((v) => v === '*' || namesASession(principal, v)).map((r) => r.result.allow)),
    direct: grantsTo((v) => !namesAccount(principal, v)),
  };
}

/**
 * Decides one request against the policies that apply to it. The identity side is `identity` when given,
 * else taken as allowing (the action writes it to allow exactly Deep Lake's requests).
 */
export function authorize(context: RequestContext, policies: NamedPolicy[]): Decision {
  const results = policies.map((policy) => ({ policy, result: evaluatePolicy(policy.document, context) }));
  const denied = results.find((r) => r.result.deny === true);
  if (denied) return { decision: 'explicit-deny', policy: denied.policy, statement: denied.result.denyBy };
  // Every policy that must allow is asked before any unknown is returned: a certain implicit deny wins over a possible Deny.
  let unknown: Decision | undefined;
  const maybeDenied = results.find((r) => r.result.deny === 'unknown');
  if (maybeDenied) unknown = { decision: 'unknown', policy: maybeDenied.policy, statement: maybeDenied.result.denyBy, unknownSide: 'deny' };
  const { session, direct } = ownGrants(context, results);
  // Policies that must allow on their own: a KMS key policy, a permissions boundary (unless the session is granted).
  for (const { policy, result } of results) {
    if (policy.kind !== 'key' && policy.kind !== 'boundary' && !policy.mustAllow) continue;
    const allow = policy.kind === 'boundary' ? strongest([result.allow, session]) : result.allow;
    if (allow === false) return { decision: 'implicit-deny', policy };
    if (allow === 'unknown') unknown ??= { decision: 'unknown', policy, statement: result.allowBy, unknownSide: 'allow' };
  }
  const identity = results.find((r) => r.policy.kind === 'identity');
  if (identity && identity.result.allow !== true) {
    const resource = direct.find((r) => r.result.allow === true);
    if (resource) return unknown ?? { decision: 'allowed', policy: resource.policy, statement: resource.result.allowBy };
    const maybeResource = direct.find((r) => r.result.allow === 'unknown');
    if (identity.result.allow === false && !maybeResource) return { decision: 'implicit-deny', policy: identity.policy };
    const open = identity.result.allow === 'unknown' ? identity : (maybeResource ?? identity);
    unknown ??= { decision: 'unknown', policy: open.policy, statement: open.result.allowBy, unknownSide: 'allow' };
  }
  return unknown ?? { decision: 'allowed' };
}
