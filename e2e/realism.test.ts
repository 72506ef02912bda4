// The action against AWS's real behaviour where moto is kinder (spec behaviour 10). Each test pushes the
// realism rules it needs onto the proxy (test-support/aws-rules.mjs names the AWS documentation of each).

import { connect } from 'node:net';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DetachRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { clients, createBucket, createKey, readPolicy, readRole } from '../test-support/aws-fixtures.mjs';
import {
  accountQuotas,
  attachedPoliciesQuota,
  callerInPartition,
  deleteConflictAfterDetach,
  deletedPrincipalShownById,
  iamError,
  invisibleAfterCreate,
  policyNameTaken,
  s3RegionRedirects,
  trustPolicySizeQuota,
} from '../test-support/aws-rules.mjs';
import { runAction } from '../test-support/run-action.mjs';
import { ACCOUNT, policyArn, roleArn as roleArnOf, type Stack, startStack } from './stack.js';

let stack: Stack;
const keys: Record<string, string> = {};
const count = (operation: string) => stack.proxy.calls.filter((c) => c.operation === operation).length;

beforeAll(async () => {
  stack = await startStack();
  // The same alias in three regions: each bucket's default key is the one in its own region.
  keys.east = await createKey(stack.motoEndpoint, 'lake', 'us-east-1');
  keys.west = await createKey(stack.motoEndpoint, 'lake', 'us-west-2');
  keys.eu = await createKey(stack.motoEndpoint, undefined, 'eu-west-1');
  keys.euArn = await createKey(stack.motoEndpoint, undefined, 'eu-west-1');
  await createBucket(stack.motoEndpoint, 'east-lake', { key: 'alias/lake' }, 'us-east-1');
  await createBucket(stack.motoEndpoint, 'west-lake', { key: 'alias/lake' }, 'us-west-2');
  await createBucket(stack.motoEndpoint, 'eu-lake-by-id', { key: keys.eu.split('/').pop() as string }, 'eu-west-1');
  await createBucket(stack.motoEndpoint, 'eu-lake-by-arn', { key: keys.euArn }, 'eu-west-1');
  await createBucket(stack.motoEndpoint, 'plain-lake');
});

beforeEach(() => stack.proxy.clear());

afterAll(async () => {
  await stack?.stop();
});

describe('1. a KMS key resolves in its bucket region', () => {
  it('grants the us-west-2 key behind alias/lake, not the us-east-1 key of the same alias; bare IDs and ARNs too', async () => {
    const result = await stack.run({
      buckets: 'east-lake\nwest-lake\neu-lake-by-id\neu-lake-by-arn',
      'role-name': 'regional',
      mode: 'plan',
    });
    expect(result.errors).toEqual([]);
    expect(JSON.parse(result.outputs['kms-key-arns']).sort()).toEqual([keys.east, keys.west, keys.eu, keys.euArn].sort());
    // Each key was described in its own region.
    const describes = stack.proxy.calls.filter((c) => c.operation === 'kms:DescribeKey').map((c) => `${c.region} ${c.params.KeyId}`);
    expect(describes.sort()).toEqual(
      ['us-east-1 alias/lake', 'us-west-2 alias/lake', `eu-west-1 ${keys.eu.split('/').pop()}`, `eu-west-1 ${keys.euArn}`].sort(),
    );
    expect(count('s3:GET location')).toBe(4);
  });

  // Rule: s3RegionRedirects (S3 answers 301 PermanentRedirect for a bucket of another region; moto never does).
  it('follows S3 redirects to each bucket region for every bucket read and the CORS write', async () => {
    const regions = { 'west-lake': 'us-west-2', 'eu-lake-by-id': 'eu-west-1', 'eu-lake-by-arn': 'eu-west-1' };
    stack.proxy.rules.push(s3RegionRedirects(regions));
    const result = await stack.run({ buckets: 'west-lake\neu-lake-by-id\neu-lake-by-arn', 'role-name': 'redirected', cors: 'true' });
    expect(result.errors).toEqual([]);
    expect(JSON.parse(result.outputs['kms-key-arns']).sort()).toEqual([keys.west, keys.eu, keys.euArn].sort());
    const redirected = stack.proxy.calls.filter((c) => c.answeredBy === 'S3 redirects to the bucket region').map((c) => c.operation);
    for (const op of ['s3:GetBucketEncryption', 's3:GET policy', 's3:GET cors', 's3:PUT cors']) expect(redirected).toContain(op);
    // Each redirected request was then sent, signed for the bucket's region, and answered by S3.
    const regional = stack.proxy.calls.filter((c) => c.service === 's3' && !c.answeredBy && c.params.Bucket === 'west-lake');
    expect(regional.length).toBeGreaterThan(0);
    expect(regional.every((c) => c.region === 'us-west-2' || c.operation === 's3:GET location')).toBe(true);
    expect(
      Object.values(JSON.parse(result.outputs.access)).every(
        (b) => (b as Record<string, { state: string }>)['web-app'].state === 'allowed',
      ),
    ).toBe(true);
  });
});

