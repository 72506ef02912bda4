// Offboarding end to end: plan-destroy and destroy of the bundled action against moto, IAM state read back.

import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DetachRolePolicyCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { type CORSRule, GetBucketCorsCommand, PutBucketCorsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { clients, createBucket, readPolicy, readRole } from '../test-support/aws-fixtures.mjs';
import { policyArn, type Stack, startStack } from './stack.js';

let stack: Stack;
const OURS: CORSRule = {
  ID: 'activeloop-role-action',
  AllowedMethods: ['GET', 'HEAD'],
  AllowedOrigins: ['https://*.activeloop.ai'],
  AllowedHeaders: ['*'],
};
const FOREIGN: CORSRule = { ID: 'website', AllowedMethods: ['GET'], AllowedOrigins: ['https://example.com'] };
const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'sts:AssumeRole' }],
});

async function corsRules(bucket: string): Promise<CORSRule[]> {
  try {
    return (await clients(stack.motoEndpoint).s3.send(new GetBucketCorsCommand({ Bucket: bucket }))).CORSRules ?? [];
  } catch (error) {
    if ((error as Error).name === 'NoSuchCORSConfiguration') return [];
    throw error;
  }
}
const actions = (plan: string) =>
  JSON.parse(plan).map((c: { action: string; resource: string }) => `${c.action} ${c.resource.split(/[/:]/).pop()}`);

beforeAll(async () => {
  stack = await startStack();
  await createBucket(stack.motoEndpoint, 'shared-lake');
  await createBucket(stack.motoEndpoint, 'own-lake');
});

afterAll(async () => {
  await stack?.stop();
});

describe('create, then destroy', () => {
  const inputs = { buckets: 'shared-lake\nown-lake', 'role-name': 'offboarded' };

  beforeAll(async () => {
    expect((await stack.run(inputs)).code).toBe(0);
    // Two updates, so the policy has versions to delete first.
    expect((await stack.run({ ...inputs, buckets: 'shared-lake' })).code).toBe(0);
    expect((await stack.run(inputs)).code).toBe(0);
    // The action's CORS rule on both buckets (as cors: true keeps it), and someone else's rule on one.
    const { s3 } = clients(stack.motoEndpoint);
    await s3.send(new PutBucketCorsCommand({ Bucket: 'shared-lake', CORSConfiguration: { CORSRules: [FOREIGN, OURS] } }));
    await s3.send(new PutBucketCorsCommand({ Bucket: 'own-lake', CORSConfiguration: { CORSRules: [OURS] } }));
  });

  it('previews with plan-destroy: every removal listed, nothing written', async () => {
    stack.proxy.clear();
    const result = await stack.run({ ...inputs, mode: 'plan-destroy' });
    expect(result.code).toBe(0);
    expect(actions(result.outputs.plan)).toEqual([
      'detach-policy offboarded-s3',
      // Buckets in name order.
      'remove-cors-rule own-lake',
      'remove-cors-rule shared-lake',
      'delete-policy offboarded-s3',
      'delete-role offboarded',
    ]);
    expect(result.outputs.changed).toBe('true');
    expect(stack.proxy.mutating()).toEqual([]);
    expect(result.summary).toContain('destroy would remove 5 things');
    expect(result.summary).toContain(`**Managed policies destroy would remove**: \`${policyArn('offboarded-s3')}\``);
    expect(result.summary).not.toContain('Managed policies**: none');
    expect(result.summary).toContain('Once destroy has run, remove the credentials in Activeloop too');
    expect(await readRole(stack.motoEndpoint, 'offboarded')).toBeDefined();
  });

  it('removes the policies, its CORS rule and the role; leaves the other CORS rule; reminds about Activeloop', async () => {
    stack.proxy.clear();
    const result = await stack.run({ ...inputs, mode: 'destroy' });
    expect(result.errors).toEqual([]);
    expect(result.outputs.changed).toBe('true');
    expect(result.outputs['policy-arns']).toBe('[]');
    expect(result.outputs['role-arn']).toBe('arn:aws:iam::123456789012:role/offboarded');
    expect(await readRole(stack.motoEndpoint, 'offboarded')).toBeUndefined();
    expect(await readPolicy(stack.motoEndpoint, policyArn('offboarded-s3'))).toBeUndefined();
    expect(await corsRules('shared-lake')).toEqual([expect.objectContaining({ ID: 'website', AllowedOrigins: ['https://example.com'] })]);
    expect(await corsRules('own-lake')).toEqual([]);
    // Activeloop loses access first; the role goes last.
    const writes = stack.proxy.mutating();
    expect(writes[0]).toBe('iam:DetachRolePolicy');
    expect(writes.at(-1)).toBe('iam:DeleteRole');
    expect(writes.filter((w) => w === 'iam:DeletePolicyVersion')).toHaveLength(2);
    expect(result.summary).toContain('Removed 5 things');
    expect(result.summary).toContain(`**Managed policies removed**: \`${policyArn('offboarded-s3')}\``);
    expect(result.summary).toContain('Remove the credentials in Activeloop too');
    // The workflow that made the role would make it again on its next push or nightly run.
    const recreate =
      'will create the role again, trusting Activeloop, on its next run: delete the workflow file (or remove its push and schedule triggers)';
    expect(result.summary).toContain(recreate);
    expect(result.warnings).toEqual([expect.stringContaining(recreate)]);
  });

  it('succeeds with nothing to remove on a second destroy: changed false, 0 writes', async () => {
    stack.proxy.clear();
    const result = await stack.run({ ...inputs, mode: 'destroy' });
    expect(result.code).toBe(0);
    expect(result.outputs.changed).toBe('false');
    expect(result.outputs.plan).toBe('[]');
    expect(stack.proxy.mutating()).toEqual([]);
    expect(result.summary).toContain('Nothing to remove');
    // The log says the same sentence as the summary, not "In sync".
    expect(result.stdout).toContain('Nothing to remove: neither the role offboarded nor policies of this action exist.');
    expect(result.stdout).not.toContain('In sync');
  });
});

