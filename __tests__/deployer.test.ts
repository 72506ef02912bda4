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
  checkStackCors,
  DEPLOYER_BOUNDARY_TAG_KEY,
  DEPLOYER_MANAGE_CORS_TAG_KEY,
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
  it("reads the stack's ManageCors from the role's tag; an earlier template's role has none", () => {
    const role = (tags: Record<string, string>) =>
      deployerOf({ name: 'activeloop-apply', path: DEPLOYER_PATH, tags: { [DEPLOYER_BOUNDARY_TAG_KEY]: BOUNDARY, ...tags } });
    expect(role({ [DEPLOYER_MANAGE_CORS_TAG_KEY]: 'false' })?.manageCors).toBe(false);
    expect(role({ [DEPLOYER_MANAGE_CORS_TAG_KEY]: 'true' })?.manageCors).toBe(true);
    expect(role({})).not.toHaveProperty('manageCors');
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
  it("never covers a bucket of another account, listed or with Buckets=*: the boundary denies S3 outside the stack's account", () => {
    const owners = { ...context, otherAccountBuckets: ['kms-lake', 'anything'] };
    expect(uncoveredBuckets(stackBoundary(), [grant('kms-lake'), grant('plain-lake')], owners)).toEqual(['kms-lake']);
    expect(uncoveredBuckets(stackBoundary(['*']), [grant('anything'), grant('plain-lake')], owners)).toEqual(['anything']);
    // An earlier template's boundary had no such Deny: a listed bucket of another account was covered.
    expect(uncoveredBuckets(earlierBoundary(), [grant('kms-lake')], owners)).toEqual([]);
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
      "Add analytics-lake to the deployer stack's Buckets (its permissions boundary), other parameters keeping their values " +
        '(activeloop-deployer.yml is the template file README step 1 downloads): ' +
        'aws cloudformation deploy --stack-name activeloop-deployer --template-file activeloop-deployer.yml --capabilities CAPABILITY_NAMED_IAM ' +
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

describe('ceilingError for a bucket of another account', () => {
  it('says no stack update fixes it, and to give it its own deployer, beside the update for an unlisted bucket', () => {
    const message = ceilingError(stack, stackBoundary(), ['analytics-lake', 'partner-lake'], ['partner-lake']).message;
    expect(message).toContain("does not cover the bucket analytics-lake of input 'buckets'");
    expect(message).toContain('--parameter-overrides Buckets=kms-lake,plain-lake,analytics-lake.');
    expect(message).not.toContain('Buckets=kms-lake,plain-lake,analytics-lake,partner-lake');
    expect(message).toContain("The bucket partner-lake of input 'buckets' belongs to another AWS account than the credentials'");
    expect(message).toContain('never allows a bucket of another account');
    expect(message).toContain('no stack update changes that');
    expect(message).toContain('its own deployer stack and Activeloop role in the account that owns it');
    expect(message).toMatch(/Nothing was changed\.$/);
  });
});

describe('checkStackCors: cors: true needs a stack with ManageCors=true', () => {
  it('fails with ManageCors false, naming the input and the stack update', () => {
    expect(() => checkStackCors({ ...stack, manageCors: false }, true)).toThrow(
      "Input 'cors' is true, but the deployer stack's ManageCors is false",
    );
    try {
      checkStackCors({ ...stack, manageCors: false }, true);
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain(
        'aws cloudformation deploy --stack-name activeloop-deployer --template-file activeloop-deployer.yml --capabilities CAPABILITY_NAMED_IAM --no-fail-on-empty-changeset --parameter-overrides ManageCors=true',
      );
      expect(message).toContain('or set cors: false');
      expect(message).toContain('Nothing was changed.');
    }
  });
  it('passes cors: false, ManageCors true, a role without the tag (an earlier stack) and other credentials', () => {
    expect(() => checkStackCors({ ...stack, manageCors: false }, false)).not.toThrow();
    expect(() => checkStackCors({ ...stack, manageCors: true }, true)).not.toThrow();
    expect(() => checkStackCors(stack, true)).not.toThrow();
    expect(() => checkStackCors(undefined, true)).not.toThrow();
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
    ['job_workflow_ref:acme/data-infra/.github/workflows/a.yml@refs/heads/main', 'acme@4242/data-infra@90210 (from the repository claims'],
  ])('for sub %s: %s', (sub, value) => {
    expect(gitHubRepositoryFor({ ...claims, sub })).toMatch(new RegExp(`^${value.replace(/[()]/g, '\\$&')}`));
  });
  it('for a customized sub, shows the claims the stack tests and claims no acceptance of the sub', () => {
    const words = gitHubRepositoryFor({ ...claims, sub: 'repository_owner:acme:context:ref:refs/heads/release' }) ?? '';
    expect(words).toContain(
      "this token's sub is customized, and beside the sub the stack's trust policies test its claims repository=acme/data-infra, repository_id=90210, ref=refs/heads/release, " +
        'and for the apply role job_workflow_ref=acme/data-infra/.github/workflows/triage.yml@refs/heads/release',
    );
    expect(words).not.toMatch(/trusts it|accept/);
  });
  const APPLY = `arn:aws:iam::${ACCOUNT}:role/activeloop-role-action-deployer/activeloop-apply`;
  const PLAN = `arn:aws:iam::${ACCOUNT}:role/activeloop-role-action-deployer/activeloop-plan`;
  const accountCheck = `role-to-assume is in account ${ACCOUNT}: the role exists only if the deployer stack was deployed in that account, and the repository variable ACTIVELOOP_AWS_ACCOUNT_ID (the README's workflow derives role-to-assume from it) must be that account's ID; the stack's output RepositoryVariableCommand is the line that sets it`;
  it('names the account, the workflow file, the branch, the issuer and a wrong audience', () => {
    const checks = signInChecks(claims, APPLY, 'sts.amazonaws.com.cn', 'main');
    expect(checks).toEqual([
      "the token's aud (sts.amazonaws.com) is not the audience input (sts.amazonaws.com.cn)",
      accountCheck,
      "the stack's GitHubOidcIssuer must be token.actions.githubusercontent.com",
      "the apply role trusts one workflow file, the stack's WorkflowFile: this job runs .github/workflows/triage.yml at refs/heads/release",
      "the deployer roles trust runs on the repository's default branch only (the plan role: the repository's pull requests and any run on the default branch; the apply role: the WorkflowFile's runs there): " +
        "this run is on ref refs/heads/release, not on main, so run it from the default branch, or open a pull request (the stack's DefaultBranch must be the repository's default branch)",
    ]);
  });
  it('never suggests moving DefaultBranch to the branch of a run off the default branch', () => {
    const dispatch = { ...claims, event_name: 'workflow_dispatch', ref: 'refs/heads/feature/x' };
    for (const role of [APPLY, PLAN]) {
      for (const branch of ['main', undefined]) {
        const text = signInChecks(dispatch, role, 'sts.amazonaws.com', branch).join('; ');
        expect(text).toContain('run it from the default branch, or open a pull request');
        expect(text).not.toMatch(/DefaultBranch must be (the branch of )?(ref )?(refs\/heads\/)?feature/);
      }
    }
  });
  it("names DefaultBranch when the run is on the repository's default branch and the stack names another", () => {
    const onMain = {
      ...claims,
      ref: 'refs/heads/trunk',
      job_workflow_ref: 'acme/data-infra/.github/workflows/activeloop.yml@refs/heads/trunk',
    };
    expect(signInChecks(onMain, APPLY, 'sts.amazonaws.com', 'trunk')).toContain(
      "the deployer roles trust runs on the repository's default branch only (the plan role: the repository's pull requests and any run on the default branch; the apply role: the WorkflowFile's runs there): " +
        "this run is on trunk, the repository's default branch, so the stack's DefaultBranch must be trunk",
    );
  });
  it("tells a run with an earlier template's role name what the roles are now and how to set ACTIVELOOP_AWS_ACCOUNT_ID", () => {
    const old = `arn:aws:iam::${ACCOUNT}:role/activeloop-role-action-deployer/activeloop-deployer-ApplyRole-AbC123XyZ`;
    const [first] = signInChecks({ ...claims, ref: 'refs/heads/main' }, old, 'sts.amazonaws.com', 'main');
    expect(first).toContain('is a role name the earlier deployer template generated');
    expect(first).toContain('its roles are now <DeployerName>-plan and <DeployerName>-apply');
    expect(first).toContain('Set the repository variable ACTIVELOOP_AWS_ACCOUNT_ID');
    expect(first).toContain('RepositoryVariableCommand');
    expect(first).toContain(
      `role-to-assume: arn:aws:iam::\${{ vars.ACTIVELOOP_AWS_ACCOUNT_ID }}:role/activeloop-role-action-deployer/activeloop-apply`,
    );
    expect(signInChecks(claims, APPLY, 'sts.amazonaws.com').join(' ')).not.toContain('earlier deployer template');
  });
  it("tells a role made some other way its account and what its trust policy must say, not the stack's parameters", () => {
    const checks = signInChecks(claims, `arn:aws:iam::${ACCOUNT}:role/github-deployer`, 'sts.amazonaws.com');
    expect(checks).toEqual([
      `the role github-deployer must exist in account ${ACCOUNT}, the account role-to-assume names`,
      `the role's trust policy must allow the federated principal oidc-provider/token.actions.githubusercontent.com with token.actions.githubusercontent.com:aud sts.amazonaws.com and a condition on token.actions.githubusercontent.com:sub that ${claims.sub} meets`,
    ]);
  });
  it('says what the plan role trusts: pull requests and any run on the default branch, not only scheduled ones', () => {
    const text = signInChecks(claims, PLAN, 'sts.amazonaws.com', 'main').join('; ');
    expect(text).toContain("the plan role: the repository's pull requests and any run on the default branch");
    expect(text).not.toContain('scheduled');
    expect(text).not.toContain('WorkflowFile: this job runs');
  });
});
