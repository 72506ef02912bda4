// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are written as ${...} on purpose
// The access check against real-world bucket policies, key policies and boundaries, each with its verdict.
import { describe, expect, it } from '@jest/globals';
import { type AccessInput, type BucketFacts, blockedBuckets, checkAccess, unusableBuckets, webAppCanRead } from '../src/access.js';
import type { ConditionBlock, PolicyDocument, Statement } from '../src/policy.js';
import { accessWarnings } from '../src/report.js';

const ROLE = 'arn:aws:iam::123456789012:role/activeloop-deeplake-access';
const KEY = 'arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111';
const input: AccessInput = {
  access: 'read-write',
  roleArn: ROLE,
  account: '123456789012',
  partition: 'aws',
  roleTags: { team: 'ml' },
  corsManaged: false,
};
const WEB = [
  { ID: 'activeloop-role-action', AllowedOrigins: ['https://*.activeloop.ai'], AllowedMethods: ['GET', 'HEAD'], AllowedHeaders: ['*'] },
];
const doc = (...statement: Statement[]): PolicyDocument => ({ Version: '2012-10-17', Statement: statement });
const bucket = (extra: Partial<BucketFacts> = {}): BucketFacts => ({
  bucket: 'lake',
  prefixes: [],
  region: 'us-east-1',
  cors: WEB,
  ...extra,
});
const states = (facts: BucketFacts, over: Partial<AccessInput> = {}) => {
  const [r] = checkAccess([facts], { ...input, ...over });
  return Object.fromEntries(Object.entries(r.verdicts).map(([k, v]) => [k, v.state]));
};
const ALL = { list: 'allowed', read: 'allowed', write: 'allowed', kms: 'not-applicable', 'web-app': 'allowed' };

const denyHttp = doc({
  Sid: 'DenyInsecureTransport',
  Effect: 'Deny',
  Principal: '*',
  Action: 's3:*',
  Resource: ['arn:aws:s3:::lake', 'arn:aws:s3:::lake/*'],
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
});
const vpcOnly = doc({
  Sid: 'OnlyThroughOurVpcEndpoint',
  Effect: 'Deny',
  Principal: '*',
  Action: 's3:*',
  Resource: ['arn:aws:s3:::lake', 'arn:aws:s3:::lake/*'],
  Condition: { StringNotEquals: { 'aws:SourceVpce': 'vpce-0a1b2c3d' } },
});
const encryptedUploadsOnly = doc({
  Sid: 'DenyUnencryptedObjectUploads',
  Effect: 'Deny',
  Principal: '*',
  Action: 's3:PutObject',
  Resource: 'arn:aws:s3:::lake/*',
  Condition: { Null: { 's3:x-amz-server-side-encryption': 'true' } },
});
const onlyListedRoles = (roles: string[]) =>
  doc({
    Sid: 'OnlyTheseRoles',
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:*',
    Resource: ['arn:aws:s3:::lake', 'arn:aws:s3:::lake/*'],
    Condition: { StringNotLike: { 'aws:PrincipalArn': roles } },
  });
const denyOther = doc({
  Effect: 'Deny',
  Principal: { AWS: 'arn:aws:iam::123456789012:role/intern' },
  Action: 's3:*',
  Resource: 'arn:aws:s3:::lake/*',
});
const allowOtherAccount = doc({
  Effect: 'Allow',
  Principal: { AWS: 'arn:aws:iam::999999999999:root' },
  Action: 's3:GetObject',
  Resource: 'arn:aws:s3:::lake/*',
});
const officeOnly = doc({
  Sid: 'OfficeNetworkOnly',
  Effect: 'Deny',
  Principal: '*',
  Action: 's3:*',
  Resource: ['arn:aws:s3:::lake', 'arn:aws:s3:::lake/*'],
  Condition: { NotIpAddress: { 'aws:SourceIp': ['203.0.113.0/24'] } },
});
const orgOnly = doc({
  Sid: 'OrgOnly',
  Effect: 'Deny',
  Principal: '*',
  Action: 's3:*',
  Resource: 'arn:aws:s3:::lake/*',
  Condition: { StringNotEquals: { 'aws:PrincipalOrgID': 'o-abc123' } },
});
const defaultKeyPolicy = doc({
  Sid: 'Enable IAM User Permissions',
  Effect: 'Allow',
  Principal: { AWS: 'arn:aws:iam::123456789012:root' },
  Action: 'kms:*',
  Resource: '*',
});
const adminOnlyKeyPolicy = doc({
  Sid: 'KeyAdmins',
  Effect: 'Allow',
  Principal: { AWS: 'arn:aws:iam::123456789012:role/key-admin' },
  Action: 'kms:*',
  Resource: '*',
});
const keyForTheRole = doc({
  Sid: 'DeepLake',
  Effect: 'Allow',
  Principal: { AWS: ROLE },
  Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
  Resource: '*',
});
/** A bucket policy that allows the role what Deep Lake asks: what a bucket of another account needs. */
const allowsRole = doc({
  Sid: 'DeepLakeRole',
  Effect: 'Allow',
  Principal: { AWS: ROLE },
  Action: [
    's3:ListBucket',
    's3:GetBucketLocation',
    's3:GetObject',
    's3:PutObject',
    's3:DeleteObject',
    's3:AbortMultipartUpload',
    's3:ListMultipartUploadParts',
  ],
  Resource: ['arn:aws:s3:::lake', 'arn:aws:s3:::lake/*'],
});
const s3OnlyBoundary = doc({ Effect: 'Allow', Action: ['s3:*', 'kms:*'], Resource: '*' });
const noS3Boundary = doc({ Effect: 'Allow', Action: ['dynamodb:*', 'kms:*'], Resource: '*' });

