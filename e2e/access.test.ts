// Can Activeloop really use each bucket? The access check and cors: true end to end on moto.

import { CreatePolicyCommand } from '@aws-sdk/client-iam';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import {
  type CORSRule,
  GetBucketCorsCommand,
  PutBucketCorsCommand,
  PutBucketEncryptionCommand,
  PutBucketPolicyCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { clients, createBucket, readPolicy } from '../test-support/aws-fixtures.mjs';
import { bucketLocationDenied, bucketOwners, bucketPolicyOfOtherAccount, requestPayment } from '../test-support/aws-rules.mjs';
import { ACCOUNT, policyArn, type Stack, startStack } from './stack.js';

let stack: Stack;
const FOREIGN: CORSRule = { ID: 'website', AllowedMethods: ['GET'], AllowedOrigins: ['https://example.com'] };
const bucketPolicy = (_bucket: string, statement: object) => JSON.stringify({ Version: '2012-10-17', Statement: [statement] });

async function corsRules(bucket: string): Promise<CORSRule[]> {
  try {
    return (await clients(stack.motoEndpoint).s3.send(new GetBucketCorsCommand({ Bucket: bucket }))).CORSRules ?? [];
  } catch {
    return [];
  }
}
const states = (access: string, bucket: string) =>
  Object.fromEntries(Object.entries(JSON.parse(access)[bucket] as Record<string, { state: string }>).map(([k, v]) => [k, v.state]));

beforeAll(async () => {
  stack = await startStack();
  const { s3, kms } = clients(stack.motoEndpoint);
  await createBucket(stack.motoEndpoint, 'open-lake');
  await createBucket(stack.motoEndpoint, 'vpc-lake');
  await s3.send(
    new PutBucketPolicyCommand({
      Bucket: 'vpc-lake',
      Policy: bucketPolicy('vpc-lake', {
        // Certain on both paths of Activeloop's requests (a Deny unless through the team's own VPC endpoint is
        // unknown: Activeloop's endpoint ID the action cannot know).
        Sid: 'OnlyOurEtlRoles',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: ['arn:aws:s3:::vpc-lake', 'arn:aws:s3:::vpc-lake/*'],
        Condition: { ArnNotLike: { 'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:role/etl-*` } },
      }),
    }),
  );
  await createBucket(stack.motoEndpoint, 'upload-rule-lake');
  await s3.send(
    new PutBucketPolicyCommand({
      Bucket: 'upload-rule-lake',
      Policy: bucketPolicy('upload-rule-lake', {
        Sid: 'DenyUnencryptedObjectUploads',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:PutObject',
        Resource: 'arn:aws:s3:::upload-rule-lake/*',
        Condition: { Null: { 's3:x-amz-server-side-encryption': 'true' } },
      }),
    }),
  );
  // A key whose key policy names only a key administrator: IAM policies cannot grant it.
  const adminOnly = (
    await kms.send(
      new CreateKeyCommand({
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'KeyAdmins',
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/key-admin` },
              Action: 'kms:*',
              Resource: '*',
            },
          ],
        }),
      }),
    )
  ).KeyMetadata?.Arn as string;
  await createBucket(stack.motoEndpoint, 'locked-key-lake', { key: adminOnly });
});

afterAll(async () => {
  await stack?.stop();
});

describe('access-check: warn (the default)', () => {
  it('reports per bucket what Activeloop can do, warns once per blocked bucket, and writes nothing in plan mode', async () => {
    stack.proxy.clear();
    const result = await stack.run({
      buckets: 'open-lake\nvpc-lake\nupload-rule-lake\nlocked-key-lake',
      'role-name': 'checked',
      mode: 'plan',
    });
    expect(result.code).toBe(0);
    expect(stack.proxy.mutating()).toEqual([]);
    const access = result.outputs.access;
    expect(states(access, 'open-lake')).toEqual({
      list: 'allowed',
      read: 'allowed',
      write: 'allowed',
      kms: 'not-applicable',
      'web-app': 'blocked',
    });
    expect(states(access, 'vpc-lake')).toMatchObject({ list: 'blocked', read: 'blocked', write: 'blocked' });
    expect(states(access, 'upload-rule-lake')).toMatchObject({ list: 'allowed', read: 'allowed', write: 'blocked' });
    expect(states(access, 'locked-key-lake')).toMatchObject({ list: 'allowed', kms: 'blocked' });
    const warnings = result.warnings.filter((w) => w.includes('Activeloop cannot use bucket'));
    expect(warnings).toHaveLength(3);
    expect(warnings.find((w) => w.includes('upload-rule-lake'))).toContain(
      'upload-rule-lake (write): denied by the bucket policy (statement "DenyUnencryptedObjectUploads"). Fix: Exempt the role',
    );
    expect(warnings.find((w) => w.includes('locked-key-lake'))).toContain(
      'locked-key-lake (KMS): not allowed by the key policy of arn:aws:kms',
    );
    // The web app's readiness is one line for every bucket without its CORS rule.
    expect(result.warnings.filter((w) => w.includes("Activeloop's web app cannot read"))).toEqual([
      expect.stringContaining(
        '4 buckets (no CORS rule for https://*.activeloop.ai): locked-key-lake, open-lake, upload-rule-lake, vpc-lake',
      ),
    ]);
    expect(result.summary).toContain('⛔ Activeloop cannot use 3 buckets: `locked-key-lake`, `upload-rule-lake`, `vpc-lake`');
    expect(result.summary).toContain('#### Can Activeloop use the buckets?');
    expect(result.summary).toContain('| `vpc-lake` | ⛔ blocked | ⛔ blocked | ⛔ blocked | — |');
    expect(result.summary).toContain('**Fix:** Set cors: true');
    // Reads: one bucket policy and one CORS read per bucket, one key policy per granted key.
    expect(stack.proxy.calls.filter((c) => c.operation === 's3:GET policy')).toHaveLength(4);
    expect(stack.proxy.calls.filter((c) => c.operation === 'kms:GetKeyPolicy')).toHaveLength(1);
  });

  it('off makes none of these reads and outputs {}', async () => {
    stack.proxy.clear();
    const result = await stack.run({ buckets: 'vpc-lake', 'role-name': 'unchecked', mode: 'plan', 'access-check': 'off' });
    expect(result.code).toBe(0);
    expect(result.outputs.access).toBe('{}');
    expect(
      stack.proxy.calls.filter((c) => /s3:GET (policy|cors|ownershipControls|requestPayment)|kms:GetKeyPolicy/.test(c.operation)),
    ).toEqual([]);
  });
});

describe('where people look', () => {
  it('12 buckets without CORS and one denied to all but its ETL roles: the denied one is the first warning', async () => {
    const plain = Array.from({ length: 12 }, (_, i) => `plain-lake-${i}`);
    for (const b of plain) await createBucket(stack.motoEndpoint, b);
    const result = await stack.run({ buckets: [...plain, 'vpc-lake'].join('\n'), 'role-name': 'many', mode: 'plan' });
    expect(result.code).toBe(0);
    expect(result.warnings.length).toBeLessThanOrEqual(10);
    expect(result.warnings[0]).toMatch(
      /^::warning::Activeloop cannot use bucket vpc-lake \(list, read, write\): denied by the bucket policy \(statement "OnlyOurEtlRoles"\)\. Fix: /,
    );
    expect(result.warnings[0].length).toBeLessThan(300);
    expect(result.warnings[1]).toContain("Activeloop's web app cannot read 13 buckets");
    expect(result.summary.split('\n').slice(0, 6).join('\n')).toContain('⛔ Activeloop cannot use 1 bucket: `vpc-lake`');
  });

  it('web-app: false: no CORS warning, and access-check: fail does not fail on it', async () => {
    const result = await stack.run({
      buckets: 'open-lake',
      'role-name': 'no-web-app',
      mode: 'plan',
      'access-check': 'fail',
      'web-app': 'false',
    });
    expect(result.code).toBe(0);
    expect(result.errors).toEqual([]);
    expect(result.warnings.filter((w) => /CORS|web app/.test(w))).toEqual([]);
    expect(states(result.outputs.access, 'open-lake')['web-app']).toBe('not-applicable');
  });

  it('a bucket limited to a prefix is shown with it', async () => {
    const result = await stack.run({ buckets: 'open-lake/teams/vision', 'role-name': 'prefixed', mode: 'plan', cors: 'true' });
    expect(result.code).toBe(0);
    expect(result.summary).toContain('| `open-lake/teams/vision` | ✅ allowed | ✅ allowed | ✅ allowed | — | ✅ allowed |');
  });
});

describe('the facts the check is given', () => {
  it('a boundary kept on the role but not in the inputs is checked too', async () => {
    const { iam } = clients(stack.motoEndpoint);
    const boundary = (
      await iam.send(
        new CreatePolicyCommand({
          PolicyName: 'no-s3-boundary',
          PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' }] }),
        }),
      )
    ).Policy?.Arn as string;
    const first = await stack.run({ buckets: 'open-lake', 'role-name': 'bounded', 'permissions-boundary': boundary, cors: 'true' });
    expect(first.code).toBe(0);
    const result = await stack.run({ buckets: 'open-lake', 'role-name': 'bounded', mode: 'plan', cors: 'true' });
    expect(result.code).toBe(0);
    expect(states(result.outputs.access, 'open-lake')).toMatchObject({ list: 'blocked', read: 'blocked', write: 'blocked' });
    // The blocked bucket comes before the run's other warnings (here: the boundary left in place).
    expect(result.warnings[0]).toContain(
      `Activeloop cannot use bucket open-lake (list, read, write): not allowed by the permissions boundary ${boundary}`,
    );
    expect(result.warnings).toEqual(expect.arrayContaining([expect.stringContaining('which is not in the inputs. It was left in place')]));
  });

  it('checks the key policy of a key granted through kms-key-arns', async () => {
    const { kms } = clients(stack.motoEndpoint);
    const adminOnly = (
      await kms.send(
        new CreateKeyCommand({
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/key-admin` }, Action: 'kms:*', Resource: '*' }],
          }),
        }),
      )
    ).KeyMetadata?.Arn as string;
    const result = await stack.run({
      buckets: 'open-lake',
      'role-name': 'listed-key',
      mode: 'plan',
      cors: 'true',
      'kms-key-arns': adminOnly,
    });
    expect(result.code).toBe(0);
    expect(states(result.outputs.access, 'open-lake').kms).toBe('unknown');
    expect(result.summary).toContain(`objects written with the listed key ${adminOnly}`);
  });

  it("reads BucketKeyEnabled: a key policy that allows only the bucket's ARN as encryption context works with an S3 Bucket Key only", async () => {
    const { s3, kms } = clients(stack.motoEndpoint);
    const key = (
      await kms.send(
        new CreateKeyCommand({
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
                Action: 'kms:*',
                Resource: '*',
                Condition: {
                  StringEquals: { 'kms:EncryptionContext:aws:s3:arn': ['arn:aws:s3:::bucket-key-on', 'arn:aws:s3:::bucket-key-off'] },
                },
              },
            ],
          }),
        }),
      )
    ).KeyMetadata?.Arn as string;
    for (const [bucket, bucketKey] of [
      ['bucket-key-on', true],
      ['bucket-key-off', false],
    ] as const) {
      await createBucket(stack.motoEndpoint, bucket);
      await s3.send(
        new PutBucketEncryptionCommand({
          Bucket: bucket,
          ServerSideEncryptionConfiguration: {
            Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: key }, BucketKeyEnabled: bucketKey }],
          },
        }),
      );
    }
    const result = await stack.run({ buckets: 'bucket-key-on\nbucket-key-off', 'role-name': 'bucket-keys', mode: 'plan', cors: 'true' });
    expect(result.code).toBe(0);
    expect(states(result.outputs.access, 'bucket-key-on').kms).toBe('allowed');
    // Without a Bucket Key, S3 passes the object's ARN, which the pattern does not match.
    expect(states(result.outputs.access, 'bucket-key-off').kms).toBe('blocked');
  });
});

