import { describe, expect, it } from '@jest/globals';
import {
  buildDesired,
  type GrantUnit,
  grantUnits,
  liveAssignment,
  PolicySizeError,
  packUnits,
  permissionsDocument,
  trustPolicy,
} from '../src/desired.js';
import { mergeBucketGrants, parseBucketEntry } from '../src/inputs.js';
import { documentFacts, policySize, type Statement, statements } from '../src/policy.js';
import { MANAGED_POLICY_MAX_CHARS } from '../src/quotas.js';
import { identity, inputs } from './fixtures.js';

const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

function units(entries: string[], keys: string[] = []): GrantUnit[] {
  return grantUnits(
    mergeBucketGrants(entries.map(parseBucketEntry)),
    keys.map((keyArn) => ({ keyArn, buckets: [], crossAccount: false })),
  );
}

describe('permissionsDocument', () => {
  it("grants the seed's actions on whole buckets and their objects, and KMS only when there are keys", () => {
    const plain = permissionsDocument(units(['ml-datasets']), 'read-write', 'aws');
    expect(statements(plain)).toEqual([
      {
        Sid: 'DeepLakeBuckets',
        Effect: 'Allow',
        // The seed's actions, and the multipart clean-up s3:*Object* does not match.
        Action: ['s3:ListBucket', 's3:GetBucketLocation', 's3:*Object*', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        Resource: ['arn:aws:s3:::ml-datasets', 'arn:aws:s3:::ml-datasets/*'],
      },
    ]);
    expect(statements(permissionsDocument(units(['ml-datasets']), 'read-only', 'aws'))[0].Action).toEqual([
      's3:ListBucket',
      's3:GetBucketLocation',
      's3:GetObject',
      's3:GetObjectVersion',
    ]);
    const withKey = permissionsDocument(units(['ml-datasets'], [KEY]), 'read-write', 'aws');
    expect(statements(withKey)[1]).toEqual({
      Sid: 'DeepLakeKmsKeys',
      Effect: 'Allow',
      Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
      Resource: [KEY],
    });
  });

  it('grants read-only actions for access: read-only', () => {
    const facts = documentFacts(permissionsDocument(units(['ml-datasets'], [KEY]), 'read-only', 'aws'));
    expect(facts.actions).toEqual([
      'kms:Decrypt',
      'kms:DescribeKey',
      's3:GetBucketLocation',
      's3:GetObject',
      's3:GetObjectVersion',
      's3:ListBucket',
    ]);
  });

  it('limits a prefixed bucket to its prefixes: objects under them, and listing with an s3:prefix condition per bucket', () => {
    const doc = permissionsDocument(units(['raw-images/deeplake', 'logs-bucket/a', 'logs-bucket/b/c']), 'read-write', 'aws');
    const all = statements(doc);
    expect(all.find((s) => s.Sid === 'DeepLakePrefixObjects')?.Resource).toEqual([
      'arn:aws:s3:::logs-bucket/a/*',
      'arn:aws:s3:::logs-bucket/b/c/*',
      'arn:aws:s3:::raw-images/deeplake/*',
    ]);
    const listing = all.filter((s) => s.Action === 's3:ListBucket');
    expect(listing.map((s: Statement) => [s.Resource, s.Condition])).toEqual([
      ['arn:aws:s3:::logs-bucket', { StringLike: { 's3:prefix': ['a', 'a/*', 'b/c', 'b/c/*'] } }],
      ['arn:aws:s3:::raw-images', { StringLike: { 's3:prefix': ['deeplake', 'deeplake/*'] } }],
    ]);
    // No statement grants a whole prefixed bucket's objects.
    expect(documentFacts(doc).objectResources).not.toContain('arn:aws:s3:::raw-images/*');
  });

  it('uses the partition of the account', () => {
    expect(documentFacts(permissionsDocument(units(['cn-data']), 'read-write', 'aws-cn')).objectResources).toEqual([
      'arn:aws-cn:s3:::cn-data/*',
    ]);
  });
});

describe('trustPolicy', () => {
  it('trusts the principals and requires the external ID when one is set', () => {
    expect(trustPolicy(['arn:aws:iam::597713067985:role/activeloop_backend'], 'aws', 'ext-123')).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AllowAssumeRoleFromActiveloopSaaS',
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::597713067985:role/activeloop_backend' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'sts:ExternalId': 'ext-123' } },
        },
      ],
    });
    expect(statements(trustPolicy(['111122223333'], 'aws'))[0]).not.toHaveProperty('Condition');
  });
});

