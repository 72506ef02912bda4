import {
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  DeletePolicyVersionCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListPolicyVersionsCommand,
} from '@aws-sdk/client-iam';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetBucketEncryptionCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import { type AwsStub, mockClient } from 'aws-sdk-client-mock';
import * as core from '../__fixtures__/core.js';

jest.unstable_mockModule('@actions/core', () => core);
const { run } = await import('../src/main.js');

const iam = mockClient(IAMClient);
const s3 = mockClient(S3Client);
const kms = mockClient(KMSClient);
const sts = mockClient(STSClient);
// biome-ignore lint/suspicious/noExplicitAny: one list for four differently typed client mocks
const all = [iam, s3, kms, sts] as unknown as AwsStub<any, any, any>[];
const noSleep = async () => {};

function awsError(name: string, status = 400) {
  return Object.assign(new Error(`${name}: simulated`), { name, $metadata: { httpStatusCode: status } });
}

const MUTATING = /^(Create|Update|Delete|Put|Attach|Detach|Tag|Untag)/;
const mutatingCalls = () =>
  all
    .flatMap((m) => m.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name))
    .filter((n) => MUTATING.test(n));

/** The role as IAM returns it once created. */
function liveRole() {
  return {
    RoleName: 'activeloop-deeplake-access',
    Arn: 'arn:aws:iam::123456789012:role/activeloop-deeplake-access',
    Path: '/',
    RoleId: 'x',
    CreateDate: new Date(),
  };
}

function emptyAccount() {
  for (const m of all) {
    m.reset();
    m.onAnyCommand().resolves({});
  }
  sts.on(GetCallerIdentityCommand).resolves({ Account: '123456789012', Arn: 'arn:aws:iam::123456789012:user/ci' });
  iam.on(GetRoleCommand).rejects(awsError('NoSuchEntity', 404));
  iam.on(ListAttachedRolePoliciesCommand).rejects(awsError('NoSuchEntity', 404));
  iam.on(GetPolicyCommand).rejects(awsError('NoSuchEntity', 404));
  s3.on(GetBucketEncryptionCommand).rejects(awsError('ServerSideEncryptionConfigurationNotFoundError', 404));
}

beforeEach(() => {
  core.resetCore({ buckets: 'ml-datasets' });
  emptyAccount();
});