describe('what destroy refuses', () => {
  it('refuses while a foreign managed policy and an inline policy are on the role, listing both: 0 writes', async () => {
    const inputs = { buckets: 'shared-lake', 'role-name': 'shared-role' };
    expect((await stack.run(inputs)).code).toBe(0);
    const { iam } = clients(stack.motoEndpoint);
    const foreign = (
      await iam.send(
        new CreatePolicyCommand({
          PolicyName: 'team-logs',
          PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'logs:*', Resource: '*' }] }),
        }),
      )
    ).Policy?.Arn as string;
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'shared-role', PolicyArn: foreign }));
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'shared-role',
        PolicyName: 'hand-made',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' }],
        }),
      }),
    );
    stack.proxy.clear();
    const result = await stack.run({ ...inputs, mode: 'destroy' });
    expect(result.code).toBe(1);
    expect(result.errors[0]).toContain('carries 2 thing(s) this action did not make');
    expect(result.errors[0]).toContain(`aws iam detach-role-policy --role-name shared-role --policy-arn ${foreign}`);
    expect(result.errors[0]).toContain('aws iam delete-role-policy --role-name shared-role --policy-name hand-made');
    expect(stack.proxy.mutating()).toEqual([]);
    expect((await readRole(stack.motoEndpoint, 'shared-role')).attached).toHaveLength(2);
  });

  it('refuses a role it did not create, even with adopt: true', async () => {
    const { iam } = clients(stack.motoEndpoint);
    await iam.send(new CreateRoleCommand({ RoleName: 'someone-elses', AssumeRolePolicyDocument: TRUST }));
    stack.proxy.clear();
    const result = await stack.run({ buckets: 'shared-lake', 'role-name': 'someone-elses', mode: 'destroy', adopt: 'true' });
    expect(result.code).toBe(1);
    expect(result.errors[0]).toMatch(/role arn:aws:iam::123456789012:role\/someone-elses is not managed by this action/);
    expect(stack.proxy.mutating()).toEqual([]);
    expect(await readRole(stack.motoEndpoint, 'someone-elses')).toBeDefined();
  });
});

describe('an interrupted destroy', () => {
  it('completes when the role is gone but its policy is left', async () => {
    const inputs = { buckets: 'own-lake', 'role-name': 'half-gone' };
    expect((await stack.run(inputs)).code).toBe(0);
    const { iam } = clients(stack.motoEndpoint);
    await iam.send(new DetachRolePolicyCommand({ RoleName: 'half-gone', PolicyArn: policyArn('half-gone-s3') }));
    await iam.send(new DeleteRoleCommand({ RoleName: 'half-gone' }));
    const result = await stack.run({ ...inputs, mode: 'destroy' });
    expect(result.errors).toEqual([]);
    expect(actions(result.outputs.plan)).toEqual(['delete-policy half-gone-s3']);
    expect(await readPolicy(stack.motoEndpoint, policyArn('half-gone-s3'))).toBeUndefined();
  });

  it('completes when the policy is gone but the role is left', async () => {
    const inputs = { buckets: 'own-lake', 'role-name': 'other-half' };
    expect((await stack.run(inputs)).code).toBe(0);
    // A destroy that stopped after its policy phase: detached and deleted, the role still there.
    const { iam } = clients(stack.motoEndpoint);
    await iam.send(new DetachRolePolicyCommand({ RoleName: 'other-half', PolicyArn: policyArn('other-half-s3') }));
    const { DeletePolicyCommand } = await import('@aws-sdk/client-iam');
    await iam.send(new DeletePolicyCommand({ PolicyArn: policyArn('other-half-s3') }));
    const result = await stack.run({ ...inputs, mode: 'destroy' });
    expect(result.errors).toEqual([]);
    expect(actions(result.outputs.plan)).toEqual(['delete-role other-half']);
    expect(await readRole(stack.motoEndpoint, 'other-half')).toBeUndefined();
  });
});
