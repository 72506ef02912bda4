// Hundreds of buckets: the grants split across managed policies and merge back; throttling is
// survived; a service that keeps failing ends the run in bounded time.

import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createBucket, createKey, readPolicy, readRole } from '../test-support/aws-fixtures.mjs';
import { policyArn, type Stack, startStack } from './stack.js';

let stack: Stack;
let keyArn: string;
const names = Array.from({ length: 500 }, (_, i) => `scale-bucket-${String(i).padStart(3, '0')}`);

beforeAll(async () => {
  stack = await startStack();
  keyArn = await createKey(stack.motoEndpoint, 'scale');
  for (let i = 0; i < names.length; i += 25) {
    await Promise.all(
      names
        .slice(i, i + 25)
        .map((name, j) => createBucket(stack.motoEndpoint, name, (i + j) % 50 === 0 ? { key: 'alias/scale' } : undefined)),
    );
  }
});

afterAll(async () => {
  await stack?.stop();
});

async function grantedBuckets(arns: string[]): Promise<string[]> {
  const buckets: string[] = [];
  for (const arn of arns) {
    const policy = await readPolicy(stack.motoEndpoint, arn);
    expect(JSON.stringify(policy.document).length).toBeLessThanOrEqual(6144);
    expect(policy.tags['managed-by']).toBe('activeloop-role-action');
    for (const s of policy.document.Statement)
      for (const r of [s.Resource].flat()) if (/^arn:aws:s3:::[^/]+$/.test(r)) buckets.push(r.slice('arn:aws:s3:::'.length));
  }
  return buckets.sort();
}

describe('500 buckets', () => {
  it('splits the grants across as few policies as fit, all attached, every bucket granted once', async () => {
    const result = await stack.run({ buckets: names.join('\n'), 'role-name': 'scale-role' });
    expect(result.errors).toEqual([]);
    const arns = JSON.parse(result.outputs['policy-arns']);
    expect(arns.length).toBeGreaterThan(1);
    expect(arns.length).toBeLessThanOrEqual(10);
    expect(arns).toEqual(arns.map((_: string, i: number) => policyArn(i === 0 ? 'scale-role-s3' : `scale-role-s3-${i + 1}`)));
    expect(await grantedBuckets(arns)).toEqual(names);
    expect((await readRole(stack.motoEndpoint, 'scale-role')).attached).toEqual([...arns].sort());
    expect(JSON.parse(result.outputs['kms-key-arns'])).toEqual([keyArn]);

    stack.proxy.clear();
    const again = await stack.run({ buckets: names.join('\n'), 'role-name': 'scale-role' });
    expect(again.outputs.changed).toBe('false');
    expect(stack.proxy.mutating()).toEqual([]);
  });

  it('adds a bucket by rewriting one policy only', async () => {
    await createBucket(stack.motoEndpoint, 'scale-bucket-new');
    stack.proxy.clear();
    const result = await stack.run({ buckets: [...names, 'scale-bucket-new'].join('\n'), 'role-name': 'scale-role' });
    expect(result.errors).toEqual([]);
    expect(JSON.parse(result.outputs.plan).map((c: { action: string }) => c.action)).toEqual(['update-policy']);
  });

  it('merges back into one policy when the list shrinks, detaching and deleting only its own surplus', async () => {
    const before = JSON.parse(
      (await stack.run({ buckets: names.join('\n'), 'role-name': 'scale-role', mode: 'plan' })).outputs['policy-arns'],
    );
    const result = await stack.run({ buckets: names.slice(0, 10).join('\n'), 'role-name': 'scale-role' });
    expect(result.errors).toEqual([]);
    expect(JSON.parse(result.outputs['policy-arns'])).toEqual([policyArn('scale-role-s3')]);
    const actions = JSON.parse(result.outputs.plan).map((c: { action: string }) => c.action);
    expect(actions.filter((a: string) => a === 'detach-policy')).toHaveLength(before.length - 1);
    expect(actions.filter((a: string) => a === 'delete-policy')).toHaveLength(before.length - 1);
    for (const arn of before.slice(1)) expect(await readPolicy(stack.motoEndpoint, arn)).toBeUndefined();
    expect((await readRole(stack.motoEndpoint, 'scale-role')).attached).toEqual([policyArn('scale-role-s3')]);
    expect(await grantedBuckets([policyArn('scale-role-s3')])).toEqual(names.slice(0, 10));
  });
});

describe('throttling', () => {
  it('converges with 30% of calls throttled', async () => {
    stack.proxy.options.throttle = 0.3;
    stack.proxy.clear();
    try {
      const result = await stack.run({ buckets: names.slice(0, 200).join('\n'), 'role-name': 'throttled-role' });
      expect(result.errors).toEqual([]);
      expect(stack.proxy.calls.filter((c) => c.throttled).length).toBeGreaterThan(30);
    } finally {
      stack.proxy.options.throttle = 0;
    }
    expect(
      await grantedBuckets(
        JSON.parse(
          (await stack.run({ buckets: names.slice(0, 200).join('\n'), 'role-name': 'throttled-role', mode: 'plan' })).outputs[
            'policy-arns'
          ],
        ),
      ),
    ).toEqual(names.slice(0, 200));
  });

  it('fails with a clear message within a minute and a half when every call is throttled', async () => {
    stack.proxy.options.throttle = 1;
    try {
      const result = await stack.run({ buckets: names.slice(0, 50).join('\n'), 'role-name': 'never-role' });
      expect(result.code).toBe(1);
      expect(result.errors[0]).toMatch(/was throttled by AWS and still failed after retries/);
      expect(result.ms).toBeLessThan(90_000);
    } finally {
      stack.proxy.options.throttle = 0;
    }
    expect(await readRole(stack.motoEndpoint, 'never-role')).toBeUndefined();
  });
});

describe('regions', () => {
  it('inspects a bucket that lives in another region', async () => {
    const s3 = new S3Client({
      endpoint: stack.motoEndpoint,
      region: 'eu-west-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    await s3.send(new CreateBucketCommand({ Bucket: 'eu-datasets', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    const result = await stack.run({ buckets: 'eu-datasets', 'role-name': 'region-role', 'aws-region': 'us-east-1' });
    expect(result.errors).toEqual([]);
    expect(await grantedBuckets([policyArn('region-role-s3')])).toEqual(['eu-datasets']);
  });
});
