// The deployer template (spec behaviour 14) on moto's CloudFormation: the action runs with its plan and apply
// roles through the OIDC exchange while moto checks every call, and every request of plan, apply, update,
// plan-destroy and destroy is evaluated against the documents the stack really deployed (moto checks actions
// only against "*": resources and conditions are the evaluator's). An apply without the boundary stops before
// any write, and the plan role cannot write.

import {
  CreateOpenIDConnectProviderCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  GetRoleCommand,
  TagRoleCommand,
  UntagRoleCommand,
} from '@aws-sdk/client-iam';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { STACK_NAME_PLACEHOLDER, TEMPLATE_FILE } from '../src/deployer.js';
import { clients, createBucket, createKey, createUserWithPolicy, readRole as readRoleAs } from '../test-support/aws-fixtures.mjs';
import { type Call, iamActionOf } from '../test-support/aws-proxy.mjs';
import { bucketOwners } from '../test-support/aws-rules.mjs';
import { evaluate } from '../test-support/iam-policy.mjs';
import { signIn, trustPolicyProblems } from '../test-support/web-identity.mjs';
import {
  attachedPolicies,
  type Document,
  deployDeployer,
  type DeployerOutputs as Outputs,
  policyDocument as policyDocumentOf,
  webIdentitySession,
} from './deployer-stack.js';
import { ACCOUNT, type Stack, startStack } from './stack.js';