describe('run', () => {
  it('fails on a bad input with an annotation naming it, before any AWS call', async () => {
    core.resetCore({ buckets: 'ml-datasets\nBad_Bucket' });
    await run({ env: {}, sleep: noSleep });
    expect(core.errors()).toEqual([expect.stringMatching(/^Input 'buckets': bucket name "Bad_Bucket"/)]);
    expect(all.reduce((n, m) => n + m.calls().length, 0)).toBe(0);
  });

  it('plans without a single mutating call, and outputs the plan', async () => {
    core.resetCore({ buckets: 'ml-datasets', mode: 'plan' });
    await run({ env: { GITHUB_STEP_SUMMARY: 'summary.md' }, sleep: noSleep });
    expect(core.errors()).toEqual([]);
    expect(mutatingCalls()).toEqual([]);
    expect(core.outputs.changed).toBe('true');
    expect(JSON.parse(core.outputs.plan).map((c: { action: string }) => c.action)).toEqual([
      'create-policy',
      'create-role',
      'attach-policy',
      'tag-policy',
      'tag-role',
    ]);
    expect(core.outputs['role-arn']).toBe('arn:aws:iam::123456789012:role/activeloop-deeplake-access');
    expect(core.summaryText).toContain('Nothing was changed');
  });

  it('prints the report to the log where there is no job summary file (a local run)', async () => {
    core.resetCore({ buckets: 'ml-datasets', mode: 'plan' });
    await run({ env: {}, sleep: noSleep });
    expect(core.errors()).toEqual([]);
    expect(core.summaryText).toBe('');
    expect(core.log.find((l) => l.message.startsWith('No job summary file'))?.message).toContain('Remaining manual step');
  });

  it('converges when a concurrent run creates the role first', async () => {
    const policyArn = 'arn:aws:iam::123456789012:policy/activeloop-deeplake-access-s3';
    const owned = [{ Key: 'managed-by', Value: 'activeloop-role-action' }];
    iam.on(CreateRoleCommand).rejects(awsError('EntityAlreadyExists', 409));
    // After the race, the other run's role and policy are there.
    iam.on(CreatePolicyCommand).callsFake(() => {
      iam
        .on(GetPolicyCommand)
        .resolves({ Policy: { Arn: policyArn, PolicyName: 'activeloop-deeplake-access-s3', DefaultVersionId: 'v1', Tags: owned } });
      return { Policy: { Arn: policyArn } };
    });
    iam.on(CreateRoleCommand).callsFake(() => {
      iam.on(GetRoleCommand).resolves({
        Role: {
          ...liveRole(),
          Description: 'Lets Activeloop (Deep Lake) read and write datasets in the listed S3 buckets. Managed by activeloop-role-action.',
          MaxSessionDuration: 3600,
          AssumeRolePolicyDocument: encodeURIComponent(
            JSON.stringify({
              Version: '2012-10-17',
              Statement: [
                { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::597713067985:role/activeloop_backend' }, Action: 'sts:AssumeRole' },
              ],
            }),
          ),
          Tags: owned,
        },
      });
      iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });
      throw awsError('EntityAlreadyExists', 409);
    });
    iam.on(GetPolicyVersionCommand).callsFake((input: { PolicyArn: string }) => ({
      PolicyVersion: {
        VersionId: 'v1',
        Document: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: ['s3:ListBucket', 's3:GetBucketLocation', 's3:*Object*', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
              Resource: ['arn:aws:s3:::ml-datasets', 'arn:aws:s3:::ml-datasets/*'],
            },
          ],
        }),
        _arn: input.PolicyArn,
      },
    }));
    iam.on(ListPolicyVersionsCommand).resolves({ Versions: [{ VersionId: 'v1', IsDefaultVersion: true }] });
    await run({ env: {}, sleep: noSleep, roleWaitSeconds: 1 });
    expect(core.errors()).toEqual([]);
    expect(core.log.some((l) => /concurrent change/.test(l.message))).toBe(true);
    expect(JSON.parse(core.outputs.plan).map((c: { action: string }) => c.action)).toEqual([
      'create-policy',
      'tag-policy',
      'tag-role',
      'attach-policy',
      'tag-role',
    ]);
  });

  it('converges when a concurrent run fills the policy versions (LimitExceeded), pruning the oldest', async () => {
    const policyArn = 'arn:aws:iam::123456789012:policy/activeloop-deeplake-access-s3';
    const version = (id: string, day: number, isDefault = false) => ({
      VersionId: id,
      IsDefaultVersion: isDefault,
      CreateDate: new Date(Date.UTC(2026, 0, day)),
    });
    iam.on(GetPolicyCommand).resolves({
      Policy: {
        Arn: policyArn,
        PolicyName: 'activeloop-deeplake-access-s3',
        DefaultVersionId: 'v4',
        Tags: [{ Key: 'managed-by', Value: 'activeloop-role-action' }],
      },
    });
    iam.on(GetPolicyVersionCommand).resolves({
      PolicyVersion: {
        VersionId: 'v4',
        Document: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::old-bucket/*' }],
        }),
      },
    });
    // Four versions when first read; five after the other run added one.
    iam
      .on(ListPolicyVersionsCommand)
      .resolvesOnce({ Versions: [version('v1', 1), version('v2', 2), version('v3', 3), version('v4', 4, true)] })
      .resolves({ Versions: [version('v1', 1), version('v2', 2), version('v3', 3), version('v4', 4), version('v5', 5, true)] });
    iam.on(CreatePolicyVersionCommand).rejectsOnce(awsError('LimitExceeded', 409)).resolves({});
    // The new role reads back once created (the apply waits for that).
    iam.on(CreateRoleCommand).callsFake(() => {
      iam.on(GetRoleCommand).resolves({ Role: liveRole() });
      return {};
    });
    await run({ env: {}, sleep: noSleep, roleWaitSeconds: 5 });
    expect(core.errors()).toEqual([]);
    expect(iam.commandCalls(DeletePolicyVersionCommand).map((c) => c.args[0].input.VersionId)).toEqual(['v1']);
    expect(iam.commandCalls(CreatePolicyVersionCommand)).toHaveLength(2);
  });

  it('writes what it changed, and what it did not, to the summary when apply stops on an error', async () => {
    iam.on(CreateRoleCommand).rejects(awsError('AccessDenied', 403));
    await run({ env: { GITHUB_STEP_SUMMARY: 'summary.md' }, sleep: noSleep });
    expect(core.errors()[0]).toMatch(/^iam:CreateRole activeloop-deeplake-access was denied/);
    expect(core.summaryText).toContain('❌ Apply stopped by an error after 1 change');
    expect(core.summaryText).toContain('| ➕ | create-policy |');
    expect(core.summaryText).toMatch(/#### Planned changes not made[\s\S]*create-role[\s\S]*attach-policy/);
  });

  it('names the bucket and the permission when the encryption read is denied', async () => {
    s3.on(GetBucketEncryptionCommand).rejects(awsError('AccessDenied', 403));
    await run({ env: {}, sleep: noSleep });
    expect(core.errors()[0]).toMatch(/^Input 'buckets': 1 bucket\(s\) could not be read/);
    expect(core.errors()[0]).toContain(
      'ml-datasets: access denied reading its default encryption (AccessDenied); allow s3:GetEncryptionConfiguration',
    );
    expect(mutatingCalls()).toEqual([]);
  });

  it('grants a customer-managed key once however many buckets use it, and skips AWS-managed keys', async () => {
    core.resetCore({ buckets: 'bucket-a\nbucket-b\nbucket-c', mode: 'plan' });
    const keyArn = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    s3.on(GetBucketEncryptionCommand, { Bucket: 'bucket-a' }).resolves(sse('aws:kms', 'alias/datasets'));
    s3.on(GetBucketEncryptionCommand, { Bucket: 'bucket-b' }).resolves(sse('aws:kms:dsse', 'alias/datasets'));
    s3.on(GetBucketEncryptionCommand, { Bucket: 'bucket-c' }).resolves(sse('aws:kms', 'alias/aws/s3'));
    kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'k', Arn: keyArn, KeyManager: 'CUSTOMER', AWSAccountId: '123456789012' } });
    await run({ env: {}, sleep: noSleep });
    expect(kms.commandCalls(DescribeKeyCommand)).toHaveLength(1);
    expect(JSON.parse(core.outputs['kms-key-arns'])).toEqual([keyArn]);
  });

  it('assumes role-to-assume with the OIDC token and masks every credential value', async () => {
    core.resetCore({ buckets: 'ml-datasets', mode: 'plan', 'role-to-assume': 'arn:aws:iam::123456789012:role/deployer' });
    sts.on(AssumeRoleWithWebIdentityCommand).resolves({
      Credentials: { AccessKeyId: 'ASIAKEY', SecretAccessKey: 'secret/key', SessionToken: 'session-token', Expiration: new Date() },
    });
    await run({
      env: { ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:1/token', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runtime-token' },
      sleep: noSleep,
    });
    expect(core.errors()).toEqual([]);
    expect(core.getIDToken).toHaveBeenCalledWith('sts.amazonaws.com');
    expect(core.secrets).toEqual(expect.arrayContaining(['oidc-token-value', 'ASIAKEY', 'secret/key', 'session-token']));
    expect(sts.commandCalls(AssumeRoleWithWebIdentityCommand)[0].args[0].input.RoleArn).toBe('arn:aws:iam::123456789012:role/deployer');
  });

  it('explains id-token: write when the runner cannot issue an OIDC token', async () => {
    core.resetCore({ buckets: 'ml-datasets', 'role-to-assume': 'arn:aws:iam::123456789012:role/deployer' });
    await run({ env: {}, sleep: noSleep });
    expect(core.errors()[0]).toContain('permissions: id-token: write');
    expect(all.reduce((n, m) => n + m.calls().length, 0)).toBe(0);
  });

  it('reports throttling that outlasts the retries as a readable failure', async () => {
    sts.on(GetCallerIdentityCommand).rejects(awsError('Throttling', 400));
    await run({ env: {}, sleep: noSleep });
    expect(core.errors()[0]).toMatch(/^sts:GetCallerIdentity was throttled by AWS and still failed after retries/);
  });

  it('does not fail a plan under fail-on-drift when the changes come from the inputs (a new role)', async () => {
    core.resetCore({ buckets: 'ml-datasets', mode: 'plan', 'fail-on-drift': 'true' });
    await run({ env: {}, sleep: noSleep });
    expect(core.errors()).toEqual([]);
  });
});

function sse(algorithm: string, key: string) {
  return {
    ServerSideEncryptionConfiguration: {
      Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: algorithm, KMSMasterKeyID: key } }],
    },
  } as never;
}

describe('with a deployer stack role as credentials', () => {
  const BOUNDARY = 'arn:aws:iam::123456789012:policy/activeloop-role-action-deployer/activeloop-boundary';
  const bucketArn = (b: string) => `arn:aws:s3:::${b}`;
  beforeEach(() => {
    sts.on(GetCallerIdentityCommand).resolves({
      Account: '123456789012',
      Arn: 'arn:aws:sts::123456789012:assumed-role/activeloop-plan/activeloop-role-action-4242',
    });
    iam.on(GetRoleCommand, { RoleName: 'activeloop-plan' }).resolves({
      Role: {
        ...liveRole(),
        RoleName: 'activeloop-plan',
        Path: '/activeloop-role-action-deployer/',
        Tags: [
          { Key: 'activeloop-role-action:permissions-boundary', Value: BOUNDARY },
          { Key: 'aws:cloudformation:stack-name', Value: 'lake-deployer' },
        ],
      },
    });
    iam.on(GetPolicyCommand, { PolicyArn: BOUNDARY }).resolves({ Policy: { Arn: BOUNDARY, DefaultVersionId: 'v1' } });
    iam.on(GetPolicyVersionCommand, { PolicyArn: BOUNDARY }).resolves({
      PolicyVersion: {
        Document: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: ['s3:ListBucket', 's3:GetBucketLocation'], Resource: [bucketArn('ml-datasets')] },
            { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: [`${bucketArn('ml-datasets')}/*`] },
          ],
        }),
      },
    });
  });

  it("plans with the stack's boundary when permissions-boundary is empty, and says so", async () => {
    core.resetCore({ buckets: 'ml-datasets', mode: 'plan' });
    await run({ env: {}, sleep: noSleep });
    expect(core.errors()).toEqual([]);
    expect(core.log.some((l) => l.message.includes(`permissions-boundary: ${BOUNDARY}, the deployer stack's boundary`))).toBe(true);
    expect(core.summaryText + core.log.map((l) => l.message).join('\n')).toContain(`| permissions boundary | \`${BOUNDARY}\` |`);
  });

  it("fails a bucket the boundary does not cover before any write, naming the stack by CloudFormation's tag", async () => {
    core.resetCore({ buckets: 'ml-datasets\nanalytics-lake' });
    await run({ env: {}, sleep: noSleep });
    expect(core.errors()).toHaveLength(1);
    expect(core.errors()[0]).toContain('does not cover the bucket analytics-lake');
    expect(core.errors()[0]).toContain('--stack-name lake-deployer ');
    expect(core.errors()[0]).toContain('--parameter-overrides Buckets=ml-datasets,analytics-lake');
    expect(mutatingCalls()).toEqual([]);
  });

  it("names the stack update, not the README's list, when the uncovered bucket's reads are denied first", async () => {
    core.resetCore({ buckets: 'ml-datasets\nanalytics-lake', mode: 'plan' });
    s3.on(GetBucketEncryptionCommand, { Bucket: 'analytics-lake' }).rejects(awsError('AccessDenied', 403));
    await run({ env: {}, sleep: noSleep });
    expect(core.errors()).toHaveLength(1);
    expect(core.errors()[0]).toContain('does not cover the bucket analytics-lake');
    expect(core.errors()[0]).not.toContain('could not be read');
  });

  it("gives the stack's hint for a denied read of a bucket the boundary covers", async () => {
    core.resetCore({ buckets: 'ml-datasets', mode: 'plan' });
    s3.on(GetBucketEncryptionCommand).rejects(awsError('AccessDenied', 403));
    await run({ env: {}, sleep: noSleep });
    expect(core.errors()[0]).toContain('ml-datasets: access denied reading its default encryption');
    expect(core.errors()[0]).toContain("The credentials come from the deployer template's role");
    expect(core.errors()[0]).toContain("every bucket must match the stack's");
  });
});
