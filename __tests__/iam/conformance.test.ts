// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are written as ${...} on purpose
// The conformance table: each row a policy, Deep Lake's request, the verdict, and the IAM documentation page
// that fixes it. Every kind of issue 19 is a row. Rows the independent evaluator (iam-simulate) decides the same
// way are checked against it too; where it departs from the docs, the docs win and the row says how it departs
// (and checks that it still does, so the table stays true when the simulator changes).
import { describe, expect, it } from '@jest/globals';
import { type AccessInput, type BucketFacts, type Capability, checkAccess } from '../../src/access.js';
import { equivalent, type PolicyDocument, type Statement } from '../../src/policy.js';
import { ACCOUNT, ROLE, simulate } from './simulator.js';

const PAGES = {
  operators: 'IAM User Guide, "IAM JSON policy elements: Condition operators"',
  condition: 'IAM User Guide, "IAM JSON policy elements: Condition"',
  variables: 'IAM User Guide, "IAM policy elements: Variables and tags"',
  notPrincipal: 'IAM User Guide, "AWS JSON policy elements: NotPrincipal"',
  principal: 'IAM User Guide, "AWS JSON policy elements: Principal"',
  evaluation: 'IAM User Guide, "Policy evaluation logic"',
  keyPolicies: 'AWS KMS Developer Guide, "Key policies in AWS KMS"',
  bucketKey: 'Amazon S3 User Guide, "Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys" (encryption context)',
  tls: 'Amazon S3 User Guide, "Enforcing a minimum version of TLS" (s3:TlsVersion)',
  version: 'IAM User Guide, "IAM JSON policy elements: Version" (without 2012-10-17, ${...} is literal text)',
  resource: 'IAM User Guide, "IAM JSON policy elements: Resource" (wildcards in the resource part)',
  s3Keys: 'Service Authorization Reference, "Actions, resources, and condition keys for Amazon S3" (s3:prefix on ListBucket)',
  kmsKeys:
    'AWS KMS Developer Guide, "AWS KMS condition keys" and "AWS KMS permissions" (the keys each operation carries: kms:GrantIsForAWSResource only on grant operations; S3 sets only aws:s3:arn as encryption context)',
  globalKeys: 'IAM User Guide, "AWS global condition context keys" (aws:CurrentTime, aws:SourceIp)',
};
const v2008 = (p: PolicyDocument): PolicyDocument => ({ ...p, Version: '2008-10-17' });