const BUCKETS = ['kms-lake', 'plain-lake'];
const ROLE = 'activeloop-deeplake-access';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/${ROLE}`;
const REPOSITORY = 'octo-org/data-platform';
/** The main stack names the repository with its IDs (GitHub's immutable subject); the nested one by name. */
const REPOSITORY_WITH_IDS = 'octo-org@4242/data-platform@90210';

let stack: Stack;
let outputs: Outputs;
/** Session credentials of the plan and apply roles, from the OIDC exchange. */
const sessions: Record<'plan' | 'apply', Record<string, string>> = { plan: {}, apply: {} };
/** The permission documents as the stack deployed them, before the test widens them for moto. */
const deployed: { plan?: Document; apply?: Document; boundary?: Document } = {};
/** The deployer roles' tags, as deployed. */
const deployerTags: Record<string, { Key?: string; Value?: string }[]> = {};
/** Credentials moto accepts while it checks permissions, for reading back state. */
let admin: { accessKeyId: string; secretAccessKey: string };
/** A second stack: the Activeloop role at a nested RolePath, with another name (its policy name follows it). */
const NESTED = { role: 'team-lake', path: '/activeloop/team/' };
const nested = {} as { outputs: Outputs; plan: Document; apply: Document; sessions: Record<'plan' | 'apply', Record<string, string>> };
/** A third stack whose ActiveloopPolicyName is a prefix of the stack names. */
const hostile = { policyArns: [] } as unknown as { outputs: Outputs; apply: Document; policyArns: string[] };
const readRole = (name: string) => readRoleAs(stack.motoEndpoint, name, admin);

const deploy = (stackName: string, parameters: Record<string, string>) => deployDeployer(stack.motoEndpoint, stackName, parameters);
const policyDocument = (arn: string) => policyDocumentOf(stack.motoEndpoint, arn);

/** The role's permissions: every attached managed policy's ARN and document, and all their statements as one document. */
async function attachedDocument(roleArn: string): Promise<{ policies: { arn: string; document: Document }[]; document: Document }> {
  const policies = await attachedPolicies(stack.motoEndpoint, roleArn);
  // IAM evaluates a role's policies together: an Allow in any, unless a Deny in any.
  return { policies, document: { Statement: policies.flatMap((p) => p.document.Statement) } };
}

async function widenAllForMoto(role: { policies: { arn: string; document: Document }[] }): Promise<void> {
  for (const p of role.policies) await widenForMoto(p.arn, p.document);
}

/**
 * moto authorizes every call against the resource "*": for its check, the Allow statements get "*" (the
 * evaluator below proves the real resources and conditions). moto also checks S3's GET ?encryption and
 * ?location as s3:ListBucket, so the Denies of every action but the role's own (NotAction) and of every
 * bucket but the listed ones (NotResource) are left to the evaluator too, and so is the Deny of other accounts'
 * buckets (moto evaluates no condition: it would deny every S3 call).
 */
async function widenForMoto(arn: string, document: Document): Promise<void> {
  const forMoto = document.Statement.filter(
    (s) => s.Effect === 'Allow' || (s.Action !== undefined && s.Resource !== undefined && s.Condition === undefined),
  );
  const widened = {
    Version: '2012-10-17',
    Statement: [
      ...forMoto.map((s) => (s.Effect === 'Allow' ? { ...s, Resource: '*', Condition: undefined } : s)),
      { Sid: 'MotoChecksEncryptionReadsAsListBucket', Effect: 'Allow', Action: 's3:ListBucket', Resource: '*' },
    ],
  };
  const { iam } = clients(stack.motoEndpoint);
  await iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: JSON.stringify(widened), SetAsDefault: true }));
}

type Request = { action: string; resource: string; context: Record<string, string> };

/** The Activeloop role a stack is for, and the stack's own roles. */
interface Target {
  role: string;
  roleArn: string;
  deployers: string[];
}
const mainTarget = (): Target => ({ role: ROLE, roleArn: ROLE_ARN, deployers: [outputs.PlanRoleArn, outputs.ApplyRoleArn] });

/** The request IAM authorizes for a call; `boundary` is the Activeloop role's boundary at that moment (iam:PermissionsBoundary). */
function requestOf(call: Call, boundary: string | undefined, target: Target): Request {
  const [service, operation] = call.operation.split(':');
  const p = call.params;
  const iam = `arn:aws:iam::${ACCOUNT}`;
  // S3 sets aws:ResourceAccount to the bucket owner's account: the test's buckets are the account's own.
  if (service === 's3')
    return { action: iamActionOf(call.operation), resource: `arn:aws:s3:::${p.Bucket}`, context: { 'aws:ResourceAccount': ACCOUNT } };
  if (service === 'kms') return { action: call.operation, resource: '*', context: {} };
  if (p.RoleName && p.RoleName !== target.role) {
    // The deployer role reading its own tags.
    const deployer = target.deployers.find((arn) => arn.endsWith(`/${p.RoleName}`)) ?? `${iam}:role/${p.RoleName}`;
    return { action: call.operation, resource: deployer, context: {} };
  }
  if (p.RoleName) {
    const given = operation === 'CreateRole' || operation === 'PutRolePermissionsBoundary' ? p.PermissionsBoundary : boundary;
    const context: Record<string, string> = {};
    if (given) context['iam:PermissionsBoundary'] = given;
    if (p.PolicyArn) context['iam:PolicyARN'] = p.PolicyArn;
    return { action: call.operation, resource: target.roleArn, context };
  }
  if (operation === 'CreatePolicy')
    return { action: call.operation, resource: `${iam}:policy${p.Path ?? '/'}${p.PolicyName}`, context: {} };
  if (p.PolicyArn) return { action: call.operation, resource: p.PolicyArn, context: {} };
  return { action: call.operation, resource: '*', context: {} };
}

const describeRequest = (r: Request) =>
  `${r.action} on ${r.resource}${Object.keys(r.context).length ? ` ${JSON.stringify(r.context)}` : ''}`;

/**
 * Every call of the last run that the document does not allow, in order, following the boundary the
 * Activeloop role carries: `boundary` at the start, then whatever CreateRole or PutRolePermissionsBoundary gave it.
 */
function denied(
  document: Document,
  { calls = stack.proxy.calls, boundary, target = mainTarget() }: { calls?: Call[]; boundary?: string; target?: Target } = {},
): string[] {
  const out: string[] = [];
  let live = boundary;
  for (const call of calls.filter((c) => c.operation !== 'sts:GetCallerIdentity')) {
    const request = requestOf(call, live, target);
    if (evaluate(document, request) !== 'allow') out.push(describeRequest(request));
    if (['iam:CreateRole', 'iam:PutRolePermissionsBoundary'].includes(call.operation) && call.params.RoleName === target.role)
      live = call.params.PermissionsBoundary;
    if (call.operation === 'iam:DeleteRole') live = undefined;
  }
  return out;
}

/** Runs the action with a stack role's session, as the credentials of role-to-assume would be. */
function run(role: 'plan' | 'apply', inputs: Record<string, string>, event = { eventName: 'push', event: {} }) {
  return stack.run({ buckets: BUCKETS.join('\n'), ...inputs }, { env: sessions[role], ...event });
}

/**
 * The workflow's OIDC exchange for a stack role. Done before moto's permission checks are on: moto 5.2 answers
 * the unsigned AssumeRoleWithWebIdentity with an HTTP 500 once they are (the action's own exchange is tested
 * in e2e/provision.test.ts).
 */
async function exchange(roleArn: string): Promise<Record<string, string>> {
  return webIdentitySession(stack.motoEndpoint, roleArn);
}

const pullRequest = {
  eventName: 'pull_request',
  event: { pull_request: { number: 7, head: { repo: { full_name: REPOSITORY, fork: false } }, base: { repo: { full_name: REPOSITORY } } } },
};

beforeAll(async () => {
  stack = await startStack();
  await createKey(stack.motoEndpoint, 'lake');
  await createBucket(stack.motoEndpoint, 'kms-lake', { key: 'alias/lake' });
  await createBucket(stack.motoEndpoint, 'plain-lake');
  // A bucket of the account that the stacks' Buckets do not list.
  await createBucket(stack.motoEndpoint, 'analytics-lake');
  // The account already has GitHub's provider (one per account): the stack reuses it (CreateOidcProvider false;
  // moto has no AWS::IAM::OIDCProvider either).
  await clients(stack.motoEndpoint).iam.send(
    new CreateOpenIDConnectProviderCommand({ Url: 'https://token.actions.githubusercontent.com', ClientIDList: ['sts.amazonaws.com'] }),
  );
  outputs = await deploy('activeloop-deployer', {
    GitHubRepository: REPOSITORY_WITH_IDS,
    Buckets: BUCKETS.join(','),
    CreateOidcProvider: 'false',
    OffboardingEnvironment: 'offboarding',
  });
  const plan = await attachedDocument(outputs.PlanRoleArn);
  const apply = await attachedDocument(outputs.ApplyRoleArn);
  deployed.plan = plan.document;
  deployed.apply = apply.document;
  deployed.boundary = await policyDocument(outputs.BoundaryArn);
  for (const arn of [outputs.PlanRoleArn, outputs.ApplyRoleArn]) {
    const role = await clients(stack.motoEndpoint).iam.send(new GetRoleCommand({ RoleName: arn.split('/').pop() }));
    deployerTags[arn] = role.Role?.Tags ?? [];
  }
  const adminKeys = await createUserWithPolicy(stack.motoEndpoint, 'admin', {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
  });
  admin = { accessKeyId: adminKeys.AWS_ACCESS_KEY_ID, secretAccessKey: adminKeys.AWS_SECRET_ACCESS_KEY };
  sessions.plan = await exchange(outputs.PlanRoleArn);
  sessions.apply = await exchange(outputs.ApplyRoleArn);
  await widenAllForMoto(plan);
  await widenAllForMoto(apply);

  nested.outputs = await deploy('team-deployer', {
    GitHubRepository: REPOSITORY,
    DeployerName: 'team',
    Buckets: 'plain-lake',
    CreateOidcProvider: 'false',
    ActiveloopRoleName: NESTED.role,
    RolePath: NESTED.path,
  });
  const nestedPlan = await attachedDocument(nested.outputs.PlanRoleArn);
  const nestedApply = await attachedDocument(nested.outputs.ApplyRoleArn);
  nested.plan = nestedPlan.document;
  nested.apply = nestedApply.document;
  nested.sessions = { plan: await exchange(nested.outputs.PlanRoleArn), apply: await exchange(nested.outputs.ApplyRoleArn) };
  await widenAllForMoto(nestedPlan);
  await widenAllForMoto(nestedApply);
  // Hostile but valid: a policy name that is a prefix of both stacks' names (their own policies start with it).
  hostile.outputs = await deploy('activeloop-deployer-2', {
    GitHubRepository: REPOSITORY,
    DeployerName: 'activeloop-2',
    Buckets: 'plain-lake',
    CreateOidcProvider: 'false',
    ActiveloopPolicyName: 'activeloop-deployer',
  });
  hostile.apply = (await attachedDocument(hostile.outputs.ApplyRoleArn)).document;
  for (const role of [outputs, hostile.outputs].flatMap((o) => [o.PlanRoleArn, o.ApplyRoleArn]))
    hostile.policyArns.push(...(await attachedDocument(role)).policies.map((p) => p.arn));
  await stack.moto.enforcePermissions();
});

afterAll(async () => {
  await stack?.stop();
});

describe('the stack', () => {
  it('outputs the plan role, the apply role and the boundary, named from DeployerName as the README derives them', () => {
    const path = `arn:aws:iam::${ACCOUNT}:role/activeloop-role-action-deployer/`;
    expect(outputs.PlanRoleArn).toBe(`${path}activeloop-plan`);
    expect(outputs.ApplyRoleArn).toBe(`${path}activeloop-apply`);
    expect(outputs.BoundaryArn).toBe(`arn:aws:iam::${ACCOUNT}:policy/activeloop-role-action-deployer/activeloop-boundary`);
    expect(nested.outputs.ApplyRoleArn).toBe(`${path}team-apply`);
  });

  // moto deploys the trust policies but never evaluates them: what CloudFormation made of GitHubRepository
  // (split into names and IDs) is judged here with the claims GitHub signs (__tests__/trust.test.ts has every case).
  it("trusts the repository's pull requests and default branch for plans, and only the workflow file on the default branch and the offboarding environment for applies", async () => {
    const ISSUER = 'token.actions.githubusercontent.com';
    const trustOf = async (arn: string) => (await readRole(arn.split('/').pop() as string)).trust;
    const [plan, apply] = [await trustOf(outputs.PlanRoleArn), await trustOf(outputs.ApplyRoleArn)];
    const claims = (context: string, ref: string, extra: Record<string, string> = {}) => ({
      sub: `repo:octo-org@4242/data-platform@90210:${context}`,
      aud: 'sts.amazonaws.com',
      repository: REPOSITORY,
      repository_id: '90210',
      repository_owner_id: '4242',
      ref,
      job_workflow_ref: `${REPOSITORY}/.github/workflows/activeloop.yml@${ref}`,
      ...extra,
    });
    const sign = (trust: unknown, c: Record<string, string>) =>
      signIn(trust as { Statement: unknown[] }, { provider: `arn:aws:iam::${ACCOUNT}:oidc-provider/${ISSUER}`, issuer: ISSUER, claims: c });
    const push = claims('ref:refs/heads/main', 'refs/heads/main');
    const pr = claims('pull_request', 'refs/pull/7/merge');
    const offboard = claims('environment:offboarding', 'refs/heads/main', { environment: 'offboarding' });
    const bot = { ...push, job_workflow_ref: `${REPOSITORY}/.github/workflows/bot.yml@refs/heads/main` };
    const namesake = { ...push, sub: 'repo:octo-org@4242/data-platform@1:ref:refs/heads/main', repository_id: '1' };
    expect([push, pr, offboard, bot, namesake].map((c) => [sign(plan, c), sign(apply, c)])).toEqual([
      ['allow', 'allow'],
      ['allow', 'implicit-deny'],
      ['allow', 'allow'],
      ['allow', 'implicit-deny'],
      ['implicit-deny', 'implicit-deny'],
    ]);
    for (const trust of [plan, apply]) expect(trustPolicyProblems(trust as { Statement: unknown[] }, ISSUER)).toEqual([]);
  });

  it('gives the boundary S3 and KMS data access on the Buckets of the account only, and denies the rest outright', () => {
    const boundary = deployed.boundary as Document;
    const inAccount = { 'aws:ResourceAccount': ACCOUNT };
    const can = (action: string, resource: string, context: Record<string, string> = inAccount) =>
      evaluate(boundary, { action, resource, context });
    expect(can('s3:GetObject', 'arn:aws:s3:::kms-lake/a/b')).toBe('allow');
    expect(can('s3:ListBucket', 'arn:aws:s3:::plain-lake')).toBe('allow');
    expect(can('kms:Decrypt', '*', { 'kms:ViaService': 's3.us-east-1.amazonaws.com' })).toBe('allow');
    expect(can('s3:GetObject', 'arn:aws:s3:::kms-lake/a/b', { 'aws:ResourceAccount': '111122223333' })).toBe('deny');
    expect(can('s3:GetObject', 'arn:aws:s3:::other-bucket/a')).toBe('deny');
    expect(can('kms:Decrypt', '*', {})).toBe('deny');
    expect(can('iam:CreateRole', '*')).toBe('deny');
    expect(can('s3:PutBucketPolicy', 'arn:aws:s3:::kms-lake')).toBe('deny');
  });
});

describe('runs with the stack roles, moto checking every call', () => {
  it('plans a pull request with the plan role: every request allowed by the deployed plan policy', async () => {
    stack.proxy.clear();
    const result = await run('plan', { mode: 'plan', 'permissions-boundary': outputs.BoundaryArn }, pullRequest);
    expect(result.errors).toEqual([]);
    expect(result.outputs.changed).toBe('true');
    expect(stack.proxy.mutating()).toEqual([]);
    expect(stack.proxy.calls.map((c) => c.operation)).toContain('iam:GetRole');
    expect(denied(deployed.plan as Document)).toEqual([]);
    // No external-id yet: Activeloop's account is trusted without one, and the run says so.
    expect(result.warnings.filter((w) => w.includes('confused deputy'))).toHaveLength(1);
    expect(result.summary).toContain('without external-id');
  });

  it('tells a pull request from a fork that GitHub gives it no OIDC token, before any AWS call', async () => {
    stack.proxy.clear();
    const result = await stack.run(
      { buckets: 'plain-lake', mode: 'plan', 'role-to-assume': outputs.PlanRoleArn },
      {
        eventName: 'pull_request',
        event: {
          pull_request: { head: { repo: { full_name: 'someone/data-platform', fork: true } }, base: { repo: { full_name: REPOSITORY } } },
        },
      },
    );
    expect(result.code).toBe(1);
    expect(result.errors[0]).toContain('pull request from the fork someone/data-platform');
    expect(result.errors[0]).not.toContain('Add "permissions: id-token: write"');
    expect(stack.proxy.calls).toEqual([]);
  });

  it("plans with an empty permissions-boundary: the stack's boundary, learned from the role's tag and logged (spec behaviour 16)", async () => {
    stack.proxy.clear();
    const result = await run('plan', { mode: 'plan', 'permissions-boundary': '' }, pullRequest);
    expect(result.errors).toEqual([]);
    expect(result.stdout).toContain(`permissions-boundary: ${outputs.BoundaryArn}, the deployer stack's boundary`);
    expect(result.summary).toContain(`| permissions boundary | \`${outputs.BoundaryArn}\` |`);
    expect(stack.proxy.mutating()).toEqual([]);
    expect(denied(deployed.plan as Document)).toEqual([]);
  });

  it('refuses an apply whose permissions-boundary is another policy before any write, naming the input and the ARN', async () => {
    stack.proxy.clear();
    const result = await run('apply', { 'permissions-boundary': `arn:aws:iam::${ACCOUNT}:policy/wide-open` });
    expect(result.code).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toContain(`Input 'permissions-boundary' must be ${outputs.BoundaryArn} or empty`);
    expect(result.errors[0]).toContain(`not arn:aws:iam::${ACCOUNT}:policy/wide-open`);
    expect(stack.proxy.mutating()).toEqual([]);
    expect(await readRole(ROLE)).toBeUndefined();
  });

  describe("a bucket beyond the stack's Buckets fails before any write, naming the stack update (spec behaviour 16)", () => {
    // The role the runs sign in with names the stack: by a tag, or (earlier template) by its generated name.
    const stackName = () =>
      deployerTags[outputs.ApplyRoleArn].find((t) => t.Key === 'activeloop-role-action:stack-name')?.Value ??
      (/-ApplyRole-/.test(outputs.ApplyRoleArn) ? 'activeloop-deployer' : STACK_NAME_PLACEHOLDER);
    const command = () =>
      `aws cloudformation deploy --stack-name ${stackName()} --template-file ${TEMPLATE_FILE} --capabilities CAPABILITY_NAMED_IAM ` +
      '--no-fail-on-empty-changeset --parameter-overrides Buckets=kms-lake,plain-lake,analytics-lake';

    it.each([
      ['a pull request plan, plan role', 'plan', { mode: 'plan' }, pullRequest],
      ['mode auto on a pull request, plan role', 'plan', { mode: 'auto' }, pullRequest],
      ['an apply, apply role', 'apply', {}, { eventName: 'push', event: {} }],
      ['mode auto on a push, apply role', 'apply', { mode: 'auto' }, { eventName: 'push', event: {} }],
      ['a scheduled reconcile, apply role', 'apply', { mode: 'auto' }, { eventName: 'schedule', event: {} }],
    ] as const)('%s: exit code 1, no write', async (_case, role, extra, event) => {
      stack.proxy.clear();
      const result = await run(role, { buckets: 'kms-lake\nanalytics-lake/team', ...extra }, event);
      expect(result.code).toBe(1);
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0]).toContain(`permissions boundary ${outputs.BoundaryArn} does not cover the bucket analytics-lake`);
      expect(result.errors[0]).toContain(command());
      expect(result.summary).toContain(command());
      expect(stack.proxy.mutating()).toEqual([]);
    });

    it('tells a bucket the boundary does not cover in the access check too, with the same stack update, for other credentials', async () => {
      stack.proxy.clear();
      const result = await stack.run(
        { buckets: 'kms-lake\nanalytics-lake', mode: 'plan', 'permissions-boundary': outputs.BoundaryArn },
        { env: { AWS_ACCESS_KEY_ID: admin.accessKeyId, AWS_SECRET_ACCESS_KEY: admin.secretAccessKey } },
      );
      expect(result.errors).toEqual([]);
      const access = JSON.parse(result.outputs.access) as Record<string, Record<string, { state: string; fix?: string }>>;
      expect(access['kms-lake'].list.state).toBe('allowed');
      expect(access['analytics-lake'].list.state).toBe('blocked');
      // Not from a stack role: the stack's name is not known, and the words say how to find it.
      const words =
        "Add analytics-lake to the deployer stack's Buckets (its permissions boundary), other parameters keeping their values " +
        `(activeloop-deployer.yml is the template file README step 1 downloads): aws cloudformation deploy --stack-name ${STACK_NAME_PLACEHOLDER} `;
      for (const capability of ['list', 'read', 'write']) expect(access['analytics-lake'][capability].fix).toContain(words);
      expect(access['analytics-lake'].read.fix).toContain('--parameter-overrides Buckets=kms-lake,plain-lake,analytics-lake');
      expect(result.summary).toContain(words);
    });
  });

  describe("a bucket of another account, listed in the stack's Buckets, fails before any write: the boundary never allows it", () => {
    // S3 answers 403 to ExpectedBucketOwner of another account than the bucket's (the proxy's rule); moto's own
    // buckets all belong to its one account.
    it.each([
      ['a pull request plan, plan role, access check on', 'plan', { mode: 'plan' }, pullRequest],
      ['a pull request plan, plan role, access-check off', 'plan', { mode: 'plan', 'access-check': 'off' }, pullRequest],
      ['an apply, apply role, access-check off', 'apply', { 'access-check': 'off' }, { eventName: 'push', event: {} }],
    ] as const)('%s: exit code 1, naming the bucket, no write', async (_case, role, extra, event) => {
      stack.proxy.clear();
      stack.proxy.rules.push(bucketOwners({ 'kms-lake': '210987654321' }));
      const result = await run(role, { buckets: 'kms-lake\nplain-lake', ...extra }, event);
      expect(result.code).toBe(1);
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0]).toContain("The bucket kms-lake of input 'buckets' belongs to another AWS account than the credentials'");
      expect(result.errors[0]).toContain(`permissions boundary ${outputs.BoundaryArn} never allows a bucket of another account`);
      expect(result.errors[0]).toContain('no stack update changes that');
      expect(result.errors[0]).not.toContain('plain-lake');
      expect(result.errors[0]).not.toContain('aws cloudformation deploy');
      expect(stack.proxy.mutating()).toEqual([]);
      // The owner came from the one Requester Pays read per bucket (with ExpectedBucketOwner, then without for kms-lake).
      const payment = stack.proxy.calls.filter((c) => iamActionOf(c.operation) === 's3:GetBucketRequestPayment');
      expect(
        payment
          .filter((c) => c.params.ExpectedBucketOwner === ACCOUNT)
          .map((c) => c.params.Bucket)
          .sort(),
      ).toEqual(['kms-lake', 'plain-lake']);
      if ('access-check' in extra) {
        // With the check off only the owner is read: no region or Object Ownership read for it.
        expect(stack.proxy.calls.filter((c) => iamActionOf(c.operation) === 's3:GetBucketOwnershipControls')).toEqual([]);
      }
      stack.proxy.clear();
    });
  });

  describe('cors: true with a stack whose ManageCors is false fails before any write, naming the input and the stack update', () => {
    // The template tags its roles with activeloop-role-action:manage-cors (ManageCors is false here, its default);
    // until that template is merged, the test tags the roles as the stack would, as admin.
    const TAG = 'activeloop-role-action:manage-cors';
    const added: string[] = [];
    beforeAll(async () => {
      for (const arn of [outputs.PlanRoleArn, outputs.ApplyRoleArn]) {
        const name = arn.split('/').pop() as string;
        const tags = (await clients(stack.motoEndpoint, admin).iam.send(new GetRoleCommand({ RoleName: name }))).Role?.Tags ?? [];
        const value = tags.find((t) => t.Key === TAG)?.Value;
        expect(value === undefined || value === 'false').toBe(true);
        if (value === undefined) {
          await clients(stack.motoEndpoint, admin).iam.send(new TagRoleCommand({ RoleName: name, Tags: [{ Key: TAG, Value: 'false' }] }));
          added.push(name);
        }
      }
    });
    afterAll(async () => {
      for (const name of added) await clients(stack.motoEndpoint, admin).iam.send(new UntagRoleCommand({ RoleName: name, TagKeys: [TAG] }));
    });

    it.each([
      ['a pull request plan, plan role', 'plan', { mode: 'plan' }, pullRequest],
      ['an apply, apply role', 'apply', {}, { eventName: 'push', event: {} }],
    ] as const)('%s', async (_case, role, extra, event) => {
      stack.proxy.clear();
      const result = await run(role, { cors: 'true', ...extra }, event);
      expect(result.code).toBe(1);
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0]).toContain("Input 'cors' is true, but the deployer stack's ManageCors is false");
      expect(result.errors[0]).toContain(
        'aws cloudformation deploy --stack-name activeloop-deployer --template-file activeloop-deployer.yml --capabilities CAPABILITY_NAMED_IAM --no-fail-on-empty-changeset --parameter-overrides ManageCors=true',
      );
      expect(result.errors[0]).toContain('or set cors: false');
      expect(stack.proxy.mutating()).toEqual([]);
      // cors: false passes the same stack.
      stack.proxy.clear();
      const plain = await run('plan', { mode: 'plan', cors: 'false' }, pullRequest);
      expect(plain.errors).toEqual([]);
    });
  });

  it('refuses a role-to-assume without an account ID (ACTIVELOOP_AWS_ACCOUNT_ID unset) before any AWS call', async () => {
    stack.proxy.clear();
    const result = await stack.run(
      {
        buckets: 'plain-lake',
        mode: 'plan',
        'role-to-assume': 'arn:aws:iam:::role/activeloop-role-action-deployer/activeloop-plan',
        'allowed-account-ids': '',
      },
      pullRequest,
    );
    expect(result.code).toBe(1);
    expect(result.errors).toEqual([
      expect.stringMatching(
        /^::error::Input 'role-to-assume': the ARN has no account ID, most likely because the repository variable ACTIVELOOP_AWS_ACCOUNT_ID is not set \(Settings → Secrets and variables → Actions → Variables/,
      ),
    ]);
    expect(stack.proxy.calls).toEqual([]);
  });

  it("would be refused by the apply role's own policy too: CreateRole without the boundary, or with another, is denied", () => {
    const apply = deployed.apply as Document;
    const createRole = (context: Record<string, string>) => evaluate(apply, { action: 'iam:CreateRole', resource: ROLE_ARN, context });
    expect(createRole({})).toBe('implicit-deny');
    expect(createRole({ 'iam:PermissionsBoundary': `arn:aws:iam::${ACCOUNT}:policy/wide-open` })).toBe('implicit-deny');
    expect(createRole({ 'iam:PermissionsBoundary': outputs.BoundaryArn })).toBe('allow');
  });

  it('applies with the boundary: the role carries it, every request allowed by the deployed apply policy', async () => {
    stack.proxy.clear();
    const result = await run('apply', { 'permissions-boundary': outputs.BoundaryArn, 'external-id': 'wizard-123' });
    expect(result.errors).toEqual([]);
    expect(result.warnings.filter((w) => w.includes('confused deputy'))).toEqual([]);
    // Upgrading: the boundary the stack's role already names need not be repeated.
    expect(result.warnings.filter((w) => w.includes(`permissions-boundary repeats the deployer stack's boundary`))).toHaveLength(1);
    const role = await readRole(ROLE);
    expect(role.PermissionsBoundary?.PermissionsBoundaryArn).toBe(outputs.BoundaryArn);
    const calls = [...stack.proxy.calls];
    expect(calls.map((c) => c.operation)).toEqual(expect.arrayContaining(['iam:CreatePolicy', 'iam:CreateRole', 'iam:AttachRolePolicy']));
    expect(denied(deployed.apply as Document)).toEqual([]);
    // The narrowed boundary still allows every request Deep Lake makes: the access check, which evaluates it,
    // blocks no data capability (web-app is the buckets' CORS rule, which cors: true would set). The boundary's Deny
    // of other accounts' buckets (aws:ResourceAccount) is decided: the Requester Pays read with ExpectedBucketOwner
    // told that each bucket is the account's own.
    const access = JSON.parse(result.outputs.access) as Record<string, Record<string, { state: string }>>;
    expect(Object.keys(access).sort()).toEqual(BUCKETS);
    const states = Object.entries(access).flatMap(([bucket, verdicts]) =>
      ['list', 'read', 'write', 'kms'].map((capability) => `${bucket} ${capability} ${verdicts[capability]?.state}`),
    );
    expect(states.filter((s) => !/ (allowed|not-applicable)$/.test(s))).toEqual([]);
    expect(states).toContain('kms-lake kms allowed');
    expect(states).toContain('plain-lake write allowed');
  });

  it('the plan role cannot write: moto refuses the first write, and the deployed plan policy allows none of an apply', async () => {
    const applyCalls = [...stack.proxy.calls];
    const writes = applyCalls.filter((c) => c.mutating);
    expect(writes.length).toBeGreaterThan(2);
    expect(denied(deployed.plan as Document, { calls: writes, boundary: outputs.BoundaryArn })).toHaveLength(writes.length);
    stack.proxy.clear();
    // mode apply (the default) with the plan role's session.
    const result = await run('plan', { 'permissions-boundary': outputs.BoundaryArn, 'external-id': 'wizard-123', tags: 'team=ml' });
    expect(result.code).toBe(1);
    // The first write (tagging the policy) is refused, and nothing after it is tried.
    expect(stack.proxy.calls.filter((c) => c.mutating).map((c) => c.operation)).toEqual(['iam:TagPolicy']);
    expect(result.errors[0]).toMatch(/denied|AccessDenied/);
    // It says what to check in the stack, not the README's generic list.
    expect(result.errors[0]).toContain("mode apply needs the stack's apply role (role-to-assume: its ApplyRoleArn output");
    expect(result.errors[0]).not.toContain('permissions listed in the README');
    expect((await readRole(ROLE)).tags.team).toBeUndefined();
  });

  it('updates (another bucket list, tags) and re-plans in sync, every request allowed', async () => {
    stack.proxy.clear();
    const update = await run('apply', {
      buckets: 'kms-lake',
      tags: 'team=ml',
      'permissions-boundary': outputs.BoundaryArn,
      'external-id': 'wizard-123',
    });
    expect(update.errors).toEqual([]);
    expect(JSON.parse(update.outputs.plan).map((c: { action: string }) => c.action)).toEqual(['update-policy', 'tag-role']);
    expect(denied(deployed.apply as Document, { boundary: outputs.BoundaryArn })).toEqual([]);
    stack.proxy.clear();
    const again = await run(
      'plan',
      { buckets: 'kms-lake', tags: 'team=ml', mode: 'plan', 'permissions-boundary': outputs.BoundaryArn, 'external-id': 'wizard-123' },
      pullRequest,
    );
    expect(again.errors).toEqual([]);
    expect(again.outputs.changed).toBe('false');
    expect(denied(deployed.plan as Document)).toEqual([]);
  });

  it('previews destroy with the plan role and destroys with the apply role, every request allowed', async () => {
    stack.proxy.clear();
    const preview = await run('plan', { buckets: 'kms-lake', mode: 'plan-destroy' });
    expect(preview.errors).toEqual([]);
    expect(stack.proxy.mutating()).toEqual([]);
    expect(denied(deployed.plan as Document)).toEqual([]);
    stack.proxy.clear();
    const destroyed = await run('apply', { buckets: 'kms-lake', mode: 'destroy' });
    expect(destroyed.errors).toEqual([]);
    expect(destroyed.outputs.changed).toBe('true');
    expect(denied(deployed.apply as Document, { boundary: outputs.BoundaryArn })).toEqual([]);
    expect(await readRole(ROLE)).toBeUndefined();
  });

  it('takes over a role made before the template, without a boundary: the boundary goes on first, then every other change', async () => {
    const { iam } = clients(stack.motoEndpoint, admin);
    await iam.send(
      new CreateRoleCommand({
        RoleName: ROLE,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::597713067985:role/activeloop_backend' }, Action: 'sts:AssumeRole' },
          ],
        }),
        Tags: [{ Key: 'managed-by', Value: 'activeloop-role-action' }],
      }),
    );
    stack.proxy.clear();
    const result = await run('apply', { 'permissions-boundary': outputs.BoundaryArn, 'external-id': 'wizard-123' });
    expect(result.errors).toEqual([]);
    const actions = JSON.parse(result.outputs.plan).map((c: { action: string }) => c.action);
    expect(actions[0]).toBe('set-permissions-boundary');
    expect(stack.proxy.mutating()[0]).toBe('iam:PutRolePermissionsBoundary');
    expect((await readRole(ROLE)).PermissionsBoundary?.PermissionsBoundaryArn).toBe(outputs.BoundaryArn);
    expect(denied(deployed.apply as Document, { boundary: undefined })).toEqual([]);
  });
});