describe('3. partitions', () => {
  // Rule: callerInPartition (AWS General Reference, ARN partitions; STS GetCallerIdentity).
  it('refuses the default (aws) Activeloop principal in aws-cn before any write, saying trusted-principals must be given', async () => {
    stack.proxy.rules.push(callerInPartition('aws-cn'));
    const result = await stack.run({ buckets: 'plain-lake', 'role-name': 'china', 'aws-region': 'cn-north-1' });
    expect(result.code).toBe(1);
    expect(result.errors[0]).toContain("in the aws-cn partition, where Activeloop's default backend role");
    expect(result.errors[0]).toContain('Set trusted-principals');
    expect(stack.proxy.mutating()).toEqual([]);
  });

  it('refuses a KMS key ARN of another partition before any write', async () => {
    stack.proxy.rules.push(callerInPartition('aws-us-gov'));
    const result = await stack.run({
      buckets: 'plain-lake',
      'role-name': 'gov',
      'trusted-principals': 'arn:aws-us-gov:iam::111122223333:role/activeloop_backend',
      'kms-key-arns': keys.east,
    });
    expect(result.code).toBe(1);
    expect(result.errors[0]).toContain(`kms-key-arns: ${keys.east}`);
    expect(stack.proxy.mutating()).toEqual([]);
  });
});

describe('4. quotas are not throttling', () => {
  const principals = Array.from({ length: 20 }, (_, i) => `arn:aws:iam::${100000000000 + i}:role/activeloop-backend-${i}`).join('\n');
  const big = { buckets: 'plain-lake', 'role-name': 'big-trust', 'trusted-principals': principals, 'external-id': 'x'.repeat(1000) };

  // Rule: trustPolicySizeQuota (IAM User Guide, IAM and AWS STS quotas: role trust policy length).
  it('fails a too-large trust policy at once, naming the quota, the size and the fix, before any write', async () => {
    stack.proxy.rules.push(trustPolicySizeQuota(2048));
    const result = await stack.run(big);
    expect(result.code).toBe(1);
    expect(result.errors[0]).toMatch(/The trust policy of big-trust would be \d+ characters; the account's quota \(ACLSizePerRole/);
    expect(result.ms).toBeLessThan(15_000);
    expect(stack.proxy.mutating()).toEqual([]);
    expect(await readPolicy(stack.motoEndpoint, policyArn('big-trust-s3'))).toBeUndefined();
  });

  // Rule: accountQuotas (IAM API Reference, GetAccountSummary) with the quota raised to 4,096.
  it('applies it where the account quota was raised to 4,096', async () => {
    stack.proxy.rules.push(accountQuotas({ AssumeRolePolicySizeQuota: 4096 }), trustPolicySizeQuota(4096));
    const result = await stack.run(big);
    expect(result.errors).toEqual([]);
    expect((await readRole(stack.motoEndpoint, 'big-trust')).trust.Statement[0].Principal.AWS).toHaveLength(20);
  });

  // Rule: attachedPoliciesQuota (IAM quotas: managed policies per role), reached by someone else mid-run.
  it('fails a LimitExceeded quota answer at once, without retrying it as throttling or as a race', async () => {
    stack.proxy.rules.push(attachedPoliciesQuota(10));
    const result = await stack.run({ buckets: 'plain-lake', 'role-name': 'crowded' });
    expect(result.code).toBe(1);
    expect(result.errors[0]).toContain('exceeded an IAM quota of the account (Cannot exceed quota for PoliciesPerRole: 10)');
    expect(result.errors[0]).not.toContain('concurrent');
    expect(count('iam:AttachRolePolicy')).toBe(1);
    expect(result.ms).toBeLessThan(15_000);
    expect(result.summary).toContain('Planned changes not made');
  });
});

describe('5. policy names are unique per account, across paths', () => {
  // Rule: policyNameTaken (IAM User Guide, IAM identifiers: names unique in the account, case-insensitively).
  it('reports a same-named policy at another path as an ownership problem, naming it and policy-name, without race retries', async () => {
    const { iam } = clients(stack.motoEndpoint);
    await iam.send(
      new CreatePolicyCommand({
        PolicyName: 'Taken-S3',
        Path: '/other-team/',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' }],
        }),
      }),
    );
    stack.proxy.clear();
    stack.proxy.rules.push(policyNameTaken('taken-s3'));
    const result = await stack.run({ buckets: 'plain-lake', 'role-name': 'taken' });
    expect(result.code).toBe(1);
    expect(result.errors[0]).toContain('The policy name taken-s3 is taken');
    expect(result.errors[0]).toContain(`arn:aws:iam::${ACCOUNT}:policy/other-team/Taken-S3`);
    expect(result.errors[0]).toContain('policy-name');
    expect(count('iam:CreatePolicy')).toBe(1);
    expect(await readRole(stack.motoEndpoint, 'taken')).toBeUndefined();
  });
});