describe('checkAccess: bucket policies', () => {
  it.each([
    ['no bucket policy', undefined, ALL],
    ['a deny of plain HTTP blocks nothing', denyHttp, ALL],
    // Blocked from a public address; through Activeloop's own VPC endpoint, whose ID the action cannot know: unknown.
    [
      'a deny unless through a VPC endpoint: unknown (blocked on the public path)',
      vpcOnly,
      { ...ALL, list: 'unknown', read: 'unknown', write: 'unknown' },
    ],
    ['a deny of uploads without an encryption header blocks writes only', encryptedUploadsOnly, { ...ALL, write: 'blocked' }],
    [
      'a deny for everyone but listed roles blocks when the role is not listed',
      onlyListedRoles(['arn:aws:iam::123456789012:role/etl-*']),
      { ...ALL, list: 'blocked', read: 'blocked', write: 'blocked' },
    ],
    [
      'a deny for everyone but listed roles blocks nothing when it lists this role',
      onlyListedRoles(['arn:aws:iam::123456789012:role/etl-*', ROLE]),
      ALL,
    ],
    ['a deny of another principal blocks nothing', denyOther, ALL],
    ['an allow for another account blocks nothing', allowOtherAccount, ALL],
    [
      "a deny outside the office network is unknown: Activeloop's source address is not known to the action",
      officeOnly,
      { ...ALL, list: 'unknown', read: 'unknown', write: 'unknown' },
    ],
    [
      'a condition on the organization the action cannot see is unknown, never allowed',
      orgOnly,
      { ...ALL, read: 'unknown', write: 'unknown' },
    ],
  ])('%s', (_what, policy, expected) => {
    expect(states(bucket({ policy }))).toEqual(expected);
  });

  it('names the policy, the statement and the fix for a blocked cell', () => {
    const [r] = checkAccess([bucket({ policy: encryptedUploadsOnly })], input);
    expect(r.verdicts.write).toMatchObject({
      state: 'blocked',
      policy: 'bucket policy',
      statement: '"DenyUnencryptedObjectUploads"',
      reason: 's3:PutObject is denied by the bucket policy',
    });
    expect(r.verdicts.write.fix).toContain(ROLE);
  });

  it('read-only: writes are not applicable, and a write-only deny blocks nothing', () => {
    expect(states(bucket({ policy: encryptedUploadsOnly }), { access: 'read-only' })).toEqual({ ...ALL, write: 'not-applicable' });
  });

  it('lists a prefix with its s3:prefix', () => {
    const prefixOnly = doc({
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:ListBucket',
      Resource: 'arn:aws:s3:::lake',
      Condition: { StringNotLike: { 's3:prefix': ['datasets/*', 'datasets'] } },
    });
    expect(states(bucket({ policy: prefixOnly, prefixes: ['datasets'] })).list).toBe('allowed');
    expect(states(bucket({ policy: prefixOnly, prefixes: ['raw'] })).list).toBe('blocked');
  });
});

describe('checkAccess: KMS key policies', () => {
  it.each([
    ['the default key policy (account root, kms:*) lets IAM grant the key', defaultKeyPolicy, 'allowed'],
    ['a key policy that names the role', keyForTheRole, 'allowed'],
    ['a key policy that names only a key-admin role blocks KMS', adminOnlyKeyPolicy, 'blocked'],
    ['a key policy that could not be read is unknown', undefined, 'unknown'],
  ])('%s', (_what, policy, expected) => {
    expect(states(bucket({ key: { arn: KEY, policy } })).kms).toBe(expected);
  });

  it('names the key in the blocked cell', () => {
    const [r] = checkAccess([bucket({ key: { arn: KEY, policy: adminOnlyKeyPolicy } })], input);
    expect(r.verdicts.kms.policy).toBe(`key policy of ${KEY}`);
    expect(r.verdicts.kms.reason).toContain('kms:Decrypt');
  });
});

