// The deployer holds against the account around it (issue 24). Bucket, KMS key, role-trust and Secrets Manager
// secret policies that grant to "*" with an aws:PrincipalAccount, aws:PrincipalOrgID or aws:PrincipalTag
// condition (which organizations write often, and which every requester below satisfies) need no identity
// Allow within the account, and an implicit deny in a permissions boundary does not limit what they grant to a
// role session (IAM User Guide, "Permissions boundaries for IAM entities", resource-based policies; "Policy
// evaluation logic"). Every such request is generated for three requesters and judged by
// @cloud-copilot/iam-simulate (AGPL-3.0, tests only) against the documents the stack deployed on moto, read
// back from IAM: the Activeloop role after a compromised workflow rewrote its policy to "*" on "*" (the
// boundary on), the plan role and the apply role. Our own evaluator (src/iam/) must find the same explicit Deny.
// Deep Lake's own requests on the listed buckets stay allowed.
import { CreateOpenIDConnectProviderCommand } from '@aws-sdk/client-iam';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { authorize, type NamedPolicy } from '../src/iam/index.js';
import { clients } from '../test-support/aws-fixtures.mjs';
import { attachedPolicies, type DeployerOutputs, type Document, deployDeployer, policyDocument } from './deployer-stack.js';
import { ACCOUNT, type Stack, startStack } from './stack.js';

const OTHER_ACCOUNT = '111122223333';
const ORG = 'o-a1b2c3d4e5';
const LISTED = ['lake-a', 'lake-b'];
const ACTIVELOOP_ROLE = `arn:aws:iam::${ACCOUNT}:role/activeloop-deeplake-access`;
const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const VIA_S3 = { 'kms:ViaService': 's3.us-east-1.amazonaws.com' };

/** Conditions on "*" that each requester satisfies: its account, its organization, a tag it carries. */
const CONDITIONS: Record<string, Record<string, Record<string, string>>> = {
  'aws:PrincipalAccount': { StringEquals: { 'aws:PrincipalAccount': ACCOUNT } },
  'aws:PrincipalOrgID': { StringEquals: { 'aws:PrincipalOrgID': ORG } },
  'aws:PrincipalTag': { StringEquals: { 'aws:PrincipalTag/team': 'ml' } },
};

type Request = { action: string; resource: string; context?: Record<string, string>; resourceAccount?: string };
/** A resource whose policy grants to "*", and the requests it would let through. */
interface Granting {
  kind: 'bucket' | 'key' | 'role trust' | 'secret';
  resource: string;
  requests: Request[];
}

