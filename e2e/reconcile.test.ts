// Scheduled reconciliation: every kind of drift is found, reported as drift and repaired; nothing
// the action does not own is touched; concurrent runs converge.

import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DetachRolePolicyCommand,
  GetRolePolicyCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  TagRoleCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { clients, createBucket, readPolicy, readRole } from '../test-support/aws-fixtures.mjs';
import { policyArn, roleArn, type Stack, startStack } from './stack.js';

let stack: Stack;
let iam: ReturnType<typeof clients>['iam'];
const ROLE = 'activeloop-deeplake-access';
const BOUNDARY = `arn:aws:iam::123456789012:policy/org-boundary`;
const BASE = { buckets: 'data-bucket', tags: 'team=ml', 'permissions-boundary': BOUNDARY };

beforeAll(async () => {
  stack = await startStack();
  iam = clients(stack.motoEndpoint).iam;
  await createBucket(stack.motoEndpoint, 'data-bucket');
  for (const name of ['org-boundary', 'other-boundary', 'someone-elses-policy']) {
    await iam.send(
      new CreatePolicyCommand({
        PolicyName: name,
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }),
      }),
    );
  }
  expect((await stack.run(BASE)).code).toBe(0);
});

afterAll(async () => {
  await stack?.stop();
});

type Drift = [string, () => Promise<unknown>, string, (role: Awaited<ReturnType<typeof readRole>>) => void];

const drifts: Drift[] = [
  [
    'a new default policy version',
    () =>
      iam.send(
        new CreatePolicyVersionCommand({
          PolicyArn: policyArn(),
          SetAsDefault: true,
          PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }),
        }),
      ),
    'update-policy',
    () => {},
  ],
  [
    'a widened trust policy',
    () =>
      iam.send(
        new UpdateAssumeRolePolicyCommand({
          RoleName: ROLE,
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }],
          }),
        }),
      ),
    'update-trust-policy',
    (role) => expect(role.trust.Statement[0].Principal.AWS).toBe('arn:aws:iam::597713067985:role/activeloop_backend'),
  ],
  [
    'a detached policy',
    () => iam.send(new DetachRolePolicyCommand({ RoleName: ROLE, PolicyArn: policyArn() })),
    'attach-policy',
    (role) => expect(role.attached).toContain(policyArn()),
  ],
  [
    'a removed ownership tag',
    () => iam.send(new UntagRoleCommand({ RoleName: ROLE, TagKeys: ['managed-by'] })),
    'tag-role',
    (role) => expect(role.tags['managed-by']).toBe('activeloop-role-action'),
  ],
  [
    'a changed description',
    () => iam.send(new UpdateRoleCommand({ RoleName: ROLE, Description: 'edited in the console' })),
    'update-role',
    (role) => expect(role.Description).toContain('Activeloop'),
  ],
  [
    'a changed maximum session duration',
    () => iam.send(new UpdateRoleCommand({ RoleName: ROLE, MaxSessionDuration: 43200 })),
    'update-role',
    (role) => expect(role.MaxSessionDuration).toBe(3600),
  ],
  [
    'a swapped permissions boundary',
    () =>
      iam.send(
        new PutRolePermissionsBoundaryCommand({ RoleName: ROLE, PermissionsBoundary: 'arn:aws:iam::123456789012:policy/other-boundary' }),
      ),
    'set-permissions-boundary',
    (role) => expect(role.PermissionsBoundary.PermissionsBoundaryArn).toBe(BOUNDARY),
  ],
  [
    'a changed tag value',
    () => iam.send(new TagRoleCommand({ RoleName: ROLE, Tags: [{ Key: 'team', Value: 'hacked' }] })),
    'tag-role',
    (role) => expect(role.tags.team).toBe('ml'),
  ],
  [
    'a deleted role',
    async () => {
      await iam.send(new DetachRolePolicyCommand({ RoleName: ROLE, PolicyArn: policyArn() }));
      await iam.send(new DeleteRoleCommand({ RoleName: ROLE }));
    },
    'create-role',
    (role) => expect(role.attached).toContain(policyArn()),
  ],
];

describe('drift', () => {
  it.each(drifts)('finds %s, reports it as drift, repairs it, and fail-on-drift fails the step', async (_, edit, action, check) => {
    await edit();
    const plan = await stack.run({ ...BASE, mode: 'plan' });
    const planned = JSON.parse(plan.outputs.plan);
    expect(planned).toContainEqual(expect.objectContaining({ action, drift: true }));
    expect(plan.summary).toContain('⚠️ yes');

    const repair = await stack.run({ ...BASE, 'fail-on-drift': 'true' });
    expect(repair.code).toBe(1);
    expect(repair.errors).toEqual([
      expect.stringMatching(
        /^::error::fail-on-drift: the role activeloop-deeplake-access had drifted \(changed outside this action\): \d+ change\(s\) put it back/,
      ),
    ]);
    expect(JSON.parse(repair.outputs.plan)).toContainEqual(expect.objectContaining({ action, drift: true }));
    check(await readRole(stack.motoEndpoint, ROLE));

    const after = await stack.run({ ...BASE, 'fail-on-drift': 'true' });
    expect([after.code, after.outputs.changed]).toEqual([0, 'false']);
  });

  it('has repaired the policy document itself', async () => {
    const policy = await readPolicy(stack.motoEndpoint, policyArn());
    expect(JSON.stringify(policy.document)).not.toContain('"Resource":"*"');
    expect(policy.versions.length).toBeLessThanOrEqual(5);
  });
});

