// Policy comparison against a table of named cases: documents IAM treats as the same, and documents that differ.
// The rules are those hashicorp/awspolicyequivalence establishes for IAM; the cases are our own.
import { describe, expect, it } from '@jest/globals';
import { equivalent, type PolicyDocument, type Statement } from '../src/policy.js';

const ROLE = 'arn:aws:iam::597713067985:role/activeloop_backend';
const doc = (...statement: Statement[]): PolicyDocument => ({ Version: '2012-10-17', Statement: statement });
const allow = (extra: Partial<Statement> = {}): Statement => ({
  Effect: 'Allow',
  Action: 's3:GetObject',
  Resource: 'arn:aws:s3:::b/*',
  ...extra,
});

// An optional partition, defaulted in the test function: Jest reads a longer parameter list than a row as a done callback.
type Case = [name: string, a: PolicyDocument, b: PolicyDocument, partition?: string];

const SAME: Case[] = [
  ['identical documents', doc(allow()), doc(allow())],
  ['a single statement object and a one-element list', { Version: '2012-10-17', Statement: allow() }, doc(allow())],
  ['statements in another order', doc(allow(), allow({ Action: 's3:PutObject' })), doc(allow({ Action: 's3:PutObject' }), allow())],
  ['a statement given twice', doc(allow(), allow()), doc(allow())],
  ['a single action and a one-element list', doc(allow()), doc(allow({ Action: ['s3:GetObject'] }))],
  [
    'actions in another order',
    doc(allow({ Action: ['s3:GetObject', 's3:PutObject'] })),
    doc(allow({ Action: ['s3:PutObject', 's3:GetObject'] })),
  ],
  ['action names in another case', doc(allow({ Action: 'S3:getobject' })), doc(allow())],
  ['an action given twice', doc(allow({ Action: ['s3:GetObject', 's3:GetObject'] })), doc(allow())],
  [
    'resources in another order',
    doc(allow({ Resource: ['arn:aws:s3:::a', 'arn:aws:s3:::b'] })),
    doc(allow({ Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::a'] })),
  ],
  ['a single resource and a one-element list', doc(allow()), doc(allow({ Resource: ['arn:aws:s3:::b/*'] }))],
  ['different Sids', doc(allow({ Sid: 'One' })), doc(allow({ Sid: 'Two' }))],
  ['a Sid and none', doc(allow({ Sid: 'One' })), doc(allow())],
  ['no Version and the default 2008-10-17', { Statement: [allow()] }, { Version: '2008-10-17', Statement: [allow()] }],
  ['Principal "*" and {"AWS": "*"}', doc(allow({ Principal: '*' })), doc(allow({ Principal: { AWS: '*' } }))],
  ['a single principal and a one-element list', doc(allow({ Principal: { AWS: ROLE } })), doc(allow({ Principal: { AWS: [ROLE] } }))],
  [
    'principals in another order',
    doc(allow({ Principal: { AWS: [ROLE, '111122223333'] } })),
    doc(allow({ Principal: { AWS: ['111122223333', ROLE] } })),
  ],
  [
    'an account ID and its root ARN',
    doc(allow({ Principal: { AWS: '111122223333' } })),
    doc(allow({ Principal: { AWS: 'arn:aws:iam::111122223333:root' } })),
  ],
  [
    'an account ID and its root ARN in aws-cn',
    doc(allow({ Principal: { AWS: '111122223333' } })),
    doc(allow({ Principal: { AWS: 'arn:aws-cn:iam::111122223333:root' } })),
    'aws-cn',
  ],
  [
    'an account ID and its root ARN in aws-us-gov',
    doc(allow({ Principal: { AWS: '111122223333' } })),
    doc(allow({ Principal: { AWS: 'arn:aws-us-gov:iam::111122223333:root' } })),
    'aws-us-gov',
  ],
  [
    'an empty principal type beside another',
    doc(allow({ Principal: { AWS: ROLE, Service: [] } })),
    doc(allow({ Principal: { AWS: ROLE } })),
  ],
  [
    'principal types in another order',
    doc(allow({ Principal: { Service: 's3.amazonaws.com', AWS: ROLE } })),
    doc(allow({ Principal: { AWS: ROLE, Service: 's3.amazonaws.com' } })),
  ],
  [
    'a single condition value and a one-element list',
    doc(allow({ Condition: { StringEquals: { 'sts:ExternalId': 'x' } } })),
    doc(allow({ Condition: { StringEquals: { 'sts:ExternalId': ['x'] } } })),
  ],
  [
    'condition values in another order',
    doc(allow({ Condition: { StringLike: { 's3:prefix': ['a', 'b'] } } })),
    doc(allow({ Condition: { StringLike: { 's3:prefix': ['b', 'a'] } } })),
  ],
  [
    'condition keys in another case',
    doc(allow({ Condition: { StringEquals: { 'sts:ExternalId': 'x' } } })),
    doc(allow({ Condition: { StringEquals: { 'STS:externalid': 'x' } } })),
  ],
  [
    'a boolean condition value and its string',
    doc(allow({ Condition: { Bool: { 'aws:SecureTransport': true } } })),
    doc(allow({ Condition: { Bool: { 'aws:SecureTransport': 'true' } } })),
  ],
  [
    'a number condition value and its string',
    doc(allow({ Condition: { NumericLessThan: { 's3:max-keys': 10 } } })),
    doc(allow({ Condition: { NumericLessThan: { 's3:max-keys': '10' } } })),
  ],
  [
    'condition operators in another order',
    doc(allow({ Condition: { Bool: { 'aws:SecureTransport': 'true' }, StringEquals: { 'aws:PrincipalAccount': '111122223333' } } })),
    doc(allow({ Condition: { StringEquals: { 'aws:PrincipalAccount': '111122223333' }, Bool: { 'aws:SecureTransport': 'true' } } })),
  ],
  ['an empty Condition and none', doc(allow({ Condition: {} })), doc(allow())],
  [
    'NotAction lists in another order',
    doc(allow({ Action: undefined, NotAction: ['iam:*', 'sts:*'] })),
    doc(allow({ Action: undefined, NotAction: ['sts:*', 'iam:*'] })),
  ],
];

const DIFFERENT: Case[] = [
  ['another action', doc(allow()), doc(allow({ Action: 's3:PutObject' }))],
  ['one action more', doc(allow()), doc(allow({ Action: ['s3:GetObject', 's3:PutObject'] }))],
  ['another resource', doc(allow()), doc(allow({ Resource: 'arn:aws:s3:::c/*' }))],
  ['a resource in another case (ARNs are case-sensitive)', doc(allow()), doc(allow({ Resource: 'arn:aws:s3:::B/*' }))],
  ['Allow and Deny', doc(allow()), doc(allow({ Effect: 'Deny' }))],
  ['Action and NotAction', doc(allow()), doc(allow({ Action: undefined, NotAction: 's3:GetObject' }))],
  ['Resource and NotResource', doc(allow()), doc(allow({ Resource: undefined, NotResource: 'arn:aws:s3:::b/*' }))],
  [
    'another principal',
    doc(allow({ Principal: { AWS: ROLE } })),
    doc(allow({ Principal: { AWS: 'arn:aws:iam::597713067985:role/other' } })),
  ],
  ['an account root and a role of it', doc(allow({ Principal: { AWS: '597713067985' } })), doc(allow({ Principal: { AWS: ROLE } }))],
  [
    'an account ID in aws-cn and the aws root ARN',
    doc(allow({ Principal: { AWS: '111122223333' } })),
    doc(allow({ Principal: { AWS: 'arn:aws:iam::111122223333:root' } })),
    'aws-cn',
  ],
  ['Principal and NotPrincipal', doc(allow({ Principal: { AWS: ROLE } })), doc(allow({ NotPrincipal: { AWS: ROLE } }))],
  [
    'an AWS principal and a Service principal of that name',
    doc(allow({ Principal: { AWS: 's3.amazonaws.com' } })),
    doc(allow({ Principal: { Service: 's3.amazonaws.com' } })),
  ],
  ['a condition and none', doc(allow({ Condition: { StringEquals: { 'sts:ExternalId': 'x' } } })), doc(allow())],
  [
    'another condition value',
    doc(allow({ Condition: { StringEquals: { 'sts:ExternalId': 'x' } } })),
    doc(allow({ Condition: { StringEquals: { 'sts:ExternalId': 'y' } } })),
  ],
  [
    'a condition value in another case (values are case-sensitive)',
    doc(allow({ Condition: { StringEquals: { 'sts:ExternalId': 'x' } } })),
    doc(allow({ Condition: { StringEquals: { 'sts:ExternalId': 'X' } } })),
  ],
  [
    'another condition operator',
    doc(allow({ Condition: { StringEquals: { 's3:prefix': 'a' } } })),
    doc(allow({ Condition: { StringLike: { 's3:prefix': 'a' } } })),
  ],
  [
    'one statement split in two with other grants',
    doc(allow({ Action: ['s3:GetObject', 's3:PutObject'] })),
    doc(allow(), allow({ Action: 's3:PutObject', Resource: 'arn:aws:s3:::c/*' })),
  ],
  ['another Version', doc(allow()), { Version: '2008-10-17', Statement: [allow()] }],
  ['a document without Statement (a hand edit) and one with', { Version: '2012-10-17' } as PolicyDocument, doc(allow())],
];

describe('equivalent: the same meaning', () => {
  it.each(SAME)('%s', (_name, a, b, partition = 'aws') => {
    expect(equivalent(a, b, partition)).toBe(true);
    expect(equivalent(b, a, partition)).toBe(true);
  });
});

describe('equivalent: a different meaning', () => {
  it.each(DIFFERENT)('%s', (_name, a, b, partition = 'aws') => {
    expect(equivalent(a, b, partition)).toBe(false);
    expect(equivalent(b, a, partition)).toBe(false);
  });
});