describe('6. IAM is eventually consistent', () => {
  // Rule: invisibleAfterCreate (IAM User Guide: changes are not always immediately visible).
  it('provisions a new role while new entities answer NoSuchEntity for 1.5 s, without treating it as a race', async () => {
    stack.proxy.rules.push(...invisibleAfterCreate(1500));
    const result = await stack.run({ buckets: 'plain-lake', 'role-name': 'slow-to-show' });
    expect(result.errors).toEqual([]);
    expect(stack.proxy.calls.some((c) => c.answeredBy?.startsWith('a new entity is invisible'))).toBe(true);
    expect(result.stdout).not.toContain('A concurrent change got in the way');
    expect((await readRole(stack.motoEndpoint, 'slow-to-show')).attached).toEqual([policyArn('slow-to-show-s3')]);
  });

  // Rule: deleteConflictAfterDetach (IAM API Reference, DeletePolicy).
  it('destroys while DeletePolicy still sees the detached attachment for two calls', async () => {
    expect((await stack.run({ buckets: 'plain-lake', 'role-name': 'late-detach' })).code).toBe(0);
    stack.proxy.clear();
    stack.proxy.rules.push(deleteConflictAfterDetach(2));
    const result = await stack.run({ buckets: 'plain-lake', 'role-name': 'late-detach', mode: 'destroy' });
    expect(result.errors).toEqual([]);
    expect(count('iam:DeletePolicy')).toBe(3);
    expect(await readRole(stack.motoEndpoint, 'late-detach')).toBeUndefined();
  });

  it('ends an error while re-reading after a race like any failure: summary written, no "Unexpected error"', async () => {
    let created = false;
    stack.proxy.rules.push(
      {
        name: 'a concurrent run created the role first',
        docs: 'IAM API Reference: CreateRole (EntityAlreadyExists)',
        match: (c) => c.operation === 'iam:CreateRole',
        respond: () => {
          created = true;
          return iamError('EntityAlreadyExists', 'Role with name raced already exists.', 409);
        },
        times: 1,
      },
      {
        name: 'the re-read is denied',
        docs: 'IAM API Reference: GetRole (AccessDenied)',
        match: (c) => created && c.operation === 'iam:GetRole',
        respond: () => iamError('AccessDenied', 'User is not authorized to perform: iam:GetRole', 403),
      },
    );
    const result = await stack.run({ buckets: 'plain-lake', 'role-name': 'raced' });
    expect(result.code).toBe(1);
    expect(result.errors[0]).toContain('iam:GetRole');
    expect(result.errors[0]).not.toContain('Unexpected error');
    expect(result.summary).toContain('Apply stopped by an error');
  });
});

