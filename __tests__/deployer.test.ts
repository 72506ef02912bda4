// What the action knows of the deployer stack (src/deployer.ts): its roles, the boundary as the ceiling of the
// buckets (spec behaviour 16), the words of the stack update, upgrade notes and the sign-in hints (behaviour 15).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { DEPLOYER_PATH as TEMPLATE_DEPLOYER_PATH } from '../scripts/bootstrap-template.mjs';
import { checkAccess } from '../src/access.js';
import {
  boundaryBuckets,
  ceilingError,
  DEPLOYER_BOUNDARY_TAG_KEY,
  DEPLOYER_PATH,
  deployerOf,
  gitHubRepositoryFor,
  isDeployerBoundary,
  STACK_NAME_PLACEHOLDER,
  signInChecks,
  stackUpdate,
  uncoveredBuckets,
  upgradeWarnings,
} from '../src/deployer.js';
import type { PolicyDocument } from '../src/policy.js';
import { resolveTemplate } from '../test-support/cloudformation.mjs';

const ACCOUNT = '123456789012';
const BOUNDARY = `arn:aws:iam::${ACCOUNT}:policy/activeloop-role-action-deployer/activeloop-boundary`;
const bucketArns = (buckets: string[], suffix = '') => buckets.map((b) => `arn:aws:s3:::${b}${suffix}`);

/** A boundary of the earlier template, which allowed the Buckets only (no Denies). */
function earlierBoundary(buckets = ['kms-lake', 'plain-lake']): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ListAndLocateTheBuckets',
        Effect: 'Allow',
        Action: ['s3:ListBucket', 's3:GetBucketLocation', 's3:ListBucketMultipartUploads'],
        Resource: bucketArns(buckets),
      },
      {
        Sid: 'ReadAndWriteTheObjects',
        Effect: 'Allow',
        Action: [
          's3:GetObject',
          's3:GetObjectVersion',
          's3:PutObject',
          's3:DeleteObject',
          's3:AbortMultipartUpload',
          's3:ListMultipartUploadParts',
        ],
        Resource: bucketArns(buckets, '/*'),
      },
      {
        Sid: 'UseKmsDataKeysThroughS3',
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
        Resource: '*',
        Condition: { StringLike: { 'kms:ViaService': 's3.*' } },
      },
    ],
  };
}
/** The stack's boundary as the committed template writes it (bootstrap/activeloop-deployer.yml), resolved for Buckets. */
function stackBoundary(buckets = ['kms-lake', 'plain-lake']): PolicyDocument {
  const template = parse(readFileSync(join(import.meta.dirname, '..', 'bootstrap', 'activeloop-deployer.yml'), 'utf8'));
  const values = { GitHubRepository: 'octo-org/datasets', Buckets: buckets.join(',') };
  return resolveTemplate(template, values, { account: ACCOUNT }).policies.PermissionsBoundary.document;
}
const context = { partition: 'aws', account: ACCOUNT, access: 'read-write' as const };
const grant = (bucket: string, prefixes: string[] = []) => ({ bucket, prefixes });
const stack = { roleName: 'activeloop-apply', boundaryArn: BOUNDARY, stackName: 'activeloop-deployer' };

describe('deployerOf', () => {
  it('knows the path the template gives its roles and boundary', () => {
    expect(DEPLOYER_PATH).toBe(TEMPLATE_DEPLOYER_PATH);
  });

  it("knows a stack role by its boundary tag, and the stack by CloudFormation's tag", () => {
    const tags = { [DEPLOYER_BOUNDARY_TAG_KEY]: BOUNDARY, 'aws:cloudformation:stack-name': 'lake-deployer' };
    expect(deployerOf({ name: 'activeloop-apply', path: '/activeloop-role-action-deployer/', tags })).toEqual({
      roleName: 'activeloop-apply',
      boundaryArn: BOUNDARY,
      stackName: 'lake-deployer',
    });
  });
  it("prefers the template's own stack-name tag", () => {
    const tags = {
      [DEPLOYER_BOUNDARY_TAG_KEY]: BOUNDARY,
      'activeloop-role-action:stack-name': 'mine',
      'aws:cloudformation:stack-name': 'cfn',
    };
    expect(deployerOf({ name: 'activeloop-apply', path: '/activeloop-role-action-deployer/', tags })?.stackName).toBe('mine');
  });
  it("reads the stack's name from a role name the earlier template generated", () => {
    const tags = { [DEPLOYER_BOUNDARY_TAG_KEY]: BOUNDARY };
    expect(deployerOf({ name: 'activeloop-deployer-ApplyRole-AbC123XyZ', path: '/', tags })?.stackName).toBe('activeloop-deployer');
    expect(deployerOf({ name: 'activeloop-apply', path: '/', tags })?.stackName).toBeUndefined();
  });
  it('is undefined for any other role', () => {
    expect(deployerOf({ name: 'admin', path: '/', tags: { team: 'ml' } })).toBeUndefined();
    expect(deployerOf(undefined)).toBeUndefined();
  });
});