const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/11111111-1111-1111-1111-111111111111`;
const BUCKET = ['arn:aws:s3:::lake', 'arn:aws:s3:::lake/*'];
const doc = (...statement: Statement[]): PolicyDocument => ({ Version: '2012-10-17', Statement: statement });
const deny = (extra: Partial<Statement>): PolicyDocument =>
  doc({ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: BUCKET, ...extra });
const BOUNDARY_DYNAMODB = {
  arn: `arn:aws:iam::${ACCOUNT}:policy/b`,
  document: doc({ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' }),
};
const keyPolicy = (extra: Partial<Statement>): PolicyDocument =>
  doc({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*', ...extra });

interface Row {
  kind?: number;
  what: string;
  facts: Partial<BucketFacts>;
  input?: Partial<AccessInput>;
  capability: Capability;
  verdict: 'allowed' | 'blocked' | 'unknown';
  page: string;
  /** How iam-simulate departs from the page on this row (it then gives the other verdict); undefined: it agrees. */
  simulatorDeparts?: string;
}

const ROWS: Row[] = [
  {
    kind: 1,
    what: 'ArnNotEquals with a wildcard, in a Deny, spares the role: ARN operators match part by part with wildcards',
    facts: { policy: deny({ Condition: { ArnNotEquals: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/activeloop-*' } } }) },
    capability: 'read',
    verdict: 'allowed',
    page: PAGES.operators,
  },
  {
    kind: 1,
    what: 'ArnEquals with a wildcard, in a Deny, denies the role',
    facts: { policy: deny({ Condition: { ArnEquals: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/activeloop-*' } } }) },
    capability: 'read',
    verdict: 'blocked',
    page: PAGES.operators,
  },
  {
    kind: 2,
    what: 'a policy variable in a condition value is replaced: StringNotLike with ${aws:PrincipalAccount} spares the role',
    facts: {
      policy: deny({ Condition: { StringNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::${aws:PrincipalAccount}:role/activeloop-*' } } }),
    },
    capability: 'read',
    verdict: 'allowed',
    page: PAGES.variables,
  },
  {
    kind: 3,
    what: "a policy variable in a Resource is replaced: a Deny of s3:Put* on the team's own prefix blocks writes there",
    facts: {
      prefixes: ['teams/vision'],
      policy: deny({ Action: 's3:Put*', Resource: 'arn:aws:s3:::lake/teams/${aws:PrincipalTag/team}/*' }),
    },
    input: { roleTags: { team: 'vision' } },
    capability: 'write',
    verdict: 'blocked',
    page: PAGES.variables,
  },
  {
    kind: 3,
    what: 'the same Deny leaves another team prefix alone',
    facts: {
      prefixes: ['teams/vision'],
      policy: deny({ Action: 's3:Put*', Resource: 'arn:aws:s3:::lake/teams/${aws:PrincipalTag/team}/*' }),
    },
    input: { roleTags: { team: 'audio' } },
    capability: 'write',
    verdict: 'allowed',
    page: PAGES.variables,
  },
  {
    kind: 4,
    what: 'a key absent from the request decides: s3:prefix is never on GetObject, so StringEquals cannot apply',
    facts: { policy: deny({ Action: 's3:GetObject', Condition: { StringEquals: { 's3:prefix': 'home/*' } } }) },
    capability: 'read',
    verdict: 'allowed',
    page: PAGES.operators,
  },
  {
    kind: 4,
    what: 'and a negated operator on an absent key applies',
    facts: { policy: deny({ Action: 's3:GetObject', Condition: { StringNotEquals: { 's3:prefix': 'home/' } } }) },
    capability: 'read',
    verdict: 'blocked',
    page: PAGES.operators,
  },
  {
    kind: 5,
    what: "AWS's recommended TLS guard, NumericLessThan s3:TlsVersion 1.2, cannot apply to Deep Lake (TLS 1.2 or later)",
    facts: { policy: deny({ Condition: { NumericLessThan: { 's3:TlsVersion': '1.2' } } }) },
    capability: 'read',
    verdict: 'allowed',
    page: PAGES.tls,
  },
  {
    kind: 5,
    what: 'a guard that requires TLS 1.3 is unknown: Deep Lake may use 1.2 or 1.3',
    facts: { policy: deny({ Condition: { NumericLessThan: { 's3:TlsVersion': '1.3' } } }) },
    capability: 'read',
    verdict: 'unknown',
    page: PAGES.tls,
  },
  {
    kind: 6,
    what: 'NotPrincipal naming the role and the account but not the session denies the session',
    facts: {
      policy: doc({ Effect: 'Deny', NotPrincipal: { AWS: [ROLE, `arn:aws:iam::${ACCOUNT}:root`] }, Action: 's3:*', Resource: BUCKET }),
    },
    capability: 'read',
    verdict: 'blocked',
    page: PAGES.notPrincipal,
    simulatorDeparts: 'it lets the role ARN in NotPrincipal spare every session of the role',
  },
  {
    kind: 6,
    what: "NotPrincipal naming a session of the role is unknown: Deep Lake's session name is not known",
    facts: {
      policy: doc({
        Effect: 'Deny',
        NotPrincipal: {
          AWS: [`arn:aws:sts::${ACCOUNT}:assumed-role/activeloop-deeplake-access/some-session`, ROLE, `arn:aws:iam::${ACCOUNT}:root`],
        },
        Action: 's3:*',
        Resource: BUCKET,
      }),
    },
    capability: 'read',
    verdict: 'unknown',
    page: PAGES.notPrincipal,
  },
  {
    what: "a Deny unless through a VPC endpoint: blocked from a public address (no aws:SourceVpce), unknown through Activeloop's own endpoint (its ID unknown)",
    facts: { policy: deny({ Condition: { StringNotEquals: { 'aws:SourceVpce': 'vpce-0a1b2c3d' } } }) },
    capability: 'list',
    verdict: 'unknown',
    page: PAGES.operators,
  },
  {
    what: '...IfExists on an absent key holds (the public path); through a VPC endpoint aws:SourceVpce is present, its value unknown',
    facts: { policy: deny({ Condition: { StringEqualsIfExists: { 'aws:SourceVpce': 'vpce-0a1b2c3d' } } }) },
    capability: 'read',
    verdict: 'unknown',
    page: PAGES.operators,
  },
  {
    what: 'Null true on the encryption header blocks uploads without it (Deep Lake relies on the bucket default)',
    facts: { policy: deny({ Action: 's3:PutObject', Condition: { Null: { 's3:x-amz-server-side-encryption': 'true' } } }) },
    capability: 'write',
    verdict: 'blocked',
    page: PAGES.operators,
  },
  {
    what: 'Bool aws:SecureTransport false does not apply to TLS requests',
    facts: { policy: deny({ Condition: { Bool: { 'aws:SecureTransport': 'false' } } }) },
    capability: 'read',
    verdict: 'allowed',
    page: PAGES.operators,
  },
  {
    what: 'StringNotEqualsIgnoreCase compares without case: a tag value in another case spares the role',
    facts: { policy: deny({ Condition: { StringNotEqualsIgnoreCase: { 'aws:PrincipalTag/team': 'VISION' } } }) },
    input: { roleTags: { team: 'vision' } },
    capability: 'read',
    verdict: 'allowed',
    page: PAGES.operators,
  },
  {
    what: 'StringNotEquals compares with case: the same Deny blocks',
    facts: { policy: deny({ Condition: { StringNotEquals: { 'aws:PrincipalTag/team': 'VISION' } } }) },
    input: { roleTags: { team: 'vision' } },
    capability: 'read',
    verdict: 'blocked',
    page: PAGES.operators,
  },
  {
    what: "F6: NotIpAddress with the customer's network is unknown: Activeloop's source address is not known to the action",
    facts: { policy: deny({ Condition: { NotIpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '2001:db8::/32'] } } }) },
    capability: 'read',
    verdict: 'unknown',
    page: PAGES.operators,
  },
  {
    what: 'F6: IpAddress with only an IPv6 /0 is unknown: the address family of the caller is not known either',
    facts: { policy: deny({ Condition: { IpAddress: { 'aws:SourceIp': '::/0' } } }) },
    capability: 'read',
    verdict: 'unknown',
    page: PAGES.operators,
  },
  {
    what: 'F6: IpAddress with 0.0.0.0/0 and ::/0 holds for every address, but through a VPC endpoint the request has no aws:SourceIp: unknown',
    facts: { policy: deny({ Condition: { IpAddress: { 'aws:SourceIp': ['0.0.0.0/0', '::/0'] } } }) },
    capability: 'read',
    verdict: 'unknown',
    page: PAGES.globalKeys,
  },
  {
    what: 'F6: NotIpAddress with 0.0.0.0/0 and ::/0 fails for every address, but holds without aws:SourceIp (a VPC endpoint): unknown',
    facts: { policy: deny({ Condition: { NotIpAddress: { 'aws:SourceIp': ['0.0.0.0/0', '::/0'] } } }) },
    capability: 'read',
    verdict: 'unknown',
    page: PAGES.globalKeys,
  },
  {
    what: 'aws:SourceIp: a Deny with NotIpAddress on private ranges only blocks: Activeloop comes from a public address, or without aws:SourceIp',
    facts: { policy: deny({ Condition: { NotIpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '172.16.0.0/12', 'fc00::/7'] } } }) },
    capability: 'read',
    verdict: 'blocked',
    page: PAGES.globalKeys,
  },
  {
    what: 'aws:SourceIp: a Deny with IpAddress on private ranges only never applies to Activeloop',
    facts: {
      policy: deny({ Condition: { IpAddress: { 'aws:SourceIp': ['192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16', 'fe80::/10'] } } }),
    },
    capability: 'read',
    verdict: 'allowed',
    page: PAGES.globalKeys,
  },
  {
    what: 'aws:SourceIp: NotIpAddressIfExists on a private range blocks on both paths',
    facts: { policy: deny({ Condition: { NotIpAddressIfExists: { 'aws:SourceIp': '10.0.0.0/8' } } }) },
    capability: 'read',
    verdict: 'blocked',
    page: PAGES.globalKeys,
  },
  {
    what: 'aws:SourceIp: IpAddressIfExists on a private range depends on the path (it applies through a VPC endpoint only)',
    facts: { policy: deny({ Condition: { IpAddressIfExists: { 'aws:SourceIp': '10.0.0.0/8' } } }) },
    capability: 'read',
    verdict: 'unknown',
    page: PAGES.globalKeys,
  },
  {
    what: 'aws:SourceIp: a block reaching past private space (10.0.0.0/7 holds 11.0.0.0/8) stays unknown',
    facts: { policy: deny({ Condition: { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/7' } } }) },
    capability: 'read',
    verdict: 'unknown',
    page: PAGES.globalKeys,
  },
  {
    what: 'aws:SourceIp: a set qualifier on the address is not decided for an unknown public address',
    facts: { policy: deny({ Condition: { 'ForAnyValue:NotIpAddress': { 'aws:SourceIp': '10.0.0.0/8' } } }) },
    capability: 'read',
    verdict: 'unknown',
    page: PAGES.globalKeys,
  },
  {
    what: 'an ARN pattern of fewer than six parts matches nothing, so ArnNotLike holds and the Deny applies',
    facts: { policy: deny({ Condition: { ArnNotLike: { 'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}` } } }) },
    capability: 'read',
    verdict: 'blocked',
    page: PAGES.operators,
  },
  {
    what: 'the same for a pattern of two parts',
    facts: { policy: deny({ Condition: { ArnNotLike: { 'aws:PrincipalArn': 'arn:*' } } }) },
    capability: 'read',
    verdict: 'blocked',
    page: PAGES.operators,
    simulatorDeparts:
      'for a pattern of one or two parts it holds neither ArnLike nor ArnNotLike, though ArnNotLike is the negation of ArnLike',
  },
  {
    what: 'a policy variable inside an ARN operator is replaced',
    facts: {
      policy: deny({ Condition: { ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::${aws:PrincipalAccount}:role/activeloop-*' } } }),
    },
    capability: 'read',
    verdict: 'allowed',
    page: PAGES.variables,
    simulatorDeparts: 'it does not replace policy variables in the values of ARN operators',
  },
  {
    what: 'a condition on the organization the action cannot see is unknown, never allowed',
    facts: { policy: deny({ Condition: { StringNotEquals: { 'aws:PrincipalOrgID': 'o-abc123' } } }) },
    capability: 'read',
    verdict: 'unknown',
    page: PAGES.evaluation,
  },
  {
    what: 'a Deny naming the account as principal applies to the role',
    facts: { policy: deny({ Principal: { AWS: ACCOUNT } }) },
    capability: 'read',
    verdict: 'blocked',
    page: PAGES.principal,
  },
  {
    what: 'a Deny naming another role leaves this one alone',
    facts: { policy: deny({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/intern` } }) },
    capability: 'read',
    verdict: 'allowed',
    page: PAGES.principal,
  },
  {
    what: 'a boundary without S3 blocks S3 (the boundary must allow)',
    facts: {},
    input: {
      boundary: { arn: `arn:aws:iam::${ACCOUNT}:policy/b`, document: doc({ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' }) },
    },
    capability: 'read',
    verdict: 'blocked',
    page: PAGES.evaluation,
  },
  {
    what: 'the default key policy delegates to the account: IAM policies grant the key',
    facts: { key: { arn: KEY, policy: keyPolicy({}) } },
    capability: 'kms',
    verdict: 'allowed',
    page: PAGES.keyPolicies,
  },
  {
    what: 'a key policy limited to S3 in the bucket region (kms:ViaService) allows Deep Lake through S3',
    facts: { key: { arn: KEY, policy: keyPolicy({ Condition: { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } } }) } },
    capability: 'kms',
    verdict: 'allowed',
    page: PAGES.keyPolicies,
  },
  {
    what: 'a key policy limited to S3 in another region does not',
    facts: { key: { arn: KEY, policy: keyPolicy({ Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } } }) } },
    capability: 'kms',
    verdict: 'blocked',
    page: PAGES.keyPolicies,
  },
  {
    what: 'a key policy limited to another caller account (kms:CallerAccount) does not',
    facts: { key: { arn: KEY, policy: keyPolicy({ Condition: { StringEquals: { 'kms:CallerAccount': '999999999999' } } }) } },
    capability: 'kms',
    verdict: 'blocked',
    page: PAGES.keyPolicies,
  },
  {
    what: 'an encryption context of the bucket ARN holds with an S3 Bucket Key',
    facts: {
      key: {
        arn: KEY,
        bucketKeyEnabled: true,
        policy: keyPolicy({ Condition: { StringEquals: { 'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::lake' } } }),
      },
    },
    capability: 'kms',
    verdict: 'allowed',
    page: PAGES.bucketKey,
    simulatorDeparts: 'it never matches a kms:EncryptionContext:<context-key> condition key',
  },
  {
    what: 'and not without one (S3 then passes the object ARN)',
    facts: {
      key: {
        arn: KEY,
        bucketKeyEnabled: false,
        policy: keyPolicy({ Condition: { StringEquals: { 'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::lake' } } }),
      },
    },
    capability: 'kms',
    verdict: 'blocked',
    page: PAGES.bucketKey,
  },
  {
    what: 'a key policy naming only a key-admin role blocks KMS',
    facts: { key: { arn: KEY, policy: keyPolicy({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/key-admin` } }) } },
    capability: 'kms',
    verdict: 'blocked',
    page: PAGES.keyPolicies,
  },
];