describe('access-check: fail', () => {
  it('fails plan mode naming the blocked buckets', async () => {
    const result = await stack.run({
      buckets: 'open-lake\nvpc-lake',
      'role-name': 'strict',
      mode: 'plan',
      'access-check': 'fail',
      cors: 'true',
    });
    expect(result.code).toBe(1);
    expect(result.errors).toEqual([expect.stringContaining('access-check: Activeloop cannot fully use 1 bucket(s): vpc-lake')]);
  });

  it('fails apply mode naming the blocked buckets, after a summary of what was applied', async () => {
    const result = await stack.run({ buckets: 'upload-rule-lake', 'role-name': 'strict-apply', 'access-check': 'fail' });
    expect(result.code).toBe(1);
    expect(result.errors[0]).toContain('upload-rule-lake');
    expect(result.summary).toContain('Applied');
    expect(await readPolicy(stack.motoEndpoint, policyArn('strict-apply-s3'))).toBeDefined();
  });

  it('passes when every bucket is usable', async () => {
    const result = await stack.run({ buckets: 'open-lake', 'role-name': 'fine', 'access-check': 'fail', cors: 'true' });
    expect(result.errors).toEqual([]);
  });
});

describe('cors: true', () => {
  const inputs = { buckets: 'web-lake\nupload-rule-lake', 'role-name': 'web', cors: 'true' };
  beforeAll(() => createBucket(stack.motoEndpoint, 'web-lake'));

  it("adds the web app's rule to every listed bucket and keeps a foreign rule exactly", async () => {
    await clients(stack.motoEndpoint).s3.send(
      new PutBucketCorsCommand({ Bucket: 'upload-rule-lake', CORSConfiguration: { CORSRules: [FOREIGN] } }),
    );
    stack.proxy.clear();
    const plan = await stack.run({ ...inputs, mode: 'plan' });
    expect(JSON.parse(plan.outputs.plan).filter((c: { action: string }) => c.action === 'put-cors-rule')).toHaveLength(2);
    expect(stack.proxy.mutating()).toEqual([]);
    const result = await stack.run(inputs);
    expect(result.errors).toEqual([]);
    const rules = await corsRules('upload-rule-lake');
    expect(rules).toEqual([
      expect.objectContaining({ ID: 'website', AllowedOrigins: ['https://example.com'], AllowedMethods: ['GET'] }),
      expect.objectContaining({
        ID: 'activeloop-role-action',
        AllowedOrigins: ['https://*.activeloop.ai'],
        AllowedMethods: ['GET', 'HEAD'],
      }),
    ]);
    expect(await corsRules('web-lake')).toHaveLength(1);
    expect(states(result.outputs.access, 'web-lake')['web-app']).toBe('allowed');
  });

  it('writes nothing on a second run', async () => {
    stack.proxy.clear();
    const result = await stack.run(inputs);
    expect(result.outputs.changed).toBe('false');
    expect(stack.proxy.mutating()).toEqual([]);
  });

  it('repairs an edited or removed rule as drift', async () => {
    const { s3 } = clients(stack.motoEndpoint);
    const edited = { ID: 'activeloop-role-action', AllowedOrigins: ['*'], AllowedMethods: ['GET', 'PUT'] };
    await s3.send(new PutBucketCorsCommand({ Bucket: 'upload-rule-lake', CORSConfiguration: { CORSRules: [FOREIGN, edited] } }));
    await s3.send(new PutBucketCorsCommand({ Bucket: 'web-lake', CORSConfiguration: { CORSRules: [FOREIGN] } }));
    const result = await stack.run(inputs);
    expect(result.errors).toEqual([]);
    const cors = JSON.parse(result.outputs.plan).filter((c: { action: string }) => c.action === 'put-cors-rule');
    expect(cors.map((c: { resource: string; drift: boolean; reason: string }) => [c.resource, c.drift, c.reason])).toEqual([
      ['arn:aws:s3:::upload-rule-lake', true, 'the CORS rule activeloop-role-action was changed outside this action'],
      ['arn:aws:s3:::web-lake', true, 'the CORS rule activeloop-role-action was removed outside this action'],
    ]);
    expect((await corsRules('upload-rule-lake'))[1]).toMatchObject({
      AllowedOrigins: ['https://*.activeloop.ai'],
      AllowedMethods: ['GET', 'HEAD'],
    });
    expect((await corsRules('web-lake')).map((r) => r.ID)).toEqual(['website', 'activeloop-role-action']);
  });

  it('without cors: true, never changes a bucket, and says cors: true is the fix', async () => {
    await createBucket(stack.motoEndpoint, 'plain-web-lake');
    await clients(stack.motoEndpoint).s3.send(
      new PutBucketCorsCommand({ Bucket: 'plain-web-lake', CORSConfiguration: { CORSRules: [FOREIGN] } }),
    );
    stack.proxy.clear();
    const result = await stack.run({ buckets: 'plain-web-lake', 'role-name': 'no-web' });
    expect(result.errors).toEqual([]);
    expect(stack.proxy.mutating().filter((o) => o.startsWith('s3:'))).toEqual([]);
    expect(await corsRules('plain-web-lake')).toEqual([expect.objectContaining({ ID: 'website' })]);
    expect(JSON.parse(result.outputs.access)['plain-web-lake']['web-app'].fix).toContain('cors: true');
  });
});