describe('what the action does not own', () => {
  it('leaves foreign attached policies, inline policies and foreign tags in place', async () => {
    const foreign = 'arn:aws:iam::123456789012:policy/someone-elses-policy';
    await iam.send(new AttachRolePolicyCommand({ RoleName: ROLE, PolicyArn: foreign }));
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: ROLE,
        PolicyName: 'inline-extra',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' }],
        }),
      }),
    );
    await iam.send(new TagRoleCommand({ RoleName: ROLE, Tags: [{ Key: 'owner', Value: 'security-team' }] }));
    await iam.send(new UpdateRoleCommand({ RoleName: ROLE, Description: 'drifted again' }));

    const result = await stack.run({ ...BASE, buckets: 'data-bucket\ns3://data-bucket/extra' });
    expect(result.errors).toEqual([]);
    const role = await readRole(stack.motoEndpoint, ROLE);
    expect(role.attached).toEqual([foreign, policyArn()].sort());
    expect(role.tags.owner).toBe('security-team');
    expect((await iam.send(new GetRolePolicyCommand({ RoleName: ROLE, PolicyName: 'inline-extra' }))).PolicyName).toBe('inline-extra');
  });
});

describe('ownership', () => {
  it('refuses a same-named role it did not create, explaining adopt, and changes nothing', async () => {
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'sts:AssumeRole' }],
    });
    await iam.send(
      new CreateRoleCommand({ RoleName: 'legacy-role', AssumeRolePolicyDocument: trust, Tags: [{ Key: 'owner', Value: 'ops' }] }),
    );
    stack.proxy.clear();
    const refused = await stack.run({ buckets: 'data-bucket', 'role-name': 'legacy-role' });
    expect(refused.code).toBe(1);
    expect(refused.errors[0]).toContain(`The role ${roleArn('legacy-role')} already exists and is not managed by this action`);
    expect(refused.errors[0]).toContain('set adopt: true');
    expect(stack.proxy.mutating()).toEqual([]);

    const adopted = await stack.run({ buckets: 'data-bucket', 'role-name': 'legacy-role', adopt: 'true' });
    expect(adopted.errors).toEqual([]);
    const role = await readRole(stack.motoEndpoint, 'legacy-role');
    expect(role.tags).toMatchObject({ 'managed-by': 'activeloop-role-action', owner: 'ops' });
    expect(role.trust.Statement[0].Principal.AWS).toBe('arn:aws:iam::597713067985:role/activeloop_backend');
    expect(role.attached).toEqual([policyArn('legacy-role-s3')]);
    // Adopted once, it is owned: adopt is no longer needed.
    expect((await stack.run({ buckets: 'data-bucket', 'role-name': 'legacy-role' })).outputs.changed).toBe('false');
  });
});

describe('role path', () => {
  it('keeps the role and its policies where they are when role-path changes, and keeps managing them', async () => {
    expect((await stack.run({ buckets: 'data-bucket', 'role-name': 'pathed-role' })).code).toBe(0);
    const moved = await stack.run({ buckets: 'data-bucket', 'role-name': 'pathed-role', 'role-path': '/activeloop/' });
    expect(moved.errors).toEqual([]);
    expect(moved.warnings.join('\n')).toContain('The role exists at path /, not /activeloop/; IAM cannot move a role');
    expect(moved.outputs.changed).toBe('false');
    expect(moved.outputs['role-arn']).toBe(roleArn('pathed-role'));
    const grown = await stack.run({ buckets: 'data-bucket', 'role-name': 'pathed-role', 'role-path': '/activeloop/', access: 'read-only' });
    expect(JSON.parse(grown.outputs.plan)).toEqual([
      expect.objectContaining({ action: 'update-policy', resource: policyArn('pathed-role-s3') }),
    ]);
  });
});

describe('concurrency', () => {
  it('converges when three runs provision the same role at once', async () => {
    const inputs = { buckets: 'data-bucket', 'role-name': 'raced-role', tags: 'team=ml' };
    // The three runs' first writes are held until all three have sent theirs, so they really collide
    // (a machine's load alone decides otherwise whether they overlap).
    const waiting: (() => void)[] = [];
    stack.proxy.options.hold = (call) => {
      if (call.operation !== 'iam:CreatePolicy') return undefined;
      return new Promise<void>((release) => {
        waiting.push(release);
        if (waiting.length === 3) for (const r of waiting) r();
        setTimeout(release, 20_000);
      });
    };
    const results = await Promise.all([stack.run(inputs), stack.run(inputs), stack.run(inputs)]).finally(() => {
      stack.proxy.options.hold = undefined;
    });
    for (const r of results) expect([r.code, r.errors]).toEqual([0, []]);
    expect(results.filter((r) => r.stdout.includes('A concurrent change got in the way')).length).toBeGreaterThanOrEqual(1);
    for (const r of results) expect(r.outputs['role-arn']).toBe(roleArn('raced-role'));
    const role = await readRole(stack.motoEndpoint, 'raced-role');
    expect(role.attached).toEqual([policyArn('raced-role-s3')]);
    const after = await stack.run({ ...inputs, mode: 'plan' });
    expect(after.outputs.changed).toBe('false');
  });
});