describe('7. a permissions boundary that does not exist', () => {
  it('is named in a clear error before any write', async () => {
    const result = await stack.run({
      buckets: 'plain-lake',
      'role-name': 'bounded',
      'permissions-boundary': `arn:aws:iam::${ACCOUNT}:policy/no-such-boundary`,
    });
    expect(result.code).toBe(1);
    expect(result.errors[0]).toContain(
      `Input 'permissions-boundary': the policy arn:aws:iam::${ACCOUNT}:policy/no-such-boundary does not exist`,
    );
    expect(stack.proxy.mutating()).toEqual([]);
    expect(count('iam:CreateRole')).toBe(0);
  });
});

describe('7b. credentials of another account than the boundary names', () => {
  it('says the accounts differ, not that the policy is missing', async () => {
    const other = '222222222222';
    const result = await stack.run({
      buckets: 'plain-lake',
      'role-name': 'bounded-elsewhere',
      'permissions-boundary': `arn:aws:iam::${other}:policy/activeloop-role-action-deployer/activeloop-boundary`,
    });
    expect(result.code).toBe(1);
    expect(result.errors[0]).toContain(
      `Input 'permissions-boundary' names account ${other}, but the credentials belong to account ${ACCOUNT}`,
    );
    expect(result.errors[0]).not.toContain('does not exist');
    expect(stack.proxy.mutating()).toEqual([]);
  });
});

describe("10. the action's policy attached to another principal", () => {
  it('warns in plan and refuses an apply before any write, naming the principals (iam:CreatePolicyVersion takes no condition key)', async () => {
    const inputs = { buckets: 'plain-lake', 'role-name': 'shared-policy' };
    expect((await stack.run(inputs)).errors).toEqual([]);
    const { iam } = clients(stack.motoEndpoint);
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'unbounded-admin',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'unbounded-admin', PolicyArn: policyArn('shared-policy-s3') }));
    const says = `${policyArn('shared-policy-s3')} is also attached to role unbounded-admin`;
    const plan = await stack.run({ ...inputs, buckets: 'plain-lake\neast-lake', mode: 'plan' });
    expect(plan.errors).toEqual([]);
    expect(plan.warnings.join('\n')).toContain(says);
    stack.proxy.clear();
    const apply = await stack.run({ ...inputs, buckets: 'plain-lake\neast-lake' });
    expect(apply.code).toBe(1);
    expect(apply.errors[0]).toContain(says);
    expect(apply.errors[0]).toContain('iam:CreatePolicyVersion takes no condition key');
    expect(stack.proxy.mutating()).toEqual([]);
    await iam.send(new DetachRolePolicyCommand({ RoleName: 'unbounded-admin', PolicyArn: policyArn('shared-policy-s3') }));
    expect((await stack.run({ ...inputs, buckets: 'plain-lake\neast-lake' })).errors).toEqual([]);
  });
});

describe('11. two first applies at once', () => {
  it('the run that lost the race to create the role still gives the paste step', async () => {
    const inputs = { buckets: 'plain-lake', 'role-name': 'first-race', 'external-id': 'wizard-7' };
    // The first run's CreateRole waits while a second run provisions the role from start to end.
    let winner: Awaited<ReturnType<Stack['run']>> | undefined;
    let held = false;
    stack.proxy.options.hold = (call) => {
      if (call.operation !== 'iam:CreateRole' || held) return undefined;
      held = true;
      return stack.run(inputs).then((r) => {
        winner = r;
      });
    };
    const loser = await stack.run(inputs).finally(() => {
      stack.proxy.options.hold = undefined;
    });
    expect(winner?.errors).toEqual([]);
    expect(loser.errors).toEqual([]);
    expect(loser.stdout).toContain('A concurrent change got in the way');
    expect(loser.summary).not.toContain('this run did not create the role');
    expect(loser.summary).toContain('A concurrent run created the role while this one ran');
    expect(loser.summary).toContain(`- Role ARN: \`${roleArnOf('first-race')}\``);
    expect(loser.summary).toContain('- External ID: `wizard-7`');
  });
});

