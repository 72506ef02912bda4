// Everything that knows the deployer stack (bootstrap/activeloop-deployer.yml, spec behaviours 14 to 16): its
// roles' tags, names and path, its permissions boundary as the ceiling of the buckets, and its hints. Pure.

import { ActionError, isAccessDenied, PERMISSIONS_HINT } from './errors.js';
import { evaluatePolicy } from './iam/index.js';
import { type Access, type BucketGrant, type Mode, writes } from './inputs.js';
import type { PolicyDocument } from './policy.js';

/** The IAM path of the stack's roles and boundary. */
export const DEPLOYER_PATH = '/activeloop-role-action-deployer/';
/** The stack roles' tag naming the boundary their Activeloop role must carry (its value: the boundary's ARN). */
export const DEPLOYER_BOUNDARY_TAG_KEY = 'activeloop-role-action:permissions-boundary';
/**
 * Tags that name the stack on its roles: the template's own (a role tag's value may be `!Ref AWS::StackName`),
 * then the one CloudFormation adds to resources it propagates stack tags to ("CloudFormation resource tagging"),
 * which IAM roles may lack.
 */
export const STACK_NAME_TAG_KEYS = ['activeloop-role-action:stack-name', 'aws:cloudformation:stack-name'];
/** The template the stack update names, as the README's command does. */
export const TEMPLATE_FILE = 'bootstrap/activeloop-deployer.yml';
/** Stands for the stack's name in a command when the role does not tell it. */
export const STACK_NAME_PLACEHOLDER = 'YOUR-DEPLOYER-STACK';

// The deployer template's DeployerName pattern, so a role ARN derived here is one the stack can have made.
export const DEPLOYER_NAME = /^[A-Za-z0-9+=,.@_-]{1,50}$/;
/** The template's default DeployerName. */
export const DEFAULT_DEPLOYER_NAME = 'activeloop';

/** The ARN of a deployer stack's plan or apply role in an account: `arn:<partition>:iam::<account>:role/activeloop-role-action-deployer/<DeployerName>-<kind>`. */
export function deployerRoleArn(account: string, kind: 'plan' | 'apply', deployerName = DEFAULT_DEPLOYER_NAME, partition = 'aws'): string {
  return `arn:${partition}:iam::${account}:role${DEPLOYER_PATH}${deployerName}-${kind}`;
}

/** The ARN of a deployer stack's permissions boundary: `<DeployerName>-boundary` at the deployer's path. */
export function deployerBoundaryArn(account: string, deployerName = DEFAULT_DEPLOYER_NAME, partition = 'aws'): string {
  return `arn:${partition}:iam::${account}:policy${DEPLOYER_PATH}${deployerName}-boundary`;
}

/** The caller's own role, as read back (its name, path and tags). */
export interface CallerRole {
  name: string;
  path: string;
  tags: Record<string, string>;
}

/** The deployer stack whose role the credentials are. */
export interface DeployerStack {
  /** The stack's role the run signed in with. */
  roleName: string;
  /** The boundary the role's tag names: the one every Activeloop role it makes must carry. */
  boundaryArn: string;
  /** The stack's name, when the role's tags tell it. */
  stackName?: string;
}

/** The stack the caller's role belongs to, by its boundary tag; undefined for any other credentials. */
export function deployerOf(role: CallerRole | undefined): DeployerStack | undefined {
  const boundaryArn = role?.tags[DEPLOYER_BOUNDARY_TAG_KEY];
  if (!role || !boundaryArn) return undefined;
  // The earlier template's generated names (<stack>-ApplyRole-<suffix>) carry the stack's name too.
  const generated = /^(.+)-(?:Plan|Apply)Role-[A-Za-z0-9]+$/.exec(role.name)?.[1];
  const tagged = STACK_NAME_TAG_KEYS.map((key) => role.tags[key]).find(Boolean);
  return { roleName: role.name, boundaryArn, stackName: tagged || generated };
}

/** Whether a policy ARN is a deployer stack's boundary (its path), whoever runs the action. */
export function isDeployerBoundary(arn: string | undefined): boolean {
  return !!arn && arn.includes(`:policy${DEPLOYER_PATH}`);
}

/**
 * The boundary the Activeloop role gets (spec behaviour 16): with a stack role, an empty permissions-boundary
 * is the stack's boundary (the apply role may create the role only with it); another one is refused before any
 * write. Other credentials keep the input.
 */