describe('what Activeloop really meets', () => {
  const verdicts = (access: string, bucket: string) =>
    JSON.parse(access)[bucket] as Record<string, { state: string; reason: string; fix?: string; changesAt?: string }>;
  /** Creates each bucket with a bucket policy that denies everyone everything under its condition. */
  const guardedBuckets = async (cases: Record<string, object>) => {
    for (const [bucket, condition] of Object.entries(cases)) {
      await createBucket(stack.motoEndpoint, bucket);
      const guard = {
        Sid: 'Guard',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
      };
      await clients(stack.motoEndpoint).s3.send(
        new PutBucketPolicyCommand({ Bucket: bucket, Policy: bucketPolicy(bucket, { ...guard, Condition: condition }) }),
      );
    }
  };

  it('Object Ownership: ObjectWriter, BucketOwnerPreferred and none make read unknown with the fix; BucketOwnerEnforced says nothing', async () => {
    await createBucket(stack.motoEndpoint, 'writer-lake', undefined, 'us-east-1', 'ObjectWriter');
    await createBucket(stack.motoEndpoint, 'preferred-lake', undefined, 'us-east-1', 'BucketOwnerPreferred');
    await createBucket(stack.motoEndpoint, 'legacy-lake', undefined, 'us-east-1', null);
    await createBucket(stack.motoEndpoint, 'enforced-lake');
    const buckets = ['writer-lake', 'preferred-lake', 'legacy-lake', 'enforced-lake'];
    const result = await stack.run({ buckets: buckets.join('\n'), 'role-name': 'owners', mode: 'plan', cors: 'true' });
    expect(result.code).toBe(0);
    const read = (b: string) => verdicts(result.outputs.access, b).read;
    expect(buckets.map((b) => read(b).state)).toEqual(['unknown', 'unknown', 'unknown', 'allowed']);
    expect(read('writer-lake').reason).toContain('Object Ownership is ObjectWriter: objects that other AWS accounts upload stay theirs');
    expect(read('preferred-lake').reason).toContain('without the bucket-owner-full-control ACL stay theirs');
    expect(read('legacy-lake').reason).toContain('no Object Ownership setting (made before April 2023), so S3 applies ObjectWriter');
    expect(read('writer-lake').fix).toContain('BucketOwnerEnforced');
    expect(verdicts(result.outputs.access, 'writer-lake').list.state).toBe('allowed');
    expect(result.summary).toContain('- `writer-lake` read: unknown: Object Ownership is ObjectWriter');
    expect(result.summary).not.toContain('`enforced-lake` read');
    expect(result.warnings).toEqual(
      expect.arrayContaining([
        expect.stringContaining('Activeloop may not be able to use bucket writer-lake (read): Object Ownership is ObjectWriter'),
      ]),
    );
  });

  it('aws:SourceIp on private ranges only is decided; IfExists depends on the path; a public range stays unknown', async () => {
    const cases = {
      'private-only-lake': { NotIpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '192.168.0.0/16'] } },
      'deny-private-lake': { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
      'if-exists-lake': { IpAddressIfExists: { 'aws:SourceIp': '10.0.0.0/8' } },
      'office-lake': { NotIpAddress: { 'aws:SourceIp': '203.0.113.0/24' } },
    };
    await guardedBuckets(cases);
    const result = await stack.run({ buckets: Object.keys(cases).join('\n'), 'role-name': 'source-ip', mode: 'plan', cors: 'true' });
    expect(result.code).toBe(0);
    expect(states(result.outputs.access, 'private-only-lake')).toMatchObject({ list: 'blocked', read: 'blocked', write: 'blocked' });
    expect(states(result.outputs.access, 'deny-private-lake')).toMatchObject({ list: 'allowed', read: 'allowed', write: 'allowed' });
    const ifExists = verdicts(result.outputs.access, 'if-exists-lake').read;
    expect(ifExists.state).toBe('unknown');
    expect(ifExists.reason).toContain('when Activeloop reaches S3 through its own VPC endpoint');
    expect(ifExists.reason).toContain('which path Activeloop takes, the action cannot see');
    expect(result.summary).toContain('Activeloop reaches S3 from a public address (with aws:SourceIp, without aws:SourceVpce)');
    expect(states(result.outputs.access, 'office-lake').read).toBe('unknown');
    expect(verdicts(result.outputs.access, 'office-lake').read.reason).toContain(
      "depends on Activeloop's public address, which the action cannot see",
    );
    // Through a VPC endpoint (no aws:SourceIp) the Deny applies; from a public address, if it is not in the range.
    expect(JSON.parse(result.outputs.access)['office-lake'].read.passesWhen).toBe(
      'Activeloop reaches S3 from a public address (with aws:SourceIp, without aws:SourceVpce) and aws:SourceIp matches 203.0.113.0/24 (NotIpAddress)',
    );
  });

  it('dates: a Deny from a future date is allowed until then, one until a date is blocked until then', async () => {
    await guardedBuckets({
      'later-lake': { DateGreaterThan: { 'aws:CurrentTime': '2099-01-01T00:00:00Z' } },
      'frozen-lake': { DateLessThan: { 'aws:CurrentTime': '2099-06-30T00:00:00Z' } },
    });
    const result = await stack.run({ buckets: 'later-lake\nfrozen-lake', 'role-name': 'dated', mode: 'plan', cors: 'true' });
    expect(result.code).toBe(0);
    const later = verdicts(result.outputs.access, 'later-lake').read;
    expect(later).toMatchObject({ state: 'allowed', changesAt: '2099-01-01T00:00:00Z', changesTo: 'blocked' });
    expect(later.reason).toContain(
      'GetObject is allowed until 2099-01-01T00:00:00Z; from then s3:GetObject is denied by the bucket policy',
    );
    const frozen = verdicts(result.outputs.access, 'frozen-lake').read;
    expect(frozen).toMatchObject({ state: 'blocked', changesAt: '2099-06-30T00:00:00Z', changesTo: 'allowed' });
    expect(frozen.reason).toBe('s3:GetObject is denied by the bucket policy until 2099-06-30T00:00:00Z');
    expect(result.warnings).toEqual(
      expect.arrayContaining([
        expect.stringContaining(
          'Activeloop can use bucket later-lake (list, read, write) only until 2099-01-01T00:00:00Z: from then the bucket policy (statement "Guard") denies it',
        ),
        expect.stringContaining(
          'Activeloop cannot use bucket frozen-lake (list, read, write): denied by the bucket policy (statement "Guard") until 2099-06-30T00:00:00Z',
        ),
      ]),
    );
    expect(result.summary).toContain('- `later-lake` read: allowed: GetObject is allowed until 2099-01-01T00:00:00Z');
  });

  it('opt-in Regions: a bucket in me-south-1 is unknown, with what to check on each side', async () => {
    await createBucket(stack.motoEndpoint, 'bahrain-lake', undefined, 'me-south-1');
    await createBucket(stack.motoEndpoint, 'virginia-lake');
    const result = await stack.run({ buckets: 'bahrain-lake\nvirginia-lake', 'role-name': 'regions', mode: 'plan', cors: 'true' });
    expect(result.code).toBe(0);
    expect(states(result.outputs.access, 'bahrain-lake')).toMatchObject({ list: 'unknown', read: 'unknown', write: 'unknown' });
    expect(states(result.outputs.access, 'virginia-lake')).toMatchObject({ list: 'allowed', read: 'allowed', write: 'allowed' });
    const list = verdicts(result.outputs.access, 'bahrain-lake').list;
    expect(list.reason).toContain('the bucket is in me-south-1, an opt-in Region');
    expect(list.fix).toContain(`Your side: check that me-south-1 is enabled in account ${ACCOUNT}`);
    expect(list.fix).toContain("Activeloop's side: ask Activeloop to confirm that it assumes the role through a Regional STS endpoint");
    expect(result.summary).toContain('- `bahrain-lake` list: unknown: the bucket is in me-south-1, an opt-in Region');
    expect(result.warnings).toEqual(
      expect.arrayContaining([
        expect.stringContaining('Activeloop may not be able to use bucket bahrain-lake (list, read, write): the bucket is in me-south-1'),
      ]),
    );
  });

  it("Requester Pays: another account's bucket needs x-amz-request-payer; the role's own account's does not", async () => {
    await createBucket(stack.motoEndpoint, 'payer-lake');
    await createBucket(stack.motoEndpoint, 'own-payer-lake');
    stack.proxy.clear();
    // The owner check comes first: S3 refuses a wrong expected owner before it answers.
    stack.proxy.rules.push(
      bucketOwners({ 'payer-lake': '210987654321' }),
      requestPayment(['payer-lake', 'own-payer-lake']),
      bucketPolicyOfOtherAccount(['payer-lake']),
    );
    const result = await stack.run({ buckets: 'payer-lake\nown-payer-lake', 'role-name': 'payers', mode: 'plan', cors: 'true' });
    expect(result.code).toBe(0);
    expect(states(result.outputs.access, 'payer-lake')).toMatchObject({ list: 'unknown', read: 'unknown', write: 'unknown' });
    const read = verdicts(result.outputs.access, 'payer-lake').read;
    expect(read.reason).toContain('the bucket is Requester Pays and belongs to another account');
    expect(read.reason).toContain('x-amz-request-payer: requester');
    expect(states(result.outputs.access, 'own-payer-lake')).toMatchObject({ list: 'allowed', read: 'allowed', write: 'allowed' });
    expect(verdicts(result.outputs.access, 'own-payer-lake').read.reason).toContain("Deep Lake's requests need no x-amz-request-payer");
    // Its policy cannot be read from this account (405): the fix asks its owner, not for s3:GetBucketPolicy.
    expect(read.fix).toContain("The bucket owner's policy must allow");
    expect(result.summary).toContain(
      '- `payer-lake` list: unknown: the bucket belongs to another account, whose bucket policy this account cannot read',
    );
    expect(result.summary).not.toContain('Allow s3:GetBucketPolicy');
    expect(stack.proxy.calls.filter((c) => c.operation === 's3:GET requestPayment' && c.params.Bucket === 'payer-lake')).toHaveLength(2);
  });

  it("review of issue 26: W3C dates, the VPC endpoint path, an unread region, another account's bucket without a policy", async () => {
    const cases = {
      'month-lake': { DateLessThan: { 'aws:CurrentTime': '2099-01' } },
      'year-lake': { DateLessThan: { 'aws:CurrentTime': '2099' } },
      'endpoint-lake': { Null: { 'aws:SourceVpce': 'false' } },
      'where-lake': { StringNotEquals: { 'aws:RequestedRegion': 'eu-west-1' } },
    };
    await guardedBuckets(cases);
    await createBucket(stack.motoEndpoint, 'their-lake');
    stack.proxy.clear();
    stack.proxy.rules.push(
      bucketLocationDenied(['where-lake']),
      bucketOwners({ 'their-lake': '210987654321' }),
      requestPayment([]),
      bucketPolicyOfOtherAccount(['their-lake']),
    );
    const buckets = [...Object.keys(cases), 'their-lake'].join('\n');
    const result = await stack.run({ buckets, 'role-name': 'review', mode: 'plan', cors: 'true' });
    expect(result.code).toBe(0);
    expect(states(result.outputs.access, 'month-lake')).toMatchObject({ list: 'blocked', read: 'blocked', write: 'blocked' });
    const year = verdicts(result.outputs.access, 'year-lake').read;
    expect(year.state).toBe('unknown');
    expect(year.reason).toContain('"2099"');
    const endpoint = verdicts(result.outputs.access, 'endpoint-lake').read;
    expect(endpoint.state).toBe('unknown');
    expect(endpoint.reason).toContain('when Activeloop reaches S3 through its own VPC endpoint');
    const where = verdicts(result.outputs.access, 'where-lake').read;
    expect(where.state).toBe('unknown');
    expect(where.reason).toContain("the bucket's region, which could not be read (s3:GetBucketLocation)");
    const theirs = verdicts(result.outputs.access, 'their-lake').read;
    // Another account's bucket needs its policy's Allow, which this account cannot read (405).
    expect(theirs.state).toBe('unknown');
    expect(theirs.fix).toContain("The bucket owner's policy must allow arn:aws:iam::");
    expect(result.summary).not.toContain('Allow s3:GetBucketPolicy');
  });
});
