// @ts-check
// The tests' view of the repository's one IAM evaluator (src/iam/): moto checks IAM actions only against "*",
// so the documented permission policies are proved here against each real request (action, resource ARN,
// condition keys). An identity policy, a request whose context holds exactly the keys given (any other key
// is absent), and IAM's "Policy evaluation logic": an explicit Deny wins, otherwise an Allow is needed.
import { evaluatePolicy, conditionHolds as holds } from '../src/iam/index.js';

/** @typedef {{ action: string, resource: string, context?: Record<string, string | string[]> }} Request */

/** @param {Request} request */
const contextOf = (request) => ({ action: request.action, resource: request.resource, keys: request.context ?? {} });

/** Whether a statement's Condition holds for a request context. @param {Record<string, Record<string, unknown>> | undefined} condition @param {Record<string, string | string[]>} context */
export function conditionHolds(condition, context) {
  return holds(condition, { action: '', resource: '', keys: context }).value === true;
}

/**
 * 'allow', 'deny' (an explicit Deny) or 'implicit-deny' for one request against an identity policy.
 * @param {{ Statement: any[] | any }} policy @param {Request} request
 * @returns {'allow' | 'deny' | 'implicit-deny'}
 */
export function evaluate(policy, request) {
  const result = evaluatePolicy(policy, contextOf(request));
  // With every key known, nothing is unknown; say so loudly if it ever is.
  if (result.deny === 'unknown' || result.allow === 'unknown') throw new Error(`iam-policy: ${request.action} could not be decided`);
  if (result.deny === true) return 'deny';
  return result.allow === true ? 'allow' : 'implicit-deny';
}
