// The IAM evaluator: one for the product (the access check) and its tests (test-support/iam-policy.mjs).
export { conditionEntry, conditionHolds } from './condition.js';
export {
  type AddressSpace,
  ANY_VALUE,
  type Candidate,
  type KeyValue,
  lookup,
  PUBLIC_ADDRESS,
  type RequestContext,
  type RolePrincipal,
  sessionArn,
  type UnknownValue,
} from './context.js';
export {
  authorize,
  type Decision,
  evaluatePolicy,
  type NamedPolicy,
  type PolicyResult,
  type StatementRef,
  statementLabel,
} from './evaluate.js';
export { parseOperator } from './operators/index.js';
export { principalMatches } from './principal.js';
export { actionMatches, resourceMatches, statementApplies } from './statement.js';
export type { Decider, Outcome, Tri } from './tri.js';
export { resolve } from './variables.js';
export { arnMatches, arnWitness, globWitness } from './wildcard.js';