describe('checkAccess: permissions boundary and CORS', () => {
  it('a boundary without S3 blocks the S3 requests', () => {
    expect(states(bucket(), { boundary: { arn: 'arn:aws:iam::123456789012:policy/b', document: noS3Boundary } })).toEqual({
      ...ALL,
      list: 'blocked',
      read: 'blocked',
      write: 'blocked',
    });
    expect(states(bucket(), { boundary: { arn: 'arn:aws:iam::123456789012:policy/b', document: s3OnlyBoundary } })).toEqual(ALL);
  });

  it('the web app needs a CORS rule; cors: true provides it', () => {
    expect(states(bucket({ cors: [] }))['web-app']).toBe('blocked');
    expect(states(bucket({ cors: [] }), { corsManaged: true })['web-app']).toBe('allowed');
    expect(webAppCanRead([{ AllowedOrigins: ['*'], AllowedMethods: ['GET'] }])).toBe(true);
    expect(webAppCanRead([{ AllowedOrigins: ['https://example.com'], AllowedMethods: ['GET'] }])).toBe(false);
    expect(webAppCanRead([{ AllowedOrigins: ['https://*.activeloop.ai'], AllowedMethods: ['PUT'] }])).toBe(false);
  });

  it("decides a boundary's aws:ResourceAccount Deny once the bucket is known to be the account's own", () => {
    const thisAccountOnly = doc(
      { Effect: 'Allow', Action: ['s3:*', 'kms:*'], Resource: '*' },
      { Effect: 'Deny', Action: 's3:*', Resource: '*', Condition: { StringNotEquals: { 'aws:ResourceAccount': '123456789012' } } },
    );
    const boundary = { arn: 'arn:aws:iam::123456789012:policy/b', document: thisAccountOnly };
    expect(states(bucket({ otherAccount: false }), { boundary })).toEqual(ALL);
    // Unread (or another account whose ID the action cannot see): the Deny may apply.
    expect(states(bucket(), { boundary })).toEqual({ ...ALL, list: 'unknown', read: 'unknown', write: 'unknown' });
  });

  it('lists the blocked buckets', () => {
    const result = checkAccess([bucket({ bucket: 'a' }), bucket({ bucket: 'b', cors: [] })], input);
    expect(blockedBuckets(result)).toEqual(['b']);
  });
});