/** The findings of the IAM-expert tester (F1 to F8): each false "allowed" with the row that pins it. */
const FINDINGS: Row[] = [
  {
    what: 'F1: in a 2008-10-17 policy ${aws:PrincipalAccount} is literal text, so StringNotLike never matches the role and the Deny blocks',
    facts: {
      policy: v2008(
        deny({ Condition: { StringNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::${aws:PrincipalAccount}:role/activeloop-*' } } }),
      ),
    },
    capability: 'read',
    verdict: 'blocked',
    page: PAGES.version,
    simulatorDeparts: 'it replaces policy variables whatever the Version',
  },
  {
    what: 'F1: the same in a policy without Version',
    facts: {
      policy: {
        Statement: [
          {
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Resource: BUCKET,
            Condition: { StringNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::${aws:PrincipalAccount}:role/activeloop-*' } },
          },
        ],
      } as PolicyDocument,
    },
    capability: 'read',
    verdict: 'blocked',
    page: PAGES.version,
    simulatorDeparts: 'it replaces policy variables whatever the Version',
  },
  {
    what: "F1: a 2008-10-17 Deny on lake/teams/${aws:PrincipalTag/team}/* names that literal text, not the team's prefix: writes there are allowed",
    facts: {
      prefixes: ['teams/vision'],
      policy: v2008(deny({ Action: 's3:Put*', Resource: 'arn:aws:s3:::lake/teams/${aws:PrincipalTag/team}/*' })),
    },
    input: { roleTags: { team: 'vision' } },
    capability: 'write',
    verdict: 'allowed',
    page: PAGES.version,
    simulatorDeparts: 'it replaces policy variables whatever the Version',
  },
  {
    what: 'F1: a 2008-10-17 key policy with ${aws:PrincipalAccount} in a condition: the Allow does not apply, KMS is blocked',
    facts: {
      key: {
        arn: KEY,
        policy: v2008(keyPolicy({ Condition: { StringEquals: { 'kms:CallerAccount': '${aws:PrincipalAccount}' } } })),
      },
    },
    capability: 'kms',
    verdict: 'blocked',
    page: PAGES.version,
    simulatorDeparts: 'it replaces policy variables whatever the Version',
  },
  {
    what: 'F1: a 2008-10-17 boundary allowing s3:* only on lake/${aws:PrincipalTag/team}/* allows no object of the team: blocked',
    facts: { prefixes: ['vision'] },
    input: {
      roleTags: { team: 'vision' },
      boundary: {
        arn: `arn:aws:iam::${ACCOUNT}:policy/b`,
        document: v2008(doc({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::lake/${aws:PrincipalTag/team}/*' })),
      },
    },
    capability: 'read',
    verdict: 'blocked',
    page: PAGES.version,
    simulatorDeparts: 'it replaces policy variables whatever the Version',
  },
  {
    what: 'F2: a Deny on lake/teams/private/* is part of the entry lake/teams: unknown, naming the part',
    facts: { prefixes: ['teams'], policy: deny({ Resource: 'arn:aws:s3:::lake/teams/private/*' }) },
    capability: 'read',
    verdict: 'unknown',
    page: PAGES.resource,
  },
  {
    what: 'F2: a Deny on lake/teams/* covers every object of the entry lake/teams: blocked',
    facts: { prefixes: ['teams'], policy: deny({ Resource: 'arn:aws:s3:::lake/teams/*' }) },
    capability: 'write',
    verdict: 'blocked',
    page: PAGES.resource,
  },
  ...['arn:*:s3:::lake/private/*', 'arn:aws:s3:::lak?/private/*', 'arn:aws:s3:::*/private/*'].map(
    (resource): Row => ({
      what: `F4: a Deny on ${resource} is part of the whole bucket: unknown`,
      facts: { policy: deny({ Resource: resource }) },
      capability: 'read',
      verdict: 'unknown',
      page: PAGES.resource,
    }),
  ),
  {
    what: "F5: a Deny of s3:GetObject on lake/*.json takes Deep Lake's metadata files: read is unknown, naming the pattern",
    facts: { policy: deny({ Action: 's3:GetObject', Resource: 'arn:aws:s3:::lake/*.json' }) },
    capability: 'read',
    verdict: 'unknown',
    page: PAGES.resource,
  },
  {
    what: 'F5: a Deny of s3:PutObject on lake/*.json: write is unknown',
    facts: { prefixes: ['ds'], policy: deny({ Action: 's3:PutObject', Resource: 'arn:aws:s3:::lake/*.json' }) },
    capability: 'write',
    verdict: 'unknown',
    page: PAGES.resource,
  },
  {
    what: 'F5: a Deny with NotResource sparing only lake/*/chunks/* takes the metadata files: read is unknown',
    facts: { policy: deny({ Resource: undefined, NotResource: 'arn:aws:s3:::lake/*/chunks/*' }) },
    capability: 'read',
    verdict: 'unknown',
    page: PAGES.resource,
  },
  {
    what: 'F3: a Deny of ListBucket unless s3:prefix is like "data/*" spares the entry lake/data: Deep Lake lists with "data/" and below',
    facts: {
      prefixes: ['data'],
      policy: deny({ Action: 's3:ListBucket', Resource: BUCKET[0], Condition: { StringNotLike: { 's3:prefix': 'data/*' } } }),
    },
    capability: 'list',
    verdict: 'allowed',
    page: PAGES.s3Keys,
    simulatorDeparts: 'the simulated request carries s3:prefix "data", a value Deep Lake does not send',
  },
  {
    what: 'F3: a Deny of ListBucket when s3:prefix equals "data/" denies the listing Deep Lake starts with: unknown (its deeper listings pass)',
    facts: {
      prefixes: ['data'],
      policy: deny({ Action: 's3:ListBucket', Resource: BUCKET[0], Condition: { StringEquals: { 's3:prefix': 'data/' } } }),
    },
    capability: 'list',
    verdict: 'unknown',
    page: PAGES.s3Keys,
  },
  {
    what: 'F3: a Deny of ListBucket with s3:prefix like "data/*" denies every listing of the entry lake/data: blocked',
    facts: {
      prefixes: ['data'],
      policy: deny({ Action: 's3:ListBucket', Resource: BUCKET[0], Condition: { StringLike: { 's3:prefix': 'data/*' } } }),
    },
    capability: 'list',
    verdict: 'blocked',
    page: PAGES.s3Keys,
    simulatorDeparts: 'the simulated request carries s3:prefix "data", which "data/*" does not match',
  },
  {
    what: 'F3: for a whole bucket, a Deny of ListBucket with s3:prefix like "private/*" is a part: unknown',
    facts: { policy: deny({ Action: 's3:ListBucket', Resource: BUCKET[0], Condition: { StringLike: { 's3:prefix': 'private/*' } } }) },
    capability: 'list',
    verdict: 'unknown',
    page: PAGES.s3Keys,
  },
  {
    what: 'F7a: a possible Deny (aws:PrincipalOrgID) and a boundary that allows only dynamodb:*: the boundary never allows, blocked',
    facts: { policy: deny({ Condition: { StringNotEquals: { 'aws:PrincipalOrgID': 'o-abc123' } } }) },
    input: { boundary: BOUNDARY_DYNAMODB },
    capability: 'read',
    verdict: 'blocked',
    page: PAGES.evaluation,
  },
  {
    what: "F7b: a key policy Allow on kms:EncryptionContext:dept: S3's context holds only aws:s3:arn, so no Allow: blocked",
    facts: { key: { arn: KEY, policy: keyPolicy({ Condition: { StringEquals: { 'kms:EncryptionContext:dept': 'x' } } }) } },
    capability: 'kms',
    verdict: 'blocked',
    page: PAGES.kmsKeys,
  },
  {
    what: 'F7c: a Deny when kms:GrantIsForAWSResource is "false": absent on Decrypt, so the Deny does not apply',
    facts: {
      key: {
        arn: KEY,
        policy: doc(
          { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
          { Effect: 'Deny', Principal: '*', Action: 'kms:*', Resource: '*', Condition: { Bool: { 'kms:GrantIsForAWSResource': 'false' } } },
        ),
      },
    },
    capability: 'kms',
    verdict: 'allowed',
    page: PAGES.kmsKeys,
  },
  {
    what: 'F7d: a Deny after 2020-01-01 (DateGreaterThan aws:CurrentTime), checked in 2026: blocked',
    facts: { policy: deny({ Condition: { DateGreaterThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } } }) },
    input: { now: new Date('2026-12-05T07:00:00Z') },
    capability: 'read',
    verdict: 'blocked',
    page: PAGES.globalKeys,
  },
  {
    what: 'F7d: a Deny after 2030-01-01, checked in 2026: allowed',
    facts: { policy: deny({ Condition: { DateGreaterThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } } }) },
    input: { now: new Date('2026-12-05T07:00:00Z') },
    capability: 'read',
    verdict: 'allowed',
    page: PAGES.globalKeys,
  },
  {
    what: 'F8: a Deny of s3:GetBucketLocation blocks listing (Deep Lake asks where the bucket is)',
    facts: { policy: deny({ Action: 's3:GetBucketLocation', Resource: BUCKET[0] }) },
    capability: 'list',
    verdict: 'blocked',
    page: PAGES.s3Keys,
    simulatorDeparts: 'the simulated listing is ListBucket alone',
  },
  {
    what: 'F8: a Deny of s3:ListMultipartUploadParts blocks writing (Deep Lake uploads large chunks in parts)',
    facts: { policy: deny({ Action: 's3:ListMultipartUploadParts', Resource: BUCKET[1] }) },
    capability: 'write',
    verdict: 'blocked',
    page: PAGES.s3Keys,
    simulatorDeparts: 'the simulated write is PutObject and DeleteObject alone',
  },
];
ROWS.push(...FINDINGS);

const BASE: AccessInput = { access: 'read-write', roleArn: ROLE, account: ACCOUNT, partition: 'aws', roleTags: {}, corsManaged: true };

function verdictOf(row: Row) {
  const facts: BucketFacts = { bucket: 'lake', prefixes: [], region: 'us-east-1', cors: [], ...row.facts };
  return checkAccess([facts], { ...BASE, ...row.input })[0].verdicts[row.capability];
}

/** The same request for the simulator: the keys Deep Lake's request carries (TLS 1.2), its action and resource. */
async function simulatorVerdict(row: Row): Promise<'allowed' | 'blocked'> {
  const prefix = row.facts.prefixes?.[0];
  const object = `arn:aws:s3:::lake/${prefix ? `${prefix}/` : ''}deeplake-dataset/chunks/0`;
  const tags = Object.fromEntries(Object.entries(row.input?.roleTags ?? {}).map(([k, v]) => [`aws:PrincipalTag/${k}`, v]));
  const context: Record<string, string | string[]> = {
    'aws:SecureTransport': 'true',
    'aws:PrincipalArn': ROLE,
    'aws:PrincipalAccount': ACCOUNT,
    'aws:PrincipalType': 'AssumedRole',
    'aws:SourceIp': '192.0.2.1',
    'aws:RequestedRegion': 'us-east-1',
    ...(row.input?.now ? { 'aws:CurrentTime': row.input.now.toISOString() } : {}),
    ...tags,
  };
  const requests = {
    list: [{ action: 's3:ListBucket', resource: 'arn:aws:s3:::lake', context: { ...context, 's3:prefix': prefix ?? '' } }],
    read: [{ action: 's3:GetObject', resource: object, context: { ...context, 's3:TlsVersion': '1.2' } }],
    write: ['s3:PutObject', 's3:DeleteObject'].map((action) => ({ action, resource: object, context })),
    kms: [
      {
        action: 'kms:Decrypt',
        resource: KEY,
        context: {
          ...context,
          'kms:ViaService': 's3.us-east-1.amazonaws.com',
          'kms:CallerAccount': ACCOUNT,
          'kms:EncryptionContext:aws:s3:arn': row.facts.key?.bucketKeyEnabled ? 'arn:aws:s3:::lake' : object,
        },
      },
    ],
  }[row.capability as 'list' | 'read' | 'write' | 'kms'];
  for (const r of requests) {
    const result = await simulate({
      ...r,
      resourcePolicy: row.capability === 'kms' ? row.facts.key?.policy : row.facts.policy,
      boundary: row.input?.boundary?.document,
      // A key policy decides on its own; the identity side allows.
    });
    if (result === 'denied') return 'blocked';
  }
  return 'allowed';
}

describe('conformance table: the access check against the IAM documentation', () => {
  it.each(ROWS.map((r) => [`${r.kind ? `kind ${r.kind}: ` : ''}${r.what}`, r] as const))('%s', (_name, row) => {
    expect({ verdict: verdictOf(row).state, page: row.page }).toEqual({ verdict: row.verdict, page: row.page });
  });

  it('covers every kind of issue 19 that the access check decides (1 to 6)', () => {
    expect([...new Set(ROWS.flatMap((r) => (r.kind ? [r.kind] : [])))].sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it.each(ROWS.filter((r) => r.verdict !== 'unknown').map((r) => [r.what, r] as const))('iam-simulate on: %s', async (_name, row) => {
    const simulated = await simulatorVerdict(row);
    if (row.simulatorDeparts) expect(simulated).not.toBe(row.verdict);
    else expect(simulated).toBe(row.verdict);
  });
});

describe('conformance table, kind 7: policy comparison keeps condition keys that differ only in case', () => {
  // IAM User Guide, "IAM JSON policy elements: Condition": context key names are not case-sensitive, and every
  // key of a block must hold, so {"aws:SourceIp": A, "AWS:SourceIP": B} requires both.
  const withBoth = (first: [string, string], second: [string, string]): PolicyDocument =>
    doc({ Effect: 'Deny', Action: 's3:*', Resource: '*', Condition: { IpAddress: Object.fromEntries([first, second]) } });
  const a: [string, string] = ['aws:SourceIp', '203.0.113.0/24'];
  const b: [string, string] = ['AWS:SourceIP', '198.51.100.0/24'];

  it('two entries in either order are the same document', () => {
    expect(equivalent(withBoth(a, b), withBoth(b, a))).toBe(true);
    expect(equivalent(withBoth(a, b), withBoth(['AWS:SourceIP', a[1]], ['aws:SourceIp', b[1]]))).toBe(true);
  });

  it('and neither is the same as one of its entries alone', () => {
    const only = (e: [string, string]) =>
      doc({ Effect: 'Deny', Action: 's3:*', Resource: '*', Condition: { IpAddress: Object.fromEntries([e]) } });
    expect(equivalent(withBoth(a, b), only(a))).toBe(false);
    expect(equivalent(withBoth(a, b), only(b))).toBe(false);
  });
});