export function boundaryFor(
  permissionsBoundary: string | undefined,
  stack: DeployerStack | undefined,
  callerArn: string,
): { boundary?: string; notice?: string } {
  if (!stack || permissionsBoundary === stack.boundaryArn) return { boundary: permissionsBoundary };
  if (!permissionsBoundary) {
    return {
      boundary: stack.boundaryArn,
      notice: `permissions-boundary: ${stack.boundaryArn}, the deployer stack's boundary (named by the tag ${DEPLOYER_BOUNDARY_TAG_KEY} of the role ${stack.roleName} these credentials come from).`,
    };
  }
  const named = permissionsBoundary.split(':')[4];
  const account = callerArn.split(':')[4];
  const otherAccount = named && account && named !== account ? ` (of account ${named}; the credentials are of account ${account})` : '';
  throw new ActionError(
    `Input 'permissions-boundary' must be ${stack.boundaryArn} or empty: the credentials (${callerArn}) come from the deployer template's role, which may create or change the Activeloop role only with that permissions boundary, not ${permissionsBoundary}${otherAccount}. ` +
      "Nothing was changed. Leave permissions-boundary empty (the stack's boundary is then used), or set it to that ARN.",
  );
}

/**
 * The stack's Buckets as its boundary names them ('*' when any bucket): the bucket ARNs of the S3 Deny's
 * NotResource (the template's boundary denies S3 outside the Buckets), else of the S3 Allows' Resource (an
 * earlier template's boundary allowed the Buckets only).
 */
