import { describe, expect, it } from '@jest/globals';
import { canonical, documentFacts, equivalent, type PolicyDocument, parseDocument, policySize } from '../src/policy.js';

const base: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'A', Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'] }],
};

describe('equivalent', () => {
  it.each<[string, PolicyDocument]>([
    [
      'reordered lists',
      {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['s3:ListBucket', 's3:GetObject'], Resource: ['arn:aws:s3:::b/*', 'arn:aws:s3:::b'] }],
      },
    ],
    [
      'a single statement object',
      {
        Version: '2012-10-17',
        Statement: { Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'] },
      },
    ],
    [
      'other Sids',
      {
        Version: '2012-10-17',
        Statement: [
          { Sid: 'Other', Effect: 'Allow', Action: ['s3:getobject', 'S3:ListBucket'], Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'] },
        ],
      },
    ],
    [
      'duplicated values',
      {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket', 's3:GetObject'], Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'] },
        ],
      },
    ],
  ])('treats %s as the same', (_, other) => {
    expect(equivalent(base, other)).toBe(true);
  });

  it.each<[string, PolicyDocument]>([
    [
      'another resource',
      {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: ['arn:aws:s3:::c', 'arn:aws:s3:::b/*'] }],
      },
    ],
    [
      'a missing action',
      { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'] }] },
    ],
    [
      'Deny',
      {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Deny', Action: ['s3:GetObject', 's3:ListBucket'], Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'] }],
      },
    ],
    [
      'another version',
      {
        Version: '2008-10-17',
        Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'] }],
      },
    ],
    [
      'a resource case change',
      {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: ['arn:aws:s3:::B', 'arn:aws:s3:::b/*'] }],
      },
    ],
  ])('tells %s apart', (_, other) => {
    expect(equivalent(base, other)).toBe(false);
  });

  it('compares principals and conditions by meaning: an account ID is its root ARN, a single value is a list', () => {
    const a: PolicyDocument = {
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: '111122223333' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'sts:ExternalId': 'x' } },
        },
      ],
    };
    const b: PolicyDocument = {
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: ['arn:aws:iam::111122223333:root'] },
          Action: ['sts:AssumeRole'],
          Condition: { StringEquals: { 'STS:ExternalId': ['x'] } },
        },
      ],
    };
    expect(canonical(a)).toBe(canonical(b));
    const c = structuredClone(b);
    (c.Statement as { Condition: unknown }[])[0].Condition = { StringEquals: { 'sts:ExternalId': 'y' } };
    expect(equivalent(a, c)).toBe(false);
  });
});

describe('parseDocument', () => {
  it('reads URL-encoded documents as AWS returns them, and plain JSON as emulators do', () => {
    const encoded = encodeURIComponent(JSON.stringify(base));
    expect(parseDocument(encoded)).toEqual(base);
    expect(parseDocument(JSON.stringify(base))).toEqual(base);
  });
});

describe('size and facts', () => {
  it('measures compact JSON', () => {
    expect(policySize(base)).toBe(JSON.stringify(base).length);
  });

  it('lists buckets, object resources, keys and principals', () => {
    const facts = documentFacts({
      Statement: [
        {
          Effect: 'Allow',
          Action: 's3:*Object*',
          Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/p/*', 'arn:aws:kms:us-east-1:111122223333:key/k'],
        },
        { Effect: 'Allow', Principal: { AWS: '111122223333' }, Action: 'sts:AssumeRole' },
      ],
    });
    expect(facts.buckets).toEqual(['b']);
    expect(facts.objectResources).toEqual(['arn:aws:s3:::b/p/*']);
    expect(facts.kmsKeys).toEqual(['arn:aws:kms:us-east-1:111122223333:key/k']);
    expect(facts.principals).toEqual(['arn:aws:iam::111122223333:root']);
  });
});