describe('a stack for a role at a nested RolePath', () => {
  const target = (): Target => ({
    role: NESTED.role,
    roleArn: `arn:aws:iam::${ACCOUNT}:role${NESTED.path}${NESTED.role}`,
    deployers: [nested.outputs.PlanRoleArn, nested.outputs.ApplyRoleArn],
  });
  const inputs = () => ({
    buckets: 'plain-lake',
    'role-name': NESTED.role,
    'role-path': NESTED.path,
    'permissions-boundary': nested.outputs.BoundaryArn,
  });

  it.each([
    ['plan', 'plan', { mode: 'plan' }],
    ['apply', 'apply', {}],
    ['plan-destroy', 'plan', { mode: 'plan-destroy' }],
    ['destroy', 'apply', { mode: 'destroy' }],
  ] as const)('%s: every request allowed by its deployed documents', async (step, role, extra) => {
    stack.proxy.clear();
    const result = await stack.run({ ...inputs(), ...extra }, { env: nested.sessions[role] });
    expect(result.errors).toEqual([]);
    expect(stack.proxy.calls.length).toBeGreaterThan(3);
    const applied = step === 'destroy' || step === 'plan-destroy';
    expect(
      denied(role === 'plan' ? nested.plan : nested.apply, {
        target: target(),
        boundary: applied ? nested.outputs.BoundaryArn : undefined,
      }),
    ).toEqual([]);
  });

  it("grants nothing on the other stack's role, nor on a role of the same name at another path", () => {
    const can = (action: string, resource: string) =>
      evaluate(nested.apply, { action, resource, context: { 'iam:PermissionsBoundary': nested.outputs.BoundaryArn } });
    expect(can('iam:UpdateAssumeRolePolicy', target().roleArn)).toBe('allow');
    expect(can('iam:UpdateAssumeRolePolicy', ROLE_ARN)).toBe('implicit-deny');
    expect(can('iam:UpdateAssumeRolePolicy', `arn:aws:iam::${ACCOUNT}:role/${NESTED.role}`)).toBe('implicit-deny');
    expect(can('iam:CreatePolicyVersion', `arn:aws:iam::${ACCOUNT}:policy${NESTED.path}${NESTED.role}-s3`)).toBe('allow');
    expect(can('iam:CreatePolicyVersion', `arn:aws:iam::${ACCOUNT}:policy/${NESTED.role}-s3`)).toBe('implicit-deny');
  });
});