describe('8. NO_PROXY is decided against the host the SDK really calls', () => {
  // The proxy answers CONNECT for AWS's real hosts (and refuses it): which hosts went through it shows the decision.
  it('sends IAM (global: iam.amazonaws.com) through HTTPS_PROXY though NO_PROXY names iam.us-east-1.amazonaws.com, and bypasses STS it names', async () => {
    const result = await runAction({
      inputs: { buckets: 'plain-lake', 'role-name': 'proxied', mode: 'plan' },
      env: {
        HTTPS_PROXY: stack.endpoint,
        NO_PROXY: 'iam.us-east-1.amazonaws.com,sts.us-east-1.amazonaws.com',
        AWS_ENDPOINT_URL: undefined,
      },
      timeoutMs: 6000,
    });
    expect(result.code).not.toBe(0);
    const hosts = new Set(stack.proxy.connects);
    expect(hosts.has('iam.amazonaws.com:443')).toBe(true);
    expect([...hosts].some((h) => h.startsWith('sts.'))).toBe(false);
    expect([...hosts].some((h) => h.includes('s3.'))).toBe(true);
  });
  // CI once failed here: the action, giving up on a refused CONNECT, reset its socket, and the reset reached
  // the test process as an uncaught "read ECONNRESET". The proxy must outlive a client that resets.
  it('the proxy outlives a client that resets its CONNECT socket, and answers the next request', async () => {
    const { port } = new URL(stack.endpoint);
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => {
          socket.write('CONNECT iam.amazonaws.com:443 HTTP/1.1\r\nHost: iam.amazonaws.com:443\r\n\r\n');
          setTimeout(() => {
            socket.resetAndDestroy();
            resolve();
          }, 5);
        });
        socket.on('error', reject);
      });
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(stack.proxy.connects.filter((h) => h === 'iam.amazonaws.com:443')).toHaveLength(5);
    const result = await stack.run({ buckets: 'plain-lake', 'role-name': 'after-reset', mode: 'plan' });
    expect(result.errors).toEqual([]);
  });
});

describe('9. a trusted principal that was deleted', () => {
  const trustAnyone = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'sts:AssumeRole' }],
  });
  const createPartner = async () =>
    (
      await clients(stack.motoEndpoint).iam.send(
        new CreateRoleCommand({ RoleName: 'partner-backend', AssumeRolePolicyDocument: trustAnyone }),
      )
    ).Role?.RoleId as string;

  // Rule: deletedPrincipalShownById (IAM shows a deleted principal of a trust policy by its unique ID; moto keeps the ARN).
  it('plans to put the ARN back, saying the principal was deleted, and apply restores it', async () => {
    const partner = `arn:aws:iam::${ACCOUNT}:role/partner-backend`;
    const oldId = await createPartner();
    const inputs = { buckets: 'plain-lake', 'role-name': 'trusts-partner', 'trusted-principals': partner, 'access-check': 'off' };
    expect((await stack.run(inputs)).errors).toEqual([]);

    await clients(stack.motoEndpoint).iam.send(new DeleteRoleCommand({ RoleName: 'partner-backend' }));
    stack.proxy.rules.push(...deletedPrincipalShownById({ [partner]: oldId }));
    const plan = await stack.run({ ...inputs, mode: 'plan' });
    expect(plan.errors).toEqual([]);
    const entries = JSON.parse(plan.outputs.plan);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ action: 'update-trust-policy', resource: roleArnOf('trusts-partner') });
    expect(entries[0].reason).toBe(
      `a trusted principal was deleted: IAM shows it by its unique ID ${oldId}. Apply puts the ARN ${partner} back; IAM accepts it only once that principal exists again`,
    );

    await createPartner();
    const apply = await stack.run(inputs);
    expect(apply.errors).toEqual([]);
    expect(count('iam:UpdateAssumeRolePolicy')).toBe(1);
    expect((await readRole(stack.motoEndpoint, 'trusts-partner'))?.trust.Statement[0].Principal.AWS).toBe(partner);
    expect(JSON.parse((await stack.run({ ...inputs, mode: 'plan' })).outputs.plan)).toEqual([]);
  });
});
