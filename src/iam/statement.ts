// Whether a statement applies to a request (IAM User Guide, "IAM JSON policy elements"): its Action (or
// NotAction) names the action, without case; its Resource (or NotResource) names the resource, ARNs part by
// part with policy variables replaced; its Principal covers the requester (resource-based policies); its
// Condition holds.
import { type ConditionBlock, conditionHolds } from './condition.js';
import type { RequestContext } from './context.js';
import { type PrincipalElement, principalMatches } from './principal.js';
import { all, any, FALSE, not, type Outcome, TRUE, tri } from './tri.js';
import { literalPattern, resolve } from './variables.js';
import { arnMatches, globMatches } from './wildcard.js';

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny' | string;
  Principal?: PrincipalElement;
  NotPrincipal?: PrincipalElement;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: ConditionBlock;
}

// Only called on an element the statement has (Action, NotAction, Resource, NotResource).
const asList = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : [String(v)]);

/** Whether one Action value names the action: service prefix and name without case, * and ? as wildcards. */
export function actionMatches(pattern: string, action: string): boolean {
  return globMatches(literalPattern(pattern), action, true);
}

/** Whether one Resource value names the resource: "*" everything, else an ARN matched part by part. */
export function resourceMatches(pattern: string, context: RequestContext): Outcome {
  if (pattern === '*') return TRUE;
  const r = resolve(pattern, context);
  if (r.kind === 'unknown') return { value: 'unknown', decider: { key: r.key, operator: 'Resource', values: [pattern] } };
  return tri(r.kind === 'pattern' && arnMatches(r.pattern, context.resource));
}

function actionOutcome(s: Statement, action: string): Outcome {
  if (s.Action !== undefined) return tri(asList(s.Action).some((a) => actionMatches(a, action)));
  if (s.NotAction !== undefined) return tri(!asList(s.NotAction).some((a) => actionMatches(a, action)));
  return FALSE;
}

function resourceOutcome(s: Statement, context: RequestContext): Outcome {
  if (s.Resource !== undefined) return any(asList(s.Resource).map((r) => resourceMatches(r, context)));
  if (s.NotResource !== undefined) return not(any(asList(s.NotResource).map((r) => resourceMatches(r, context))));
  return FALSE;
}

/** Whether the statement applies to the request: action, resource, principal and condition all hold. */
export function statementApplies(s: Statement, context: RequestContext): Outcome {
  return all(
    (function* () {
      yield actionOutcome(s, context.action);
      yield resourceOutcome(s, context);
      yield principalMatches(s, context.principal);
      yield conditionHolds(s.Condition, context);
    })(),
  );
}
