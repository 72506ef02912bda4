// @ts-check
// Resolves the deployer template (bootstrap/activeloop-deployer.yml) for given parameter values, as
// CloudFormation would: the intrinsic functions it uses (Ref, Fn::Sub, Fn::If, Fn::Join, Fn::Split, Fn::Select, Fn::GetAtt,
// Fn::Equals, Fn::Not) and the names CloudFormation generates (CloudFormation User Guide, "Name type": the stack
// name, the logical ID and a random suffix, cut to the resource type's length limit). Tests evaluate the
// documents it gives for parameter values moto cannot deploy or does not check (sizes, other partitions).

const ROLE_NAME_MAX = 64;
const POLICY_NAME_MAX = 128;

/**
 * @typedef {{ partition?: string, account?: string, region?: string, stackName?: string }} Environment
 * @typedef {{ arn: string, document: any, roles: string[] }} ResolvedPolicy
 * @typedef {{ where: string, type: 'identity' | 'trust', document: any }} ResolvedDocument
 */

/**
 * Every role's ARN and trust policy (parsed), every managed policy's ARN and document, and the outputs, for the
 * parameter values (defaults filled in); `documents` is every policy document the stack writes: managed, inline
 * and role trust policies.
 * @param {any} template @param {Record<string, string>} values @param {Environment} [env]
 * @returns {{ roles: Record<string, string>, policies: Record<string, ResolvedPolicy>, trust: Record<string, any>, outputs: Record<string, string>, documents: ResolvedDocument[] }}
 */
