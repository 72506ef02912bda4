// @ts-check
// A small IAM policy evaluator for tests: moto checks IAM actions only against "*", so the documented
// permission policies are proved here against each real request (action, resource ARN, condition keys).
// It follows the IAM User Guide's "Policy evaluation logic" for identity policies: an explicit Deny wins,
// otherwise an Allow is needed. Wildcards follow "IAM JSON policy elements": * and ? in Action
// (case-insensitive) and Resource (case-sensitive, * crossing '/'); the condition operators below.

/** @typedef {{ action: string, resource: string, context?: Record<string, string> }} Request */

/** @param {unknown} v @returns {string[]} */
const list = (v) => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/** A glob of IAM's * and ? as a regular expression. @param {string} pattern @param {boolean} caseless */
function glob(pattern, caseless) {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, caseless ? 'i' : '');
}

/** @type {Record<string, (value: string, pattern: string) => boolean>} */
const OPERATORS = {
  StringEquals: (v, p) => v === p,
  StringNotEquals: (v, p) => v !== p,
  StringLike: (v, p) => glob(p, false).test(v),
  StringNotLike: (v, p) => !glob(p, false).test(v),
  ArnEquals: (v, p) => v === p,
  ArnLike: (v, p) => glob(p, false).test(v),
  ArnNotLike: (v, p) => !glob(p, false).test(v),
};

/** Whether a statement's Condition holds for the request. @param {Record<string, Record<string, unknown>> | undefined} condition @param {Record<string, string>} context */
export function conditionHolds(condition, context) {
  for (const [rawOperator, block] of Object.entries(condition ?? {})) {
    const ifExists = rawOperator.endsWith('IfExists');
    const operator = ifExists ? rawOperator.slice(0, -'IfExists'.length) : rawOperator;
    const test = OPERATORS[operator];
    if (!test) throw new Error(`iam-policy: condition operator ${rawOperator} is not supported here`);
    const negated = operator.includes('Not');
    for (const [key, patterns] of Object.entries(block)) {
      const value = Object.entries(context).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
      // A missing key: ...IfExists and negated operators match, the others do not.
      if (value === undefined) {
        if (ifExists || negated) continue;
        return false;
      }
      const values = list(patterns);
      const ok = negated ? values.every((p) => test(value, p)) : values.some((p) => test(value, p));
      if (!ok) return false;
    }
  }
  return true;
}

/** @param {any} statement @param {Request} request */
function statementMatches(statement, request) {
  const actionOk = statement.Action
    ? list(statement.Action).some((a) => glob(a, true).test(request.action))
    : !list(statement.NotAction).some((a) => glob(a, true).test(request.action));
  const resourceOk = statement.Resource
    ? list(statement.Resource).some((r) => glob(r, false).test(request.resource))
    : !list(statement.NotResource).some((r) => glob(r, false).test(request.resource));
  return actionOk && resourceOk && conditionHolds(statement.Condition, request.context ?? {});
}

/**
 * 'allow', 'deny' (an explicit Deny) or 'implicit-deny' for one request against an identity policy.
 * @param {{ Statement: any[] | any }} policy @param {Request} request
 * @returns {'allow' | 'deny' | 'implicit-deny'}
 */
export function evaluate(policy, request) {
  const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
  const matching = statements.filter((s) => statementMatches(s, request));
  if (matching.some((s) => s.Effect === 'Deny')) return 'deny';
  return matching.some((s) => s.Effect === 'Allow') ? 'allow' : 'implicit-deny';
}
