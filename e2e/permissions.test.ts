// The least-privilege policies in policies/ (and the README) are enough, and no more is used:
// moto checks every call against them (POST /moto-api/reset-auth).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createBucket, createKey, createUserWithPolicy, readPolicy, readRole } from '../test-support/aws-fixtures.mjs';
import { root } from '../test-support/run-action.mjs';
import { ACCOUNT, policyArn, roleArn, type Stack, startStack } from './stack.js';

let stack: Stack;
let planner: Record<string, string>;
let deployer: Record<string, string>;
let destroyer: Record<string, string>;
let admin: { accessKeyId: string; secretAccessKey: string };

function loadPolicy(file: string) {
  const text = readFileSync(join(root, 'policies', file), 'utf8')
    .replaceAll('PARTITION', 'aws')
    .replaceAll('BOUNDARY_ARN', '*')
    .replaceAll('ACCOUNT_ID', ACCOUNT)
    .replaceAll('ROLE_NAME', 'activeloop-deeplake-access')
    .replaceAll('POLICY_NAME', 'activeloop-deeplake-access-s3')
    .replaceAll('BUCKET_NAME', '*');
  const policy = JSON.parse(text);
  // moto authorises IAM and KMS calls against the resource "*", so it can check that the action lists
  // suffice but not the resource scoping: widen each Resource for it.
  for (const statement of policy.Statement) statement.Resource = '*';
  // moto checks S3's GET ?encryption as s3:ListBucket (AWS: s3:GetEncryptionConfiguration), and GET ?location likewise.
  policy.Statement.push({ Sid: 'MotoChecksEncryptionReadsAsListBucket', Effect: 'Allow', Action: 's3:ListBucket', Resource: '*' });
  return policy;
}

beforeAll(async () => {
  stack = await startStack();
  await createKey(stack.motoEndpoint, 'datasets');
  await createBucket(stack.motoEndpoint, 'kms-bucket', { key: 'alias/datasets' });
  await createBucket(stack.motoEndpoint, 'plain-bucket');
  planner = await createUserWithPolicy(stack.motoEndpoint, 'planner', loadPolicy('plan-permissions.json'));
  deployer = await createUserWithPolicy(stack.motoEndpoint, 'deployer', loadPolicy('apply-permissions.json'));
  destroyer = await createUserWithPolicy(stack.motoEndpoint, 'destroyer', loadPolicy('destroy-permissions.json'));
  const adminKeys = await createUserWithPolicy(stack.motoEndpoint, 'admin', {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
  });
  admin = { accessKeyId: adminKeys.AWS_ACCESS_KEY_ID, secretAccessKey: adminKeys.AWS_SECRET_ACCESS_KEY };
  await stack.moto.enforcePermissions();
});

afterAll(async () => {
  await stack?.stop();
});

describe('with moto checking permissions', () => {
  it('plans with the read-only policy', async () => {
    const result = await stack.run({ buckets: 'kms-bucket\nplain-bucket', mode: 'plan' }, { env: planner });
    expect(result.errors).toEqual([]);
    expect(result.outputs.changed).toBe('true');
    expect(JSON.parse(result.outputs['kms-key-arns'])).toHaveLength(1);
  });

  it('refuses to apply with the read-only policy, naming the denied call, and leaves no half-made role', async () => {
    const result = await stack.run({ buckets: 'kms-bucket\nplain-bucket' }, { env: planner });
    expect(result.code).toBe(1);
    expect(result.errors[0]).toMatch(/iam:CreatePolicy activeloop-deeplake-access-s3 was denied/);
    expect(result.errors[0]).toContain('Permissions the action needs');
    expect(await readRole(stack.motoEndpoint, 'activeloop-deeplake-access', admin)).toBeUndefined();
    expect(await readPolicy(stack.motoEndpoint, policyArn(), admin)).toBeUndefined();
  });

  it('applies, updates and re-plans with the apply policy and nothing more', async () => {
    const first = await stack.run({ buckets: 'kms-bucket' }, { env: deployer });
    expect(first.errors).toEqual([]);
    expect(first.outputs['role-arn']).toBe(roleArn());
    const update = await stack.run({ buckets: 'kms-bucket\nplain-bucket', tags: 'team=ml' }, { env: deployer });
    expect(update.errors).toEqual([]);
    expect(JSON.parse(update.outputs.plan).map((c: { action: string }) => c.action)).toEqual(['update-policy', 'tag-role']);
    const role = await readRole(stack.motoEndpoint, 'activeloop-deeplake-access', admin);
    expect(role.tags.team).toBe('ml');
    const again = await stack.run({ buckets: 'kms-bucket\nplain-bucket', tags: 'team=ml', mode: 'plan' }, { env: planner });
    expect(again.errors).toEqual([]);
    expect(again.outputs.changed).toBe('false');
  });

  it('previews destroy with the read-only policy, then destroys with the destroy policy and nothing more', async () => {
    stack.proxy.clear();
    const preview = await stack.run({ buckets: 'kms-bucket\nplain-bucket', mode: 'plan-destroy' }, { env: planner });
    expect(preview.errors).toEqual([]);
    expect(JSON.parse(preview.outputs.plan).map((c: { action: string }) => c.action)).toEqual([
      'detach-policy',
      'delete-policy',
      'delete-role',
    ]);
    expect(stack.proxy.mutating()).toEqual([]);
    const destroyed = await stack.run({ buckets: 'kms-bucket\nplain-bucket', mode: 'destroy' }, { env: destroyer });
    expect(destroyed.errors).toEqual([]);
    expect(destroyed.outputs.changed).toBe('true');
    expect(await readRole(stack.motoEndpoint, 'activeloop-deeplake-access', admin)).toBeUndefined();
    expect(await readPolicy(stack.motoEndpoint, policyArn(), admin)).toBeUndefined();
  });
});