describe('uncoveredBuckets: the ceiling, by the IAM evaluator', () => {
  it('passes the buckets and prefixes the boundary lists', () => {
    expect(uncoveredBuckets(stackBoundary(), [grant('kms-lake'), grant('plain-lake', ['team/a', 'b'])], context)).toEqual([]);
  });
  it('names each bucket the boundary does not cover, also a look-alike name', () => {
    const buckets = [grant('kms-lake'), grant('analytics-lake'), grant('plain-lake-2', ['x'])];
    expect(uncoveredBuckets(stackBoundary(), buckets, context)).toEqual(['analytics-lake', 'plain-lake-2']);
  });
  it("reads the stack's Buckets from the template's boundary, and from an earlier template's", () => {
    expect(boundaryBuckets(stackBoundary(['kms-lake', 'plain-lake']))).toEqual(['kms-lake', 'plain-lake']);
    expect(boundaryBuckets(earlierBoundary(['kms-lake', 'plain-lake']))).toEqual(['kms-lake', 'plain-lake']);
    expect(uncoveredBuckets(earlierBoundary(), [grant('kms-lake'), grant('analytics-lake')], context)).toEqual(['analytics-lake']);
  });
  it('covers every bucket with Buckets=*', () => {
    const any = stackBoundary(['*']);
    expect(uncoveredBuckets(any, [grant('anything')], context)).toEqual([]);
    expect(boundaryBuckets(any)).toBe('*');
  });
  it('follows an explicit Deny of the boundary (S3 outside the listed buckets)', () => {
    const doc = stackBoundary(['kms-lake', 'plain-lake']);
    (doc.Statement as object[]).push({
      Effect: 'Deny',
      Action: 's3:*',
      NotResource: [...bucketArns(['kms-lake']), ...bucketArns(['kms-lake'], '/*')],
    });
    expect(uncoveredBuckets(doc, [grant('kms-lake'), grant('plain-lake')], context)).toEqual(['plain-lake']);
  });
  it('asks only for reads with access read-only', () => {
    const readOnly = earlierBoundary();
    (readOnly.Statement as { Action: string[] }[])[1].Action = ['s3:GetObject'];
    expect(uncoveredBuckets(readOnly, [grant('kms-lake')], { ...context, access: 'read-only' })).toEqual([]);
    expect(uncoveredBuckets(readOnly, [grant('kms-lake')], context)).toEqual(['kms-lake']);
  });
});

describe('stackUpdate: the words of the fix', () => {
  it('gives the exact command, the current buckets plus the new ones', () => {
    expect(stackUpdate(stack, ['kms-lake', 'plain-lake'], ['analytics-lake'])).toBe(
      "Add analytics-lake to the deployer stack's Buckets (its permissions boundary), other parameters keeping their values: " +
        'aws cloudformation deploy --stack-name activeloop-deployer --template-file bootstrap/activeloop-deployer.yml --capabilities CAPABILITY_NAMED_IAM ' +
        '--no-fail-on-empty-changeset --parameter-overrides Buckets=kms-lake,plain-lake,analytics-lake.',
    );
  });
  it('says how to find the stack when the role does not tell its name', () => {
    const words = stackUpdate({ roleName: 'activeloop-apply' }, ['kms-lake'], ['new-lake']);
    expect(words).toContain(`--stack-name ${STACK_NAME_PLACEHOLDER} `);
    expect(words).toContain('aws cloudformation describe-stack-resources --physical-resource-id activeloop-apply');
  });
  it("says the stack's limit of 30 buckets", () => {
    const many = Array.from({ length: 30 }, (_, i) => `lake-${i}`);
    expect(stackUpdate(stack, many, ['one-more'])).toContain('at most 30 buckets');
    expect(stackUpdate(stack, many.slice(1), ['one-more'])).not.toContain('at most 30');
  });
  it('is the fix the access check gives for a bucket the boundary blocks', () => {
    const fix = stackUpdate(stack, ['kms-lake', 'plain-lake'], ['analytics-lake']);
    const [access] = checkAccess([{ bucket: 'analytics-lake', prefixes: [], region: 'us-east-1', cors: [] }], {
      access: 'read-write',
      roleArn: `arn:aws:iam::${ACCOUNT}:role/activeloop-deeplake-access`,
      account: ACCOUNT,
      partition: 'aws',
      roleTags: {},
      boundary: { arn: BOUNDARY, document: stackBoundary(), fixes: { 'analytics-lake': fix } },
      corsManaged: true,
    });
    for (const capability of ['list', 'read', 'write'] as const) {
      expect(access.verdicts[capability].state).toBe('blocked');
      expect(access.verdicts[capability].fix).toBe(fix);
    }
  });
  it('knows a deployer boundary by its path', () => {
    expect(isDeployerBoundary(BOUNDARY)).toBe(true);
    expect(isDeployerBoundary(`arn:aws:iam::${ACCOUNT}:policy/wide-open`)).toBe(false);
  });
});