describe('checkAccess: what people read', () => {
  it('web-app: false leaves the CORS readiness out: not applicable, and no bucket is blocked for it', () => {
    const result = checkAccess([bucket({ cors: [] })], { ...input, webApp: false });
    expect(result[0].verdicts['web-app']).toEqual({ state: 'not-applicable', reason: 'the web app is not used (web-app: false)' });
    expect(blockedBuckets(result)).toEqual([]);
  });

  it('the web app still counts as blocked for access-check: fail when the team uses it, but the bucket stays usable', () => {
    const result = checkAccess([bucket({ cors: [] })], input);
    expect(blockedBuckets(result)).toEqual(['lake']);
    expect(unusableBuckets(result)).toEqual([]);
  });

  it('an unknown names the condition key that decides it and the value that lets Deep Lake through', () => {
    const [r] = checkAccess([bucket({ policy: orgOnly })], input);
    expect(r.verdicts.read).toMatchObject({
      state: 'unknown',
      statement: '"OrgOnly"',
      decidingKey: 'aws:PrincipalOrgID',
      passesWhen: 'aws:PrincipalOrgID matches o-abc123 (StringNotEquals)',
    });
    const tls13 = doc({
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: 'arn:aws:s3:::lake/*',
      Condition: { NumericLessThan: { 's3:TlsVersion': '1.3' } },
    });
    expect(checkAccess([bucket({ policy: tls13 })], input)[0].verdicts.read).toMatchObject({
      decidingKey: 's3:TlsVersion',
      passesWhen: 's3:TlsVersion is 1.3',
    });
  });

  it('checks each prefix: one denied prefix blocks the bucket', () => {
    const denyRaw = doc({ Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::lake/raw/*' });
    expect(states(bucket({ policy: denyRaw, prefixes: ['datasets'] })).read).toBe('allowed');
    expect(states(bucket({ policy: denyRaw, prefixes: ['datasets', 'raw'] })).read).toBe('blocked');
    expect(checkAccess([bucket({ prefixes: ['datasets', 'raw'] })], input)[0].prefixes).toEqual(['datasets', 'raw']);
  });

  it('a bucket policy that could not be read makes S3 unknown, unless something it knows already blocks', () => {
    expect(states(bucket({ policyError: 'AccessDenied' }))).toEqual({ ...ALL, list: 'unknown', read: 'unknown', write: 'unknown' });
    const blocked = states(bucket({ policyError: 'AccessDenied' }), {
      boundary: { arn: 'arn:aws:iam::123456789012:policy/b', document: noS3Boundary },
    });
    expect(blocked.read).toBe('blocked');
  });

  it('the key policy sees the bucket ARN as encryption context with an S3 Bucket Key, the object ARN without', () => {
    const bucketContextOnly = doc({
      ...(defaultKeyPolicy.Statement as Statement[])[0],
      Condition: { StringEquals: { 'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::lake' } },
    });
    expect(states(bucket({ key: { arn: KEY, policy: bucketContextOnly, bucketKeyEnabled: true } })).kms).toBe('allowed');
    expect(states(bucket({ key: { arn: KEY, policy: bucketContextOnly, bucketKeyEnabled: false } })).kms).toBe('blocked');
  });
});

describe('checkAccess: facts that must not turn into a false "allowed"', () => {
  const denyPrivate = doc({ Sid: 'NoPrivate', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::lake/private/*' });

  it('a Deny on part of a whole bucket makes its reads and writes unknown, naming the part', () => {
    const [r] = checkAccess([bucket({ policy: denyPrivate })], input);
    expect(r.verdicts.read).toMatchObject({ state: 'unknown', statement: '"NoPrivate"' });
    expect(r.verdicts.read.reason).toContain('arn:aws:s3:::lake/private/*');
    expect(r.verdicts.write.state).toBe('unknown');
    expect(r.verdicts.list.state).toBe('allowed');
  });

  it('an unknown from a part names the part as its deciding key, and one from the listing names s3:prefix', () => {
    const [r] = checkAccess([bucket({ policy: denyPrivate, prefixes: [] })], input);
    expect(r.verdicts.read.decidingKey).toBe('arn:aws:s3:::lake/private/*');
    const listPrivate = doc({
      Sid: 'NoPrivateListing',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:ListBucket',
      Resource: 'arn:aws:s3:::lake',
      Condition: { StringLike: { 's3:prefix': 'private/*' } },
    });
    const [l] = checkAccess([bucket({ policy: listPrivate })], input);
    expect(l.verdicts.list).toMatchObject({ state: 'unknown', statement: '"NoPrivateListing"', decidingKey: 's3:prefix' });
    expect(l.verdicts.list.passesWhen).toBe('s3:prefix is "" (empty)');
  });

  it('the same Deny leaves a bucket listed with another prefix allowed', () => {
    expect(states(bucket({ policy: denyPrivate, prefixes: ['datasets'] }))).toEqual(ALL);
  });

  it('a permissions boundary that could not be read makes S3 and KMS unknown', () => {
    const unreadable = { boundary: { arn: 'arn:aws:iam::123456789012:policy/kept' } };
    expect(states(bucket({ key: { arn: KEY, policy: defaultKeyPolicy } }), unreadable)).toEqual({
      ...ALL,
      list: 'unknown',
      read: 'unknown',
      write: 'unknown',
      kms: 'unknown',
    });
  });
});

describe('checkAccess: keys listed in kms-key-arns', () => {
  const OTHER = 'arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222';

  it('a listed key the role may use leaves KMS allowed; one it may not makes KMS unknown, naming the key', () => {
    expect(states(bucket(), { listedKeys: [{ arn: OTHER, policy: defaultKeyPolicy }] }).kms).toBe('allowed');
    const [r] = checkAccess([bucket()], { ...input, listedKeys: [{ arn: OTHER, policy: adminOnlyKeyPolicy }] });
    expect(r.verdicts.kms.state).toBe('unknown');
    expect(r.verdicts.kms.reason).toContain(`objects written with the listed key ${OTHER}`);
  });

  it("the bucket's own key still decides first, and an unreadable listed key policy is unknown", () => {
    expect(
      states(bucket({ key: { arn: KEY, policy: adminOnlyKeyPolicy } }), { listedKeys: [{ arn: OTHER, policy: defaultKeyPolicy }] }).kms,
    ).toBe('blocked');
    expect(states(bucket(), { listedKeys: [{ arn: OTHER }] }).kms).toBe('unknown');
  });
});

describe('checkAccess: the value that lets Deep Lake through', () => {
  const denyWhen = (Condition: Statement['Condition']) =>
    doc({ Sid: 'D', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::lake/*', Condition });

  it.each([
    ['a Null test of a key it cannot see', { Null: { 'aws:PrincipalOrgID': 'true' } }, 'aws:PrincipalOrgID is present'],
    ['a Null false test', { Null: { 'aws:PrincipalOrgID': 'false' } }, 'aws:PrincipalOrgID is absent'],
    ['a positive operator', { StringEquals: { 'aws:PrincipalOrgID': 'o-1' } }, 'aws:PrincipalOrgID does not match o-1 (StringEquals)'],
  ])('%s', (_what, condition, passesWhen) => {
    expect(checkAccess([bucket({ policy: denyWhen(condition) })], input)[0].verdicts.read).toMatchObject({ state: 'unknown', passesWhen });
  });

  it('a key policy whose Allow depends on a key it cannot see says when it would allow', () => {
    const maybe = doc({ ...(defaultKeyPolicy.Statement as Statement[])[0], Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-1' } } });
    expect(checkAccess([bucket({ key: { arn: KEY, policy: maybe } })], input)[0].verdicts.kms).toMatchObject({
      state: 'unknown',
      passesWhen: 'aws:PrincipalOrgID matches o-1 (StringEquals)',
    });
  });
});

describe('what Activeloop really meets beyond the policies (issue 26)', () => {
  const verdicts = (facts: BucketFacts, over: Partial<AccessInput> = {}) => checkAccess([facts], { ...input, ...over })[0].verdicts;

  it('Object Ownership decides read only: ObjectWriter, none and BucketOwnerPreferred are unknown; BucketOwnerEnforced and unread say nothing', () => {
    for (const setting of ['ObjectWriter', 'none', 'BucketOwnerPreferred'] as const) {
      const v = verdicts(bucket({ objectOwnership: setting }));
      expect([v.list.state, v.read.state, v.write.state]).toEqual(['allowed', 'unknown', 'allowed']);
      expect(v.read).toMatchObject({ setting: 'Object Ownership', decidingKey: 'Object Ownership' });
    }
    expect(states(bucket({ objectOwnership: 'BucketOwnerEnforced' }))).toEqual(ALL);
    expect(states(bucket())).toEqual(ALL);
    expect(verdicts(bucket({ ownershipError: 's3:GetBucketOwnershipControls: AccessDenied' })).read.fix).toContain(
      's3:GetBucketOwnershipControls',
    );
  });

  it('a blocked read stays blocked whatever the ownership', () => {
    const listed = onlyListedRoles(['arn:aws:iam::123456789012:role/etl-*']);
    expect(states(bucket({ policy: listed, objectOwnership: 'ObjectWriter' })).read).toBe('blocked');
  });

  it("Requester Pays: unknown for another account's bucket, allowed with a word for the role's own, unknown when unread", () => {
    // Another account's bucket needs its policy to allow the role (cross-account).
    const foreign = verdicts(bucket({ requestPayer: 'Requester', otherAccount: true, policy: allowsRole }));
    expect([foreign.list.state, foreign.read.state, foreign.write.state, foreign.kms.state]).toEqual([
      'unknown',
      'unknown',
      'unknown',
      'not-applicable',
    ]);
    expect(foreign.read.decidingKey).toBe('x-amz-request-payer');
    const own = verdicts(bucket({ requestPayer: 'Requester', otherAccount: false }));
    expect(own.read.state).toBe('allowed');
    expect(own.read.reason).toContain('need no x-amz-request-payer');
    expect(states(bucket({ requestPayer: 'BucketOwner', otherAccount: true, policy: allowsRole }))).toEqual(ALL);
    expect(verdicts(bucket({ requestPaymentError: 's3:GetBucketRequestPayment: AccessDenied' })).list.state).toBe('unknown');
  });

  it.each([
    ['me-south-1', 'aws', 'unknown'],
    ['ap-east-1', 'aws', 'unknown'],
    ['af-south-1', 'aws', 'unknown'],
    ['il-central-1', 'aws', 'unknown'],
    ['eu-west-1', 'aws', 'allowed'],
    ['ap-northeast-3', 'aws', 'allowed'],
    ['cn-north-1', 'aws-cn', 'allowed'],
    ['us-gov-west-1', 'aws-us-gov', 'allowed'],
  ])('a bucket in %s (%s): %s', (region, partition, expected) => {
    const v = verdicts(bucket({ region }), { partition });
    expect(v.list.state).toBe(expected);
    if (expected === 'unknown') expect(v.list.fix).toMatch(/Your side: .*Activeloop's side: .*Regional STS endpoint/);
  });

  const at = (iso: string) => ({ now: new Date(iso) });
  const dated = (operator: string, key: string, value: string) =>
    doc({
      Sid: 'Window',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: ['arn:aws:s3:::lake', 'arn:aws:s3:::lake/*'],
      Condition: { [operator]: { [key]: value } },
    });

  it('a Deny from a future date: allowed until then, saying from when it denies', () => {
    const v = verdicts(bucket({ policy: dated('DateGreaterThan', 'aws:CurrentTime', '2030-01-01T00:00:00Z') }), at('2029-06-01T00:00:00Z'));
    expect(v.read).toMatchObject({ state: 'allowed', changesAt: '2030-01-01T00:00:00Z', changesTo: 'blocked', statement: '"Window"' });
    expect(v.read.reason).toContain('until 2030-01-01T00:00:00Z; from then s3:GetObject is denied by the bucket policy');
    // Past the date, it is simply blocked.
    const past = verdicts(
      bucket({ policy: dated('DateGreaterThan', 'aws:CurrentTime', '2030-01-01T00:00:00Z') }),
      at('2031-01-01T00:00:00Z'),
    ).read;
    expect(past.state).toBe('blocked');
    expect(past.changesAt).toBeUndefined();
  });

  it('a Deny until a date (aws:EpochTime too): blocked until then', () => {
    const v = verdicts(
      bucket({ policy: dated('NumericLessThan', 'aws:EpochTime', String(Date.parse('2030-01-01T00:00:00Z') / 1000)) }),
      at('2029-06-01T00:00:00Z'),
    );
    expect(v.list).toMatchObject({ state: 'blocked', changesAt: '2030-01-01T00:00:00Z', changesTo: 'allowed' });
    expect(v.list.reason).toMatch(/until 2030-01-01T00:00:00Z$/);
  });

  it('a date in the past or one that changes nothing adds no date', () => {
    const v = verdicts(bucket({ policy: dated('DateLessThan', 'aws:CurrentTime', '2020-01-01T00:00:00Z') }), at('2029-06-01T00:00:00Z'));
    expect(v.read).toMatchObject({ state: 'allowed' });
    expect(v.read.changesAt).toBeUndefined();
  });
});

describe('a fresh review of the access check (issue 26): no false "allowed"', () => {
  const verdicts = (facts: BucketFacts, over: Partial<AccessInput> = {}) => checkAccess([facts], { ...input, ...over })[0].verdicts;
  const NOW = { now: new Date('2026-12-07T08:00:00Z') };
  const denyWhen = (condition: ConditionBlock, sid = 'Guard') =>
    doc({
      Sid: sid,
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: ['arn:aws:s3:::lake', 'arn:aws:s3:::lake/*'],
      Condition: condition,
    });

  // IAM User Guide, "IAM JSON policy elements: Condition operators", Date condition operators: W3C ISO 8601 forms or epoch seconds.
  it.each([
    ['2027-01', 'blocked'],
    ['2027-01-01', 'blocked'],
    ['2027-01-01T00:00Z', 'blocked'],
    ['2027-01-01T00:00:00.5+01:00', 'blocked'],
    ['1798675200', 'blocked'],
    ['2026-01', 'allowed'],
    ['2027', 'unknown'],
    ['2027/01/01', 'unknown'],
    ['20270101T000000Z', 'unknown'],
    ['2027-01-01t00:00:00z', 'unknown'],
    ['2027-01-01T00:00:00', 'unknown'],
    ['2027-01-01 00:00:00Z', 'unknown'],
    ['next year', 'unknown'],
  ])('a Deny DateLessThan aws:CurrentTime %s, checked in December 2026: %s', (value, expected) => {
    const v = verdicts(bucket({ policy: denyWhen({ DateLessThan: { 'aws:CurrentTime': value } }) }), NOW);
    expect(v.read.state).toBe(expected);
    if (expected === 'unknown') {
      expect(v.read.reason).toContain(`"${value}"`);
      expect(v.read.fix).toContain('2027-01-01T00:00:00Z');
    }
  });

  // "Condition operators", Numeric ("an integer or decimal value") and Binary (base-64 encoded): a value the
  // family cannot read leaves the verdict unknown, and the words name that family's form, not a date's.
  it.each([
    [{ NumericLessThan: { 's3:max-keys': 'ten' } }, 'no integer or decimal IAM documents', 'as an integer or decimal number'],
    [{ BinaryEquals: { 'aws:userid': 'Q!U@J#D' } }, 'is not base 64', 'the base-64 encoding of the bytes'],
  ])('a Deny whose value its operator cannot read: %j', (condition, cause, fix) => {
    const v = verdicts(bucket({ policy: denyWhen(condition) }), NOW);
    expect(v.read.state).toBe('unknown');
    expect(v.read.reason).toContain(cause);
    expect(v.read.reason).not.toContain('date');
    expect(v.read.fix).toContain(fix);
  });

  it('a Deny that depends on the VPC keys is not allowed: the VPC endpoint path has them', () => {
    const conditions: ConditionBlock[] = [
      { Null: { 'aws:SourceVpce': 'false' } },
      { StringLike: { 'aws:SourceVpce': '*' } },
      { IpAddress: { 'aws:VpcSourceIp': '10.0.0.0/8' } },
      { StringEquals: { 'aws:SourceVpc': 'vpc-0123' } },
    ];
    for (const condition of conditions) {
      const v = verdicts(bucket({ policy: denyWhen(condition) }));
      expect([JSON.stringify(condition), v.read.state]).toEqual([JSON.stringify(condition), 'unknown']);
      expect(v.read.passesWhen).toMatch(/^Activeloop reaches S3 from a public address/);
      expect(v.read.reason).toContain('which path Activeloop takes, the action cannot see');
    }
  });

  it('the paths are correlated: no aws:SourceIp goes with aws:SourceVpce', () => {
    // Public path: NotIpAddress holds, aws:SourceVpce absent: denied. VPC endpoint path: aws:SourceVpce present: not denied.
    const both = verdicts(
      bucket({ policy: denyWhen({ NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' }, Null: { 'aws:SourceVpce': 'true' } }) }),
    );
    expect(both.read.state).toBe('unknown');
    expect(both.read.passesWhen).toMatch(/^Activeloop reaches S3 through its own VPC endpoint/);
    // Denied on both paths, allowed on both.
    expect(verdicts(bucket({ policy: denyWhen({ NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }) })).read.state).toBe('blocked');
    expect(verdicts(bucket({ policy: denyWhen({ 'ForAllValues:NotIpAddress': { 'aws:SourceIp': '10.0.0.0/8' } }) })).read.state).toBe(
      'blocked',
    );
    expect(verdicts(bucket({ policy: denyWhen({ IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }) })).read.state).toBe('allowed');
    expect(verdicts(bucket({ policy: denyWhen({ Null: { 'aws:SourceIp': 'true', 'aws:SourceVpce': 'true' } }) })).read.state).toBe(
      'allowed',
    );
  });

  it("an unread region is unknown where it matters: aws:RequestedRegion, opt-in Regions; not the action's region", () => {
    const unread = { region: 'us-east-1', regionError: 's3:GetBucketLocation' };
    const pinned = verdicts(bucket({ ...unread, policy: denyWhen({ StringNotEquals: { 'aws:RequestedRegion': 'eu-west-1' } }) }));
    expect(pinned.read.state).toBe('unknown');
    expect(pinned.read.reason).toContain("the bucket's region, which could not be read (s3:GetBucketLocation)");
    expect(pinned.read.fix).toContain('s3:GetBucketLocation');
    const plain = verdicts(bucket(unread));
    expect(plain.list).toMatchObject({ state: 'unknown', setting: 'Region' });
    expect(plain.list.reason).toContain("the bucket's region could not be read (s3:GetBucketLocation)");
  });

  it("another account's bucket: its policy must allow the role; an unreadable one (405) asks its owner", () => {
    const none = verdicts(bucket({ otherAccount: true }));
    expect(none.read.state).toBe('blocked');
    expect(none.read.fix).toContain("The bucket owner's policy must allow s3:GetObject to");
    const other = verdicts(bucket({ otherAccount: true, policy: onlyListedRoles([ROLE]) }));
    expect(other.read.state).toBe('blocked');
    expect(verdicts(bucket({ otherAccount: true, policy: allowsRole })).read.state).toBe('allowed');
    const unread = verdicts(bucket({ otherAccount: true, policyError: 's3:GetBucketPolicy: MethodNotAllowed' }));
    expect(unread.read.state).toBe('unknown');
    expect(unread.read.fix).toContain(`The bucket owner's policy must allow ${ROLE}`);
    expect(unread.read.fix).not.toContain('Allow s3:GetBucketPolicy');
  });

  it('every bucket setting that applies is told, and a coming block is kept under them', () => {
    const windowFrom2030 = denyWhen({ DateGreaterThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } }, 'Window');
    const v = verdicts(
      bucket({ region: 'me-south-1', objectOwnership: 'ObjectWriter', requestPayer: 'Requester', otherAccount: true, policy: allowsRole }),
    );
    expect(v.read.state).toBe('unknown');
    expect(v.read.setting).toBe('Region me-south-1, Requester Pays, Object Ownership');
    expect(v.read.reason).toMatch(/opt-in Region.*; and .*Requester Pays.*; and .*Object Ownership is ObjectWriter/);
    const dated = verdicts(
      bucket({
        objectOwnership: 'ObjectWriter',
        policy: denyWhen({ DateGreaterThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } }, 'Window'),
      }),
      { now: new Date('2029-06-01T00:00:00Z') },
    );
    expect(dated.read).toMatchObject({
      state: 'unknown',
      setting: 'Object Ownership',
      changesAt: '2030-01-01T00:00:00Z',
      changesTo: 'blocked',
    });
    expect(dated.read.reason).toContain('until 2030-01-01T00:00:00Z; from then s3:GetObject is denied by the bucket policy');
    // The warning of the unknown cell carries the coming block.
    const [warning] = accessWarnings(
      checkAccess([bucket({ objectOwnership: 'ObjectWriter', policy: windowFrom2030 })], {
        ...input,
        now: new Date('2029-06-01T00:00:00Z'),
      }),
    );
    expect(warning).toMatch(/Object Ownership is ObjectWriter.*until 2030-01-01T00:00:00Z; from then s3:GetObject is denied/);
    // Over a policy's unknown too: the policy's words, then the setting's.
    const both = verdicts(bucket({ objectOwnership: 'ObjectWriter', policy: denyWhen({ StringEquals: { 'aws:PrincipalOrgID': 'o-1' } }) }));
    expect(both.read).toMatchObject({ state: 'unknown', setting: 'Object Ownership', decidingKey: 'aws:PrincipalOrgID' });
    expect(both.read.reason).toMatch(/aws:PrincipalOrgID.*; and Object Ownership is ObjectWriter/);
  });

  it("the deployer's boundary certainly denies another account's bucket, with the fix that says so", () => {
    const boundary = doc(
      { Sid: 'DeepLake', Effect: 'Allow', Action: ['s3:*', 'kms:*'], Resource: '*' },
      {
        Sid: 'OnlyThisAccountsBuckets',
        Effect: 'Deny',
        Action: 's3:*',
        Resource: '*',
        Condition: { StringNotEquals: { 'aws:ResourceAccount': '123456789012' } },
      },
    );
    const over = { boundary: { arn: 'arn:aws:iam::123456789012:policy/boundary', document: boundary } };
    const v = verdicts(bucket({ otherAccount: true, policy: allowsRole }), over);
    expect(v.read).toMatchObject({ state: 'blocked', statement: '"OnlyThisAccountsBuckets"' });
    expect(v.read.fix).toContain("never allows another account's bucket");
    expect(verdicts(bucket({ otherAccount: false }), over).read.state).toBe('allowed');
    const unread = verdicts(bucket({ requestPaymentError: 's3:GetBucketRequestPayment: AccessDenied' }), over);
    expect(unread.list.fix).toMatch(/Allow s3:GetBucketRequestPayment.*update the stack/);
  });

  it('every date change is told: a Deny window in the future', () => {
    const window = denyWhen(
      { DateGreaterThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' }, DateLessThan: { 'aws:CurrentTime': '2031-01-01T00:00:00Z' } },
      'Window',
    );
    const v = verdicts(bucket({ policy: window }), { now: new Date('2029-06-01T00:00:00Z') });
    expect(v.read).toMatchObject({ state: 'allowed', changesAt: '2030-01-01T00:00:00Z', changesTo: 'blocked', statement: '"Window"' });
    expect(v.read.reason).toBe(
      'GetObject is allowed until 2030-01-01T00:00:00Z; from then s3:GetObject is denied by the bucket policy until 2031-01-01T00:00:00Z',
    );
  });

  it('many dates: DateEquals instants are skipped, the rest capped and said', () => {
    const equalsOnly = Array.from({ length: 700 }, (_, i) => new Date(Date.UTC(2030, 0, 1) + i * 86_400_000).toISOString());
    const started = Date.now();
    const v = verdicts(bucket({ policy: denyWhen({ DateEquals: { 'aws:CurrentTime': equalsOnly } }) }), NOW);
    expect(v.read.state).toBe('allowed');
    expect(Date.now() - started).toBeLessThan(2_000);
    const many = Array.from({ length: 30 }, (_, i) => new Date(Date.UTC(2030, i, 1)).toISOString());
    const capped = verdicts(bucket({ policy: denyWhen({ DateGreaterThan: { 'aws:CurrentTime': many } }) }), NOW);
    expect(capped.read.reason).toContain('the policies name 30 future dates: the first 24 were tried');
  });
});