describe('what the apply role can never do, by its deployed policy', () => {
  const apply = () => deployed.apply as Document;
  const can = (action: string, resource: string, context: Record<string, string> = {}) => evaluate(apply(), { action, resource, context });

  it('changes no role but the Activeloop role, and that one only with the boundary on it', () => {
    expect(can('iam:CreateRole', `arn:aws:iam::${ACCOUNT}:role/admin`, { 'iam:PermissionsBoundary': outputs.BoundaryArn })).toBe(
      'implicit-deny',
    );
    expect(can('iam:UpdateAssumeRolePolicy', ROLE_ARN)).toBe('implicit-deny');
    expect(can('iam:UpdateAssumeRolePolicy', ROLE_ARN, { 'iam:PermissionsBoundary': outputs.BoundaryArn })).toBe('allow');
    expect(can('iam:AttachRolePolicy', ROLE_ARN, { 'iam:PolicyARN': `arn:aws:iam::${ACCOUNT}:policy/${ROLE}-s3` })).toBe('implicit-deny');
    expect(
      can('iam:AttachRolePolicy', ROLE_ARN, {
        'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess',
        'iam:PermissionsBoundary': outputs.BoundaryArn,
      }),
    ).toBe('implicit-deny');
  });

  it('never removes a boundary, never changes the boundary policy, never a policy below its policy name', () => {
    expect(can('iam:DeleteRolePermissionsBoundary', ROLE_ARN, { 'iam:PermissionsBoundary': outputs.BoundaryArn })).toBe('deny');
    expect(can('iam:CreatePolicyVersion', outputs.BoundaryArn)).toBe('deny');
    expect(can('iam:CreatePolicyVersion', `arn:aws:iam::${ACCOUNT}:policy/${ROLE}-s3-2`)).toBe('allow');
    expect(can('iam:CreatePolicyVersion', `arn:aws:iam::${ACCOUNT}:policy/${ROLE}-s3-x/team/Admin`)).toBe('implicit-deny');
    expect(can('iam:CreatePolicyVersion', `arn:aws:iam::${ACCOUNT}:policy/other/${ROLE}-s3`)).toBe('implicit-deny');
  });

  const inAccount = { 'aws:ResourceAccount': ACCOUNT };

  it('writes no CORS rule with ManageCors left at false, not even on the Buckets', () => {
    expect(can('s3:PutBucketCORS', 'arn:aws:s3:::kms-lake', inAccount)).toBe('deny');
    expect(can('s3:PutBucketCORS', 'arn:aws:s3:::other-bucket', inAccount)).toBe('deny');
    expect(can('s3:GetBucketCORS', 'arn:aws:s3:::kms-lake', inAccount)).toBe('allow');
  });

  it('reads bucket settings (policy, CORS, encryption) of the Buckets of the account only, with either role', () => {
    for (const document of [apply(), deployed.plan as Document]) {
      for (const action of ['s3:GetBucketPolicy', 's3:GetBucketCORS', 's3:GetEncryptionConfiguration']) {
        const at = (resource: string, context: Record<string, string>) => [action, evaluate(document, { action, resource, context })];
        expect(at('arn:aws:s3:::plain-lake', inAccount)).toEqual([action, 'allow']);
        expect(at('arn:aws:s3:::payroll-exports', inAccount)).toEqual([action, 'deny']);
        // A listed name whose bucket belongs to another account (deleted and re-created there), or no account known.
        expect(at('arn:aws:s3:::plain-lake', { 'aws:ResourceAccount': '111122223333' })).toEqual([action, 'deny']);
        expect(at('arn:aws:s3:::plain-lake', {})).toEqual([action, 'deny']);
      }
    }
  });
});