export function boundaryBuckets(boundary: PolicyDocument): string[] | '*' {
  const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
  const statements = Array.isArray(boundary.Statement) ? boundary.Statement : [boundary.Statement];
  // Statements of S3 (a KMS statement's "*" is no bucket).
  const s3 = statements.filter((s) => list(s?.Action).some((a) => /^(s3:|\*$)/i.test(a)));
  const denied = s3.filter((s) => s.Effect === 'Deny' && s.NotResource !== undefined).flatMap((s) => list(s.NotResource));
  const arns = denied.length ? denied : s3.filter((s) => s.Effect === 'Allow').flatMap((s) => list(s.Resource));
  const out = new Set<string>();
  for (const r of arns) {
    if (r === '*' || /^arn:[\w-]+:s3:::\*$/.test(r)) return '*';
    const bucket = /^arn:[\w-]+:s3:::([^/*?]+)$/.exec(r)?.[1];
    if (bucket) out.add(bucket);
  }
  return [...out];
}

/**
 * The buckets of the workflow that the boundary does not cover: Deep Lake's requests (list the bucket, read and,
 * with read-write, write an object under each prefix) that the boundary does not allow, decided by the
 * repository's IAM evaluator. A request it cannot decide counts as covered: the access check says unknown there.
 */
export function uncoveredBuckets(
  boundary: PolicyDocument,
  buckets: BucketGrant[],
  context: { partition: string; account: string; access: Access },
): string[] {
  return buckets
    .filter(({ bucket, prefixes }) => {
      const s3 = `arn:${context.partition}:s3:::${bucket}`;
      const objects = (prefixes.length ? prefixes : ['']).map((p) => `${s3}/${p ? `${p}/` : ''}deeplake-dataset/chunks/0`);
      const requests = [
        { action: 's3:ListBucket', resource: s3 },
        ...objects.map((resource) => ({ action: 's3:GetObject', resource })),
        ...(context.access === 'read-write' ? objects.map((resource) => ({ action: 's3:PutObject', resource })) : []),
      ];
      return requests.some(({ action, resource }) => {
        const result = evaluatePolicy(boundary, {
          action,
          resource,
          keys: { 'aws:ResourceAccount': context.account, 'aws:PrincipalAccount': context.account, 'aws:SecureTransport': 'true' },
        });
        return result.deny === true || result.allow === false;
      });
    })
    .map((b) => b.bucket);
}

/**
 * The stack update that adds buckets to the stack's Buckets parameter: one sentence and the command, used by the
 * plan's failure and by the access check's fix alike. `aws cloudformation deploy` keeps the previous value of
 * every parameter --parameter-overrides leaves out (it passes UsePreviousValue for them; aws/aws-cli#2599).
 */
export function stackUpdate(
  stack: Pick<DeployerStack, 'stackName' | 'roleName'> | undefined,
  current: string[] | '*',
  add: string[],
): string {
  const buckets = [...new Set([...(current === '*' ? [] : current), ...add])];
  const name = stack?.stackName ?? STACK_NAME_PLACEHOLDER;
  const command =
    `aws cloudformation deploy --stack-name ${name} --template-file ${TEMPLATE_FILE} --capabilities CAPABILITY_NAMED_IAM ` +
    `--no-fail-on-empty-changeset --parameter-overrides Buckets=${buckets.join(',')}`;
  const unnamed = stack?.stackName
    ? ''
    : ` (${STACK_NAME_PLACEHOLDER}: the name of the deployer stack${stack ? `; aws cloudformation describe-stack-resources --physical-resource-id ${stack.roleName} tells it` : ''})`;
  const over = buckets.length > 30 ? ' The stack takes at most 30 buckets (or *): at more, drop some or use separate stacks.' : '';
  return `Add ${add.join(', ')} to the deployer stack's Buckets (its permissions boundary), other parameters keeping their values: ${command}${unnamed}.${over}`;
}

/**
 * For the access check: when the role's boundary is a deployer stack's (the caller's stack's, or any at the stack's
 * path), the stack update that adds each bucket it does not cover (the same words as the plan's failure), by bucket.
 */
export function stackFixes(
  boundary: { arn: string; document: PolicyDocument },
  stack: DeployerStack | undefined,
  buckets: BucketGrant[],
  context: { partition: string; account: string; access: Access },
): Record<string, string> | undefined {
  if (stack?.boundaryArn !== boundary.arn && !isDeployerBoundary(boundary.arn)) return undefined;
  const uncovered = uncoveredBuckets(boundary.document, buckets, context);
  const fix = stackUpdate(stack, boundaryBuckets(boundary.document), uncovered);
  return Object.fromEntries(uncovered.map((bucket) => [bucket, fix]));
}

/** The plan fails: a workflow bucket the stack's boundary does not cover (spec behaviour 16). */
export function ceilingError(stack: DeployerStack, boundary: PolicyDocument, uncovered: string[]): ActionError {
  const one = uncovered.length === 1;
  return new ActionError(
    `The deployer stack's permissions boundary ${stack.boundaryArn} does not cover ${one ? 'the bucket' : 'the buckets'} ${uncovered.join(', ')} of input 'buckets': ` +
      `the Activeloop role could not use ${one ? 'it' : 'them'}, whatever its policy says. Nothing was changed. ` +
      `${stackUpdate(stack, boundaryBuckets(boundary), uncovered)} Or remove ${one ? 'it' : 'them'} from buckets.`,
  );
}

/**
 * A denied call made with a deployer template role: what to check there instead of the README's generic list.
 * Other errors, and other credentials, pass unchanged.
 */
export function withDeployerHint<E>(error: E, deployerBoundary: string | undefined, mode: Mode): E | ActionError {
  if (!deployerBoundary || !(error instanceof ActionError) || !isAccessDenied(error.cause)) return error;
  const role = writes(mode)
    ? `mode ${mode} needs the stack's apply role (role-to-assume: its ApplyRoleArn output, <DeployerName>-apply; the plan role only reads)`
    : `mode ${mode} needs the stack's plan or apply role (its PlanRoleArn or ApplyRoleArn output)`;
  const hint =
    `The credentials come from the deployer template's role (${TEMPLATE_FILE}): ${role}, and ` +
    "role-name, policy-name, role-path and every bucket must match the stack's ActiveloopRoleName, ActiveloopPolicyName, RolePath and Buckets parameters (update the stack to change them).";
  const message = error.message.includes(PERMISSIONS_HINT) ? error.message.replace(PERMISSIONS_HINT, hint) : `${error.message} ${hint}`;
  return new ActionError(message, { cause: error.cause });
}

/**
 * Upgrading from the earlier template (generated role names, a boundary passed by hand): what to change, as
 * warnings. The run itself goes on: those roles and inputs still work.
 */
export function upgradeWarnings(
  inputs: { roleToAssume?: string; permissionsBoundary?: string },
  stack: DeployerStack | undefined,
): string[] {
  const out: string[] = [];
  const roleName = inputs.roleToAssume?.split('/').pop() ?? '';
  if (inputs.roleToAssume?.includes(`:role${DEPLOYER_PATH}`) && /-(?:Plan|Apply)Role-[A-Za-z0-9]+$/.test(roleName)) {
    const kind = /-PlanRole-/.test(roleName) ? 'plan' : 'apply';
    out.push(
      `role-to-assume ${inputs.roleToAssume} is a role of the earlier deployer template (a name CloudFormation generated). ` +
        'Update the stack to the current template (its roles are <DeployerName>-plan and <DeployerName>-apply), set the repository variable ACTIVELOOP_AWS_ACCOUNT_ID, and derive the role: ' +
        `role-to-assume: arn:aws:iam::\${{ vars.ACTIVELOOP_AWS_ACCOUNT_ID }}:role${DEPLOYER_PATH}activeloop-${kind} (with DeployerName activeloop); ` +
        'the variables ACTIVELOOP_PLAN_ROLE_ARN, ACTIVELOOP_APPLY_ROLE_ARN and ACTIVELOOP_BOUNDARY_ARN are then no longer needed.',
    );
  }
  if (stack && inputs.permissionsBoundary === stack.boundaryArn) {
    out.push(
      `permissions-boundary repeats the deployer stack's boundary ${stack.boundaryArn}: leave it empty, the action learns it from the stack's role (and the ACTIVELOOP_BOUNDARY_ARN variable can go).`,
    );
  }
  return out;
}

/** The claims of GitHub's OIDC token that trust policies test (spec behaviour 15). */
export interface TokenClaims {
  sub?: string;
  aud?: string;
  iss?: string;
  repository?: string;
  repository_id?: string;
  repository_owner_id?: string;
  ref?: string;
  environment?: string;
  job_workflow_ref?: string;
  event_name?: string;
}

/**
 * The GitHubRepository parameter the stack needs for the repository the token names: the sub's own form when
 * it carries the immutable IDs (OWNER@OWNER_ID/REPO@REPO_ID), else OWNER/REPO; with a customized sub (GitHub's
 * OIDC subject customization), from the repository claims.
 */
export function gitHubRepositoryFor(claims: TokenClaims): string | undefined {
  const withIds = /^repo:([A-Za-z0-9-]+@\d+\/[A-Za-z0-9._-]+@\d+):/.exec(claims.sub ?? '')?.[1];
  if (withIds) {
    const names = withIds.replace(/@\d+/g, '');
    return `${withIds} (the form this token's sub carries; ${names} works too, but then trusts a repository recreated under that name)`;
  }
  const plain = /^repo:([A-Za-z0-9-]+\/[A-Za-z0-9._-]+):/.exec(claims.sub ?? '')?.[1];
  if (plain) return `${plain} (the form this token's sub carries)`;
  if (!claims.repository) return undefined;
  const [owner, repo] = claims.repository.split('/');
  const ids =
    claims.repository_owner_id && claims.repository_id
      ? `${owner}@${claims.repository_owner_id}/${repo}@${claims.repository_id}`
      : undefined;
  return `${ids ?? claims.repository} (this token's sub is customized, so the stack trusts it by the repository claims${ids ? `; ${claims.repository} works too` : ''})`;
}

const PULL_REQUEST_EVENTS = ['pull_request', 'pull_request_target'];

/** What else to hold the claims against in the stack, for a refused AssumeRoleWithWebIdentity. */
export function signInChecks(claims: TokenClaims, roleArn: string, audience: string): string[] {
  const roleName = roleArn.split('/').pop() ?? '';
  const apply = /-apply$|-ApplyRole-/.test(roleName);
  const plan = /-plan$|-PlanRole-/.test(roleName);
  const checks: string[] = [];
  if (claims.aud !== undefined && claims.aud !== audience)
    checks.push(`the token's aud (${claims.aud}) is not the audience input (${audience})`);
  const issuer = claims.iss?.replace(/^https:\/\//, '');
  if (!roleArn.includes(`:role${DEPLOYER_PATH}`)) {
    // A role made some other way: what its trust policy must say, in its own terms.
    if (issuer)
      checks.push(
        `the role's trust policy must allow the federated principal oidc-provider/${issuer} with ${issuer}:aud ${audience} and a condition on ${issuer}:sub that ${claims.sub ?? 'the sub'} meets`,
      );
    return checks;
  }
  if (issuer) checks.push(`the stack's GitHubOidcIssuer must be ${issuer}`);
  const event = claims.event_name ?? '';
  if (apply && PULL_REQUEST_EVENTS.includes(event))
    checks.push(
      `a ${event} run signs in with the stack's plan role (${roleName.replace(/-apply$/, '-plan')}), not the apply role, which trusts only the WorkflowFile on the default branch (and the OffboardingEnvironment)`,
    );
  else if (plan && event && !PULL_REQUEST_EVENTS.includes(event) && event !== 'schedule')
    checks.push(
      `a ${event} run signs in with the stack's apply role (${roleName.replace(/-plan$/, '-apply')}); the plan role trusts pull requests and the default branch's scheduled runs`,
    );
  const workflow = /^[^/]+\/[^/]+\/(.+)@(.+)$/.exec(claims.job_workflow_ref ?? '');
  if (workflow && !PULL_REQUEST_EVENTS.includes(event))
    checks.push(`the apply role trusts one workflow file, the stack's WorkflowFile: this job runs ${workflow[1]} at ${workflow[2]}`);
  if (claims.ref && !PULL_REQUEST_EVENTS.includes(event)) checks.push(`the stack's DefaultBranch must be the branch of ref ${claims.ref}`);
  if (claims.environment)
    checks.push(
      `the job runs in the environment ${claims.environment}: the apply role trusts only the stack's OffboardingEnvironment there`,
    );
  return checks;
}