describe('ceilingError', () => {
  it('names the bucket, the boundary and the stack update, and that nothing was changed', () => {
    const message = ceilingError(stack, stackBoundary(), ['analytics-lake']).message;
    expect(message).toContain(`permissions boundary ${BOUNDARY} does not cover the bucket analytics-lake of input 'buckets'`);
    expect(message).toContain('Nothing was changed.');
    expect(message).toContain('--parameter-overrides Buckets=kms-lake,plain-lake,analytics-lake');
  });
});

describe('upgradeWarnings', () => {
  const generated = `arn:aws:iam::${ACCOUNT}:role/activeloop-role-action-deployer/activeloop-deployer-ApplyRole-AbC123XyZ`;
  it('tells a role of the earlier template to move to ACTIVELOOP_AWS_ACCOUNT_ID and the derived ARN', () => {
    const [warning] = upgradeWarnings({ roleToAssume: generated }, undefined);
    expect(warning).toContain('earlier deployer template');
    expect(warning).toContain('ACTIVELOOP_AWS_ACCOUNT_ID');
    expect(warning).toContain('role/activeloop-role-action-deployer/activeloop-apply');
  });
  it("tells a permissions-boundary that repeats the stack's that it can go", () => {
    expect(upgradeWarnings({ permissionsBoundary: BOUNDARY }, stack)).toEqual([expect.stringContaining('leave it empty')]);
  });
  it('says nothing for the current names and an empty boundary', () => {
    const current = `arn:aws:iam::${ACCOUNT}:role/activeloop-role-action-deployer/activeloop-apply`;
    expect(upgradeWarnings({ roleToAssume: current }, stack)).toEqual([]);
    expect(upgradeWarnings({ roleToAssume: `arn:aws:iam::${ACCOUNT}:role/ci-ApplyRole-AbC123` }, undefined)).toEqual([]);
  });
});

describe('gitHubRepositoryFor and signInChecks', () => {
  const claims = {
    sub: 'repo:acme@4242/data-infra@90210:ref:refs/heads/release',
    aud: 'sts.amazonaws.com',
    iss: 'https://token.actions.githubusercontent.com',
    repository: 'acme/data-infra',
    repository_id: '90210',
    repository_owner_id: '4242',
    ref: 'refs/heads/release',
    job_workflow_ref: 'acme/data-infra/.github/workflows/triage.yml@refs/heads/release',
    event_name: 'push',
  };
  it.each([
    [claims.sub, 'acme@4242/data-infra@90210 (the form'],
    ['repo:acme/data-infra:environment:offboarding', 'acme/data-infra (the form'],
    ['job_workflow_ref:acme/data-infra/.github/workflows/a.yml@refs/heads/main', 'acme@4242/data-infra@90210 (this token'],
  ])('for sub %s: %s', (sub, value) => {
    expect(gitHubRepositoryFor({ ...claims, sub })).toMatch(new RegExp(`^${value.replace(/[()]/g, '\\$&')}`));
  });
  it('names the workflow file, the branch, the issuer and a wrong audience', () => {
    const checks = signInChecks(
      claims,
      `arn:aws:iam::${ACCOUNT}:role/activeloop-role-action-deployer/activeloop-apply`,
      'sts.amazonaws.com.cn',
    );
    expect(checks).toEqual([
      "the token's aud (sts.amazonaws.com) is not the audience input (sts.amazonaws.com.cn)",
      "the stack's GitHubOidcIssuer must be token.actions.githubusercontent.com",
      "the apply role trusts one workflow file, the stack's WorkflowFile: this job runs .github/workflows/triage.yml at refs/heads/release",
      "the stack's DefaultBranch must be the branch of ref refs/heads/release",
    ]);
  });
  it("tells a role made some other way what its trust policy must say, not the stack's parameters", () => {
    const checks = signInChecks(claims, `arn:aws:iam::${ACCOUNT}:role/github-deployer`, 'sts.amazonaws.com');
    expect(checks).toEqual([
      `the role's trust policy must allow the federated principal oidc-provider/token.actions.githubusercontent.com with token.actions.githubusercontent.com:aud sts.amazonaws.com and a condition on token.actions.githubusercontent.com:sub that ${claims.sub} meets`,
    ]);
  });
  it('tells a push signing in with the plan role to use the apply role', () => {
    const checks = signInChecks(
      claims,
      `arn:aws:iam::${ACCOUNT}:role/activeloop-role-action-deployer/activeloop-plan`,
      'sts.amazonaws.com',
    );
    expect(checks).toContain(
      "a push run signs in with the stack's apply role (activeloop-apply); the plan role trusts pull requests and the default branch's scheduled runs",
    );
  });
});