describe('packUnits', () => {
  const render = (bin: GrantUnit[]) => permissionsDocument(bin, 'read-write', 'aws');
  const many = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `bucket-${String(i + from).padStart(4, '0')}`);

  it('keeps everything in one policy while it fits', () => {
    expect(packUnits(units(many(20)), render, new Map())).toHaveLength(1);
  });

  it('splits across as few policies as fit the quota, each within it, losing no bucket', () => {
    const all = units(many(300), [KEY]);
    const bins = packUnits(all, render, new Map());
    expect(bins.length).toBeGreaterThan(1);
    for (const bin of bins) expect(policySize(render(bin))).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARS);
    expect(
      bins
        .flat()
        .map((u) => u.key)
        .sort(),
    ).toEqual(all.map((u) => u.key).sort());
    // As few as possible: all but the last are nearly full.
    const total = bins.reduce((sum, bin) => sum + policySize(render(bin)), 0);
    expect(bins.length).toBe(Math.ceil(total / MANAGED_POLICY_MAX_CHARS));
  });

  it('keeps units where they live: adding a bucket changes only one policy', () => {
    const before = packUnits(units(many(300)), render, new Map());
    const current = liveAssignment(before.map(render));
    const after = packUnits(units(['aaa-new-bucket', ...many(300)]), render, current);
    const changed = after.filter((bin, i) => JSON.stringify(render(bin)) !== JSON.stringify(before[i] ? render(before[i]) : null));
    expect(changed).toHaveLength(1);
  });

  it('shrinks back when buckets go, closing gaps so names stay dense', () => {
    const before = packUnits(units(many(300)), render, new Map());
    const current = liveAssignment(before.map(render));
    const after = packUnits(units(many(10)), render, current);
    expect(after).toHaveLength(1);
  });

  it('merges the last policy into the others when everything fits again, even a key placed late', () => {
    const before = packUnits(units(many(300), [KEY]), render, new Map());
    const current = liveAssignment(before.map(render));
    expect(current.get(`kms:${KEY}`)).toBeGreaterThan(0);
    expect(packUnits(units(many(10), [KEY]), render, current)).toHaveLength(1);
  });

  it('fails clearly when one bucket alone does not fit', () => {
    const prefixes = Array.from({ length: 200 }, (_, i) => `huge-bucket/prefix-number-${i}`);
    expect(() => packUnits(units(prefixes), render, new Map())).toThrow(/huge-bucket alone exceeds/);
  });
});

describe('buildDesired', () => {
  it('names the policies <policy-name>, <policy-name>-2 ... under the role path', () => {
    const buckets = Array.from({ length: 300 }, (_, i) => `bucket-${i}`).join('\n');
    const desired = buildDesired(inputs({ buckets, 'role-path': '/activeloop/' }), identity, []);
    expect(desired.policies.map((p) => p.arn).slice(0, 2)).toEqual([
      'arn:aws:iam::123456789012:policy/activeloop/activeloop-deeplake-access-s3',
      'arn:aws:iam::123456789012:policy/activeloop/activeloop-deeplake-access-s3-2',
    ]);
    expect(desired.role.arn).toBe('arn:aws:iam::123456789012:role/activeloop/activeloop-deeplake-access');
  });

  it('refuses a bucket list that needs more than ten policies', () => {
    const buckets = Array.from({ length: 1500 }, (_, i) => `long-bucket-name-for-testing-${i}`).join('\n');
    expect(() => buildDesired(inputs({ buckets }), identity, [])).toThrow(PolicySizeError);
    expect(() => buildDesired(inputs({ buckets }), identity, [])).toThrow(/at most 10 to a role/);
  });

  it('tags the role and policies with the ownership tag and the user tags', () => {
    const desired = buildDesired(inputs({ buckets: 'b-1', tags: 'team=ml' }), identity, []);
    expect(desired.role.tags).toEqual({ team: 'ml', 'managed-by': 'activeloop-role-action' });
    expect(desired.policyTags).toEqual(desired.role.tags);
  });
});