export function resolveTemplate(template, values, env = {}) {
  const partition = env.partition ?? 'aws';
  const account = env.account ?? '123456789012';
  const stackName = env.stackName ?? 'activeloop-deployer';
  /** @type {Record<string, string>} */
  const params = {};
  for (const [name, p] of Object.entries(template.Parameters)) {
    const value = values[name] ?? p.Default;
    if (value === undefined) throw new Error(`cloudformation: parameter ${name} needs a value`);
    if (p.AllowedPattern && !new RegExp(p.AllowedPattern).test(value))
      throw new Error(`cloudformation: ${name}=${value} fails AllowedPattern`);
    if (p.MaxLength !== undefined && value.length > Number(p.MaxLength))
      throw new Error(`cloudformation: ${name} is longer than MaxLength`);
    params[name] = value;
  }
  const pseudo = {
    'AWS::Partition': partition,
    'AWS::AccountId': account,
    'AWS::Region': env.region ?? 'us-east-1',
    'AWS::StackName': stackName,
  };
  /** @type {Record<string, boolean>} */
  const conditions = {};
  /** A generated physical name (the worst case: the random part is 12 characters). @param {string} id @param {number} max */
  const generated = (id, max) => `${stackName}-${id}-`.slice(0, max - 13) + 'ABCDEFGHIJKL'.slice(0, 12);
  /** @param {string} id */
  const arnOf = (id) => {
    const r = template.Resources[id];
    const path = r.Properties.Path ?? '/';
    if (r.Type === 'AWS::IAM::Role')
      return `arn:${partition}:iam::${account}:role${path}${r.Properties.RoleName ? resolve(r.Properties.RoleName) : generated(id, ROLE_NAME_MAX)}`;
    if (r.Type === 'AWS::IAM::ManagedPolicy')
      return `arn:${partition}:iam::${account}:policy${path}${r.Properties.ManagedPolicyName ? resolve(r.Properties.ManagedPolicyName) : generated(id, POLICY_NAME_MAX)}`;
    throw new Error(`cloudformation: no ARN for ${r.Type}`);
  };
  /** @param {string} name */
  const ref = (name) => {
    if (name in params) return params[name];
    if (name in pseudo) return pseudo[/** @type {keyof typeof pseudo} */ (name)];
    // Ref gives a role's name and a managed policy's ARN.
    if (template.Resources[name]?.Type === 'AWS::IAM::Role') return arnOf(name).split('/').pop();
    if (name in template.Resources) return arnOf(name);
    throw new Error(`cloudformation: unresolved Ref ${name}`);
  };
  /** @param {any} node @returns {any} */
  const resolve = (node) => {
    if (Array.isArray(node)) return node.map(resolve);
    if (!node || typeof node !== 'object') return node;
    const [key] = Object.keys(node);
    const arg = node[key];
    if (key === 'Ref') return ref(arg);
    if (key === 'Fn::GetAtt') return arnOf(arg[0]);
    if (key === 'Fn::If') return conditions[arg[0]] ? resolve(arg[1]) : resolve(arg[2]);
    if (key === 'Fn::Equals') return resolve(arg[0]) === resolve(arg[1]);
    if (key === 'Fn::Not') return !resolve(arg[0]);
    if (key === 'Fn::Join') return resolve(arg[1]).join(arg[0]);
    if (key === 'Fn::Split') return resolve(arg[1]).split(arg[0]);
    if (key === 'Fn::Select') {
      const list = resolve(arg[1]);
      // CloudFormation fails the stack on an index out of range.
      if (!(arg[0] < list.length)) throw new Error(`cloudformation: Fn::Select ${arg[0]} out of range`);
      return list[arg[0]];
    }
    if (key === 'Fn::Sub') {
      const [text, vars] = Array.isArray(arg) ? arg : [arg, {}];
      const local = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, resolve(v)]));
      return text.replace(/\$\{([^}!]+)\}/g, (/** @type {string} */ _, /** @type {string} */ name) =>
        name in local ? local[name] : name.endsWith('.Arn') ? arnOf(name.slice(0, -4)) : ref(name),
      );
    }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolve(v)]));
  };
  for (const [name, c] of Object.entries(template.Conditions ?? {})) conditions[name] = resolve(c);
  /** @type {Record<string, string>} */
  const roles = {};
  /** @type {Record<string, any>} */
  const trust = {};
  /** @type {Record<string, ResolvedPolicy>} */
  const policies = {};
  /** @type {ResolvedDocument[]} */
  const documents = [];
  // A document given as JSON text (Fn::Sub of a string) is parsed, as CloudFormation passes it to IAM.
  /** @param {any} node */
  const documentOf = (node) => {
    const value = resolve(node);
    return typeof value === 'string' ? JSON.parse(value) : value;
  };
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Condition && !conditions[r.Condition]) continue;
    if (r.Type === 'AWS::IAM::Role') {
      roles[id] = arnOf(id);
      trust[id] = documentOf(r.Properties.AssumeRolePolicyDocument);
    }
    if (r.Type === 'AWS::IAM::ManagedPolicy')
      policies[id] = { arn: arnOf(id), document: resolve(r.Properties.PolicyDocument), roles: (r.Properties.Roles ?? []).map(resolve) };
    if (r.Properties?.AssumeRolePolicyDocument)
      documents.push({
        where: `${id}.AssumeRolePolicyDocument`,
        type: 'trust',
        document: trust[id] ?? documentOf(r.Properties.AssumeRolePolicyDocument),
      });
    if (r.Properties?.PolicyDocument)
      documents.push({ where: `${id}.PolicyDocument`, type: 'identity', document: documentOf(r.Properties.PolicyDocument) });
    for (const [i, p] of (r.Properties?.Policies ?? []).entries())
      documents.push({ where: `${id}.Policies[${i}]`, type: 'identity', document: documentOf(p.PolicyDocument) });
  }
  /** @type {Record<string, string>} */
  const outputs = Object.fromEntries(Object.entries(template.Outputs ?? {}).map(([k, o]) => [k, resolve(/** @type {any} */ (o).Value)]));
  return { roles, policies, trust, outputs, documents };
}

/** A managed policy's size as IAM counts it against its quota: the JSON text without whitespace. @param {any} document */
export const policySize = (document) => JSON.stringify(document).replace(/\s+/g, '').length;