/**
 * An independent evaluator's verdict (@cloud-copilot/iam-simulate, AGPL-3.0, tests only): the identity policy,
 * and the permissions boundary when the principal has one.
 */
async function simulate(identity: Document, action: string, resource: string, context: Record<string, string> = {}, boundary?: Document) {
  const response = await runSimulation(
    {
      identityPolicies: [{ name: 'identity', policy: identity }],
      permissionBoundaryPolicies: boundary ? [{ name: 'boundary', policy: boundary }] : undefined,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: undefined,
      request: {
        action,
        principal: `arn:aws:iam::${ACCOUNT}:role/${boundary ? ROLE : 'deployer'}`,
        resource: { accountId: ACCOUNT, resource },
        contextVariables: context,
      },
    } as Parameters<typeof runSimulation>[0],
    {},
  );
  if (response.resultType === 'error') throw new Error(JSON.stringify(response.errors));
  return response.overallResult;
}

describe('an independent evaluator agrees (iam-simulate)', () => {
  it("on the apply role's boundary conditions", async () => {
    const apply = deployed.apply as Document;
    const bounded = { 'iam:PermissionsBoundary': outputs.BoundaryArn };
    expect(await simulate(apply, 'iam:CreateRole', ROLE_ARN, bounded)).toBe('Allowed');
    expect(await simulate(apply, 'iam:CreateRole', ROLE_ARN)).toBe('ImplicitlyDenied');
    expect(await simulate(apply, 'iam:UpdateAssumeRolePolicy', ROLE_ARN)).toBe('ImplicitlyDenied');
    expect(await simulate(apply, 'iam:DeleteRolePermissionsBoundary', ROLE_ARN, bounded)).toBe('ExplicitlyDenied');
    expect(await simulate(apply, 'iam:CreatePolicyVersion', outputs.BoundaryArn)).toBe('ExplicitlyDenied');
    expect(await simulate(apply, 'iam:CreateRole', `arn:aws:iam::${ACCOUNT}:role/admin`, bounded)).toBe('ImplicitlyDenied');
  });

  it('that an Activeloop role under the boundary, whatever policy it is given, reaches only the Buckets and no IAM', async () => {
    const anything: Document = { Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
    const boundary = deployed.boundary as Document;
    const inAccount = { 'aws:ResourceAccount': ACCOUNT };
    expect(await simulate(anything, 's3:GetObject', 'arn:aws:s3:::kms-lake/data/chunk', inAccount, boundary)).toBe('Allowed');
    expect(await simulate(anything, 's3:GetObject', 'arn:aws:s3:::other-bucket/data', inAccount, boundary)).toBe('ExplicitlyDenied');
    expect(await simulate(anything, 'iam:CreateUser', `arn:aws:iam::${ACCOUNT}:user/backdoor`, {}, boundary)).toBe('ExplicitlyDenied');
    expect(await simulate(anything, 's3:PutBucketPolicy', 'arn:aws:s3:::kms-lake', inAccount, boundary)).toBe('ExplicitlyDenied');
  });
});

describe('the deployer roles name their boundary', () => {
  it('in a tag each may read on itself only, beside the stack name and its ManageCors', () => {
    for (const arn of [outputs.PlanRoleArn, outputs.ApplyRoleArn]) {
      expect(deployerTags[arn]).toEqual([
        { Key: 'activeloop-role-action:permissions-boundary', Value: outputs.BoundaryArn },
        { Key: 'activeloop-role-action:stack-name', Value: 'activeloop-deployer' },
        { Key: 'activeloop-role-action:manage-cors', Value: 'false' },
      ]);
    }
    expect(evaluate(deployed.apply as Document, { action: 'iam:GetRole', resource: outputs.ApplyRoleArn })).toBe('allow');
    expect(evaluate(deployed.apply as Document, { action: 'iam:GetRole', resource: outputs.PlanRoleArn })).toBe('implicit-deny');
    expect(evaluate(deployed.plan as Document, { action: 'iam:GetRole', resource: outputs.PlanRoleArn })).toBe('allow');
  });
});

describe("the apply role cannot write the stacks' own roles and policies, whatever the parameters", () => {
  const WRITES = ['iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:DeletePolicyVersion', 'iam:DeletePolicy', 'iam:TagPolicy'];

  it('lives at its own IAM path: both roles, their policies and the boundary', () => {
    for (const arn of [outputs.PlanRoleArn, outputs.ApplyRoleArn]) expect(arn).toContain(':role/activeloop-role-action-deployer/');
    expect(outputs.BoundaryArn).toContain(':policy/activeloop-role-action-deployer/');
    expect(hostile.policyArns.length).toBeGreaterThan(4);
    for (const arn of hostile.policyArns) expect(arn).toContain(':policy/activeloop-role-action-deployer/');
  });

  it('with ActiveloopPolicyName a prefix of the stack names: no write on any deployed policy of either stack, by the deployed documents', () => {
    const policies = [outputs, hostile.outputs].flatMap((o) => [o.PlanRoleArn, o.ApplyRoleArn]);
    const arns = [outputs.BoundaryArn, hostile.outputs.BoundaryArn, ...hostile.policyArns];
    for (const document of [hostile.apply, deployed.apply as Document]) {
      const allowed = arns.flatMap((resource) => WRITES.filter((action) => evaluate(document, { action, resource }) === 'allow'));
      expect(allowed).toEqual([]);
    }
    const roleWrites = policies.filter(
      (arn) =>
        evaluate(hostile.apply, {
          action: 'iam:UpdateAssumeRolePolicy',
          resource: arn,
          context: { 'iam:PermissionsBoundary': hostile.outputs.BoundaryArn },
        }) === 'allow',
    );
    expect(roleWrites).toEqual([]);
    // Its own policy and numbered ones stay writable; a customer's <policy-name>-readonly does not.
    const at = (name: string) => `arn:aws:iam::${ACCOUNT}:policy/${name}`;
    expect(evaluate(hostile.apply, { action: 'iam:CreatePolicyVersion', resource: at('activeloop-deployer') })).toBe('allow');
    expect(evaluate(hostile.apply, { action: 'iam:CreatePolicyVersion', resource: at('activeloop-deployer-10') })).toBe('allow');
    expect(evaluate(hostile.apply, { action: 'iam:CreatePolicyVersion', resource: at('activeloop-deployer-readonly') })).toBe(
      'implicit-deny',
    );
  });
});