const object = (bucket: string) => `arn:aws:s3:::${bucket}/datasets/chunk-0`;
/** Requests no requester may make, whatever a resource policy grants. */
function forbidden(): Granting[] {
  return [
    {
      kind: 'bucket',
      resource: 'arn:aws:s3:::payroll-exports',
      requests: [
        { action: 's3:GetObject', resource: object('payroll-exports') },
        { action: 's3:PutObject', resource: object('payroll-exports') },
        { action: 's3:DeleteObject', resource: object('payroll-exports') },
        { action: 's3:ListBucket', resource: 'arn:aws:s3:::payroll-exports' },
        { action: 's3:PutBucketPolicy', resource: 'arn:aws:s3:::payroll-exports' },
        { action: 's3:PutBucketCORS', resource: 'arn:aws:s3:::payroll-exports' },
      ],
    },
    {
      // A listed bucket: its configuration and policy are never the roles' to change.
      kind: 'bucket',
      resource: `arn:aws:s3:::${LISTED[0]}`,
      requests: [
        { action: 's3:PutBucketPolicy', resource: `arn:aws:s3:::${LISTED[0]}` },
        { action: 's3:DeleteBucketPolicy', resource: `arn:aws:s3:::${LISTED[0]}` },
        { action: 's3:PutBucketAcl', resource: `arn:aws:s3:::${LISTED[0]}` },
        { action: 's3:DeleteBucket', resource: `arn:aws:s3:::${LISTED[0]}` },
        { action: 's3:PutObjectAcl', resource: object(LISTED[0]) },
        { action: 's3:DeleteObjectVersion', resource: object(LISTED[0]) },
      ],
    },
    {
      kind: 'key',
      resource: KEY,
      requests: [
        { action: 'kms:Decrypt', resource: KEY },
        { action: 'kms:GenerateDataKey', resource: KEY },
        { action: 'kms:Decrypt', resource: KEY, context: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' } },
        { action: 'kms:Encrypt', resource: KEY, context: VIA_S3 },
        { action: 'kms:CreateGrant', resource: KEY },
        { action: 'kms:PutKeyPolicy', resource: KEY },
        { action: 'kms:ScheduleKeyDeletion', resource: KEY },
      ],
    },
    {
      kind: 'role trust',
      resource: `arn:aws:iam::${ACCOUNT}:role/admin`,
      requests: [
        { action: 'sts:AssumeRole', resource: `arn:aws:iam::${ACCOUNT}:role/admin` },
        { action: 'sts:TagSession', resource: `arn:aws:iam::${ACCOUNT}:role/admin` },
      ],
    },
    {
      kind: 'secret',
      resource: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/db-AbCdEf`,
      requests: [
        { action: 'secretsmanager:GetSecretValue', resource: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/db-AbCdEf` },
        { action: 'secretsmanager:PutSecretValue', resource: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/db-AbCdEf` },
      ],
    },
  ];
}

/** The resource policy: everything of the requests' services to "*", under one condition. */
function grantingPolicy(granting: Granting, condition: Record<string, Record<string, string>>): Document & { Statement: unknown[] } {
  const actions = [...new Set(granting.requests.map((r) => `${r.action.split(':')[0]}:*`))];
  const resources = [...new Set([granting.resource, ...granting.requests.map((r) => r.resource)])];
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: '*', Action: actions, Resource: resources, Condition: condition }],
  };
}

interface Requester {
  name: string;
  roleArn: string;
  identity: Document[];
  boundary?: Document;
}

let stack: Stack;
let outputs: DeployerOutputs;
let withoutCors: DeployerOutputs;
const requesters: Record<'activeloop' | 'plan' | 'apply', Requester> = {} as never;
let applyWithoutCors: Document[] = [];

/** The request context of a session of the requester's role: its account, organization and the tag the conditions test. */
function contextOf(requester: Requester, request: Request): Record<string, string> {
  return {
    'aws:PrincipalArn': requester.roleArn,
    'aws:PrincipalAccount': ACCOUNT,
    'aws:PrincipalOrgID': ORG,
    'aws:PrincipalTag/team': 'ml',
    'aws:PrincipalType': 'AssumedRole',
    'aws:ResourceAccount': request.resourceAccount ?? ACCOUNT,
    ...request.context,
  };
}

const sessionOf = (roleArn: string) => `arn:aws:sts::${ACCOUNT}:assumed-role/${roleArn.split('/').pop()}/run-4242`;

/** iam-simulate's verdict: Allowed, ExplicitlyDenied or ImplicitlyDenied (a simulation it rejects fails the test). */
async function simulate(requester: Requester, request: Request, resourcePolicy?: unknown): Promise<string> {
  const response = await runSimulation(
    {
      request: {
        principal: sessionOf(requester.roleArn),
        action: request.action,
        resource: { resource: request.resource, accountId: request.resourceAccount ?? ACCOUNT },
        contextVariables: contextOf(requester, request),
      },
      identityPolicies: requester.identity.map((policy, i) => ({ name: `identity-${i + 1}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy,
      permissionBoundaryPolicies: requester.boundary ? [{ name: 'boundary', policy: requester.boundary }] : undefined,
    } as Parameters<typeof runSimulation>[0],
    {},
  );
  if (response.resultType === 'error') throw new Error(`iam-simulate rejected ${request.action}: ${JSON.stringify(response.errors)}`);
  return response.overallResult;
}

/** Our evaluator's verdict on the same request. */
function ours(
  requester: Requester,
  request: Request,
  resourcePolicy?: Document,
  kind: 'bucket' | 'key' | 'role trust' | 'secret' = 'bucket',
) {
  const policies: NamedPolicy[] = [
    {
      kind: 'identity',
      name: 'identity',
      document: { Version: '2012-10-17', Statement: requester.identity.flatMap((d) => d.Statement) } as never,
    },
  ];
  if (requester.boundary) policies.push({ kind: 'boundary', name: 'boundary', document: requester.boundary as never });
  if (resourcePolicy) policies.push({ kind: kind === 'key' ? 'key' : 'resource', name: kind, document: resourcePolicy as never });
  return authorize(
    {
      action: request.action,
      resource: request.resource,
      principal: { partition: 'aws', account: ACCOUNT, roleArn: requester.roleArn, sessionName: 'run-4242' },
      keys: contextOf(requester, request),
    },
    policies,
  ).decision;
}

/** Each forbidden request under each condition that the requester gets through (by either evaluator), and how many were asked. */
async function leaks(requester: Requester, grantings: Granting[]): Promise<{ allowed: string[]; asked: number }> {
  const allowed: string[] = [];
  let asked = 0;
  for (const granting of grantings)
    for (const [name, condition] of Object.entries(CONDITIONS))
      for (const request of granting.requests) {
        const policy = grantingPolicy(granting, condition);
        asked++;
        const simulated = await simulate(requester, request, policy);
        const own = ours(requester, request, policy, granting.kind);
        if (simulated !== 'ExplicitlyDenied' || own !== 'explicit-deny')
          allowed.push(
            `${request.action} on ${request.resource} (${granting.kind} policy, ${name}): iam-simulate ${simulated}, ours ${own}`,
          );
      }
  return { allowed, asked };
}

beforeAll(async () => {
  stack = await startStack();
  await clients(stack.motoEndpoint).iam.send(
    new CreateOpenIDConnectProviderCommand({ Url: 'https://token.actions.githubusercontent.com', ClientIDList: ['sts.amazonaws.com'] }),
  );
  const common = { GitHubRepository: 'octo-org/data-platform', Buckets: LISTED.join(','), CreateOidcProvider: 'false' };
  outputs = await deployDeployer(stack.motoEndpoint, 'activeloop-deployer', { ...common, ManageCors: 'true' });
  const documents = async (roleArn: string) => (await attachedPolicies(stack.motoEndpoint, roleArn)).map((p) => p.document);
  const boundary = await policyDocument(stack.motoEndpoint, outputs.BoundaryArn);
  // The compromised workflow's rewrite: the apply role may put any document into the Activeloop role's policy.
  const hijacked: Document = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
  requesters.activeloop = { name: 'the hijacked Activeloop role', roleArn: ACTIVELOOP_ROLE, identity: [hijacked], boundary };
  requesters.plan = { name: 'the plan role', roleArn: outputs.PlanRoleArn, identity: await documents(outputs.PlanRoleArn) };
  requesters.apply = { name: 'the apply role', roleArn: outputs.ApplyRoleArn, identity: await documents(outputs.ApplyRoleArn) };
  // A second deployer, with ManageCors left at its default: another repository's, in the same account.
  withoutCors = await deployDeployer(stack.motoEndpoint, 'other-deployer', {
    ...common,
    ActiveloopRoleName: 'other-lake',
    DeployerName: 'other',
  });
  applyWithoutCors = await documents(withoutCors.ApplyRoleArn);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('the requests are real: each resource policy alone lets a requester of the account through', () => {
  it('for every generated resource policy, condition and request (a role with no policy of its own, no boundary)', async () => {
    const bare: Requester = { name: 'a bare role', roleArn: `arn:aws:iam::${ACCOUNT}:role/bare`, identity: [{ Statement: [] }] };
    const refused: string[] = [];
    for (const granting of forbidden())
      for (const [name, condition] of Object.entries(CONDITIONS))
        for (const request of granting.requests) {
          const verdict = await simulate(bare, request, grantingPolicy(granting, condition));
          if (verdict !== 'Allowed') refused.push(`${request.action} (${name}): ${verdict}`);
        }
    expect(refused).toEqual([]);
  });
});

describe.each(['activeloop', 'plan', 'apply'] as const)('%s: resource policies granting to "*" give it nothing', (who) => {
  it('outside the listed buckets, on the buckets’ settings, KMS outside S3, other roles, secrets: every request explicitly denied', async () => {
    const requester = requesters[who];
    const { allowed, asked } = await leaks(requester, forbidden());
    expect(asked).toBeGreaterThan(60);
    expect(allowed).toEqual([]);
  });
});

describe('the hijacked Activeloop role', () => {
  const listedObject = object(LISTED[1]);

  it('still makes every request Deep Lake makes on the listed buckets, KMS through S3 included', async () => {
    const requester = requesters.activeloop;
    const keyPolicy = {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'TheAccountDecides', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
      ],
    };
    const requests: [Request, unknown?][] = [
      ...['s3:ListBucket', 's3:GetBucketLocation', 's3:ListBucketMultipartUploads'].map((action): [Request] => [
        { action, resource: `arn:aws:s3:::${LISTED[1]}` },
      ]),
      // CreateMultipartUpload, UploadPart and CompleteMultipartUpload are authorized as s3:PutObject.
      ...[
        's3:GetObject',
        's3:GetObjectVersion',
        's3:PutObject',
        's3:DeleteObject',
        's3:AbortMultipartUpload',
        's3:ListMultipartUploadParts',
      ].map((action): [Request] => [{ action, resource: listedObject }]),
      ...['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'].map((action): [Request, unknown] => [
        { action, resource: KEY, context: VIA_S3 },
        keyPolicy,
      ]),
    ];
    const verdicts = [];
    for (const [request, policy] of requests)
      verdicts.push([
        request.action,
        await simulate(requester, request, policy),
        ours(requester, request, policy as Document | undefined, policy ? 'key' : 'bucket'),
      ]);
    expect(verdicts).toEqual(requests.map(([r]) => [r.action, 'Allowed', 'allowed']));
  });

  it('gets nothing of a listed bucket name whose bucket now belongs to another account, even where its policy grants the role', async () => {
    const policy = grantingPolicy(
      { kind: 'bucket', resource: `arn:aws:s3:::${LISTED[0]}`, requests: [{ action: 's3:PutObject', resource: object(LISTED[0]) }] },
      CONDITIONS['aws:PrincipalAccount'],
    );
    const elsewhere: Request[] = ['s3:PutObject', 's3:GetObject'].map((action) => ({
      action,
      resource: object(LISTED[0]),
      resourceAccount: OTHER_ACCOUNT,
    }));
    for (const request of elsewhere) {
      expect([request.action, await simulate(requesters.activeloop, request, policy)]).toEqual([request.action, 'ExplicitlyDenied']);
      expect([request.action, ours(requesters.activeloop, request, policy)]).toEqual([request.action, 'explicit-deny']);
    }
  });

  it('can do nothing in IAM, STS or elsewhere that needs no resource policy', async () => {
    const requests: Request[] = [
      { action: 'iam:CreateUser', resource: `arn:aws:iam::${ACCOUNT}:user/backdoor` },
      { action: 'iam:CreateAccessKey', resource: `arn:aws:iam::${ACCOUNT}:user/admin` },
      { action: 'iam:PutRolePolicy', resource: ACTIVELOOP_ROLE },
      { action: 'iam:AttachRolePolicy', resource: ACTIVELOOP_ROLE },
      { action: 'iam:CreatePolicyVersion', resource: `arn:aws:iam::${ACCOUNT}:policy/activeloop-deeplake-access-s3` },
      { action: 'iam:PassRole', resource: `arn:aws:iam::${ACCOUNT}:role/admin` },
      { action: 'iam:TagRole', resource: ACTIVELOOP_ROLE },
      { action: 'ec2:RunInstances', resource: `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/*` },
      { action: 's3:ListAllMyBuckets', resource: '*' },
    ];
    for (const request of requests) {
      expect([request.action, await simulate(requesters.activeloop, request)]).toEqual([request.action, 'ExplicitlyDenied']);
      expect([request.action, ours(requesters.activeloop, request)]).toEqual([request.action, 'explicit-deny']);
    }
  });
});

describe('the plan and apply roles', () => {
  const IAM_WRITES: Request[] = [
    { action: 'iam:CreateUser', resource: `arn:aws:iam::${ACCOUNT}:user/backdoor` },
    { action: 'iam:CreateAccessKey', resource: `arn:aws:iam::${ACCOUNT}:user/admin` },
    { action: 'iam:AttachUserPolicy', resource: `arn:aws:iam::${ACCOUNT}:user/admin` },
    { action: 'iam:PutRolePolicy', resource: ACTIVELOOP_ROLE },
    { action: 'iam:UntagRole', resource: ACTIVELOOP_ROLE },
    { action: 'iam:PassRole', resource: ACTIVELOOP_ROLE },
    { action: 'iam:CreateRole', resource: `arn:aws:iam::${ACCOUNT}:role/admin2` },
    { action: 'iam:UpdateAssumeRolePolicy', resource: `arn:aws:iam::${ACCOUNT}:role/admin` },
  ];

  it.each(['plan', 'apply'] as const)('%s: no IAM write beyond the action’s own (none for the plan role)', async (who) => {
    const requester = requesters[who];
    const allowed: string[] = [];
    for (const request of IAM_WRITES)
      if ((await simulate(requester, request)) === 'Allowed' || ours(requester, request) === 'allowed') allowed.push(request.action);
    expect(allowed).toEqual([]);
  });

  it('the apply role changes the Activeloop role only while it carries the boundary, and deletes or detaches nothing without it', async () => {
    const apply = requesters.apply;
    const bounded = { 'iam:PermissionsBoundary': outputs.BoundaryArn };
    const policy = { 'iam:PolicyARN': `arn:aws:iam::${ACCOUNT}:policy/activeloop-deeplake-access-s3` };
    const cases: [Request, string][] = [
      [{ action: 'iam:UpdateAssumeRolePolicy', resource: ACTIVELOOP_ROLE, context: bounded }, 'Allowed'],
      [{ action: 'iam:DeleteRole', resource: ACTIVELOOP_ROLE, context: bounded }, 'Allowed'],
      [{ action: 'iam:DetachRolePolicy', resource: ACTIVELOOP_ROLE, context: { ...bounded, ...policy } }, 'Allowed'],
      [{ action: 'iam:UpdateAssumeRolePolicy', resource: ACTIVELOOP_ROLE }, 'ImplicitlyDenied'],
      [{ action: 'iam:DeleteRole', resource: ACTIVELOOP_ROLE }, 'ImplicitlyDenied'],
      [{ action: 'iam:DetachRolePolicy', resource: ACTIVELOOP_ROLE, context: policy }, 'ImplicitlyDenied'],
      [
        {
          action: 'iam:DeleteRole',
          resource: ACTIVELOOP_ROLE,
          context: { 'iam:PermissionsBoundary': `arn:aws:iam::${ACCOUNT}:policy/open` },
        },
        'ImplicitlyDenied',
      ],
    ];
    const ourTerms: Record<string, string> = { Allowed: 'allowed', ImplicitlyDenied: 'implicit-deny' };
    const verdicts = [];
    for (const [request] of cases) verdicts.push([request.action, request.context, await simulate(apply, request), ours(apply, request)]);
    expect(verdicts).toEqual(cases.map(([r, verdict]) => [r.action, r.context, verdict, ourTerms[verdict]]));
  });

  it.each(['plan', 'apply'] as const)(
    '%s: nothing of a listed bucket name whose bucket belongs to another account, even where its policy grants the role; its own still read',
    async (who) => {
      const requester = requesters[who];
      const bucket = `arn:aws:s3:::${LISTED[0]}`;
      const actions = ['s3:GetBucketPolicy', 's3:GetBucketCORS', 's3:GetEncryptionConfiguration', 's3:GetBucketLocation'];
      // The apply role of this stack has ManageCors=true: its CORS write on the listed names.
      if (who === 'apply') actions.push('s3:PutBucketCORS');
      const verdicts = async (resourceAccount: string) => {
        const out = [];
        for (const action of actions) {
          const request: Request = { action, resource: bucket, resourceAccount };
          const policy = grantingPolicy({ kind: 'bucket', resource: bucket, requests: [request] }, CONDITIONS['aws:PrincipalAccount']);
          out.push([action, await simulate(requester, request, policy), ours(requester, request, policy)]);
        }
        return out;
      };
      expect(await verdicts(OTHER_ACCOUNT)).toEqual(actions.map((a) => [a, 'ExplicitlyDenied', 'explicit-deny']));
      expect(await verdicts(ACCOUNT)).toEqual(actions.map((a) => [a, 'Allowed', 'allowed']));
    },
  );

  it('write CORS rules only with ManageCors=true, and then on the listed buckets only', async () => {
    const cors = (bucket: string): Request => ({ action: 's3:PutBucketCORS', resource: `arn:aws:s3:::${bucket}` });
    expect(await simulate(requesters.apply, cors(LISTED[0]))).toBe('Allowed');
    expect(await simulate(requesters.apply, cors('payroll-exports'))).toBe('ExplicitlyDenied');
    expect(await simulate(requesters.plan, cors(LISTED[0]))).toBe('ExplicitlyDenied');
    const defaultStack: Requester = { name: 'apply, ManageCors=false', roleArn: withoutCors.ApplyRoleArn, identity: applyWithoutCors };
    expect(await simulate(defaultStack, cors(LISTED[0]))).toBe('ExplicitlyDenied');
    expect(ours(defaultStack, cors(LISTED[0]))).toBe('explicit-deny');
    // Not even where the bucket's policy grants it to the account.
    const grants = grantingPolicy(
      { kind: 'bucket', resource: `arn:aws:s3:::${LISTED[0]}`, requests: [cors(LISTED[0])] },
      CONDITIONS['aws:PrincipalAccount'],
    );
    expect(await simulate(defaultStack, cors(LISTED[0]), grants)).toBe('ExplicitlyDenied');
  });
});
