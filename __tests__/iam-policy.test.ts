// The test-side IAM evaluator (test-support/iam-policy.mjs) against IAM's documented rules.
import { describe, expect, it } from '@jest/globals';
import { evaluate } from '../test-support/iam-policy.mjs';

const ROLE = ['arn:aws:iam::123456789012:role/r', 'arn:aws:iam::123456789012:role/*/r'];
const policy = {
  Statement: [
    { Effect: 'Allow', Action: 'iam:GetRole', Resource: ROLE },
    {
      Effect: 'Allow',
      Action: 'iam:Attach*',
      Resource: ROLE,
      Condition: { ArnLike: { 'iam:PolicyARN': ['arn:aws:iam::123456789012:policy/p*', 'arn:aws:iam::123456789012:policy/*/p*'] } },
    },
    { Effect: 'Deny', Action: 'iam:*', Resource: 'arn:aws:iam::123456789012:role/admin/*' },
    { Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: { StringNotEquals: { 'aws:SourceVpce': 'vpce-1' } } },
  ],
};

describe('evaluate', () => {
  it.each([
    ['a role at /', { action: 'iam:GetRole', resource: 'arn:aws:iam::123456789012:role/r' }, 'allow'],
    ['a role at a nested path', { action: 'iam:GetRole', resource: 'arn:aws:iam::123456789012:role/a/b/r' }, 'allow'],
    ['another role whose name ends the same', { action: 'iam:GetRole', resource: 'arn:aws:iam::123456789012:role/xr' }, 'implicit-deny'],
    ['actions are case-insensitive', { action: 'IAM:getrole', resource: 'arn:aws:iam::123456789012:role/r' }, 'allow'],
    ['resources are case-sensitive', { action: 'iam:GetRole', resource: 'arn:aws:iam::123456789012:role/R' }, 'implicit-deny'],
    [
      'an attachment of its own policy',
      { action: 'iam:AttachRolePolicy', resource: ROLE[0], context: { 'iam:PolicyARN': 'arn:aws:iam::123456789012:policy/team/p-2' } },
      'allow',
    ],
    [
      'an attachment of another policy',
      { action: 'iam:AttachRolePolicy', resource: ROLE[0], context: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' } },
      'implicit-deny',
    ],
    ['an attachment without the condition key', { action: 'iam:AttachRolePolicy', resource: ROLE[0] }, 'implicit-deny'],
    ['an explicit deny wins over an allow', { action: 'iam:GetRole', resource: 'arn:aws:iam::123456789012:role/admin/r' }, 'deny'],
    ['a negated operator matches a missing key', { action: 's3:GetObject', resource: 'arn:aws:s3:::b/k' }, 'allow'],
    [
      'a negated operator with the key set',
      { action: 's3:GetObject', resource: 'arn:aws:s3:::b/k', context: { 'aws:SourceVpce': 'vpce-1' } },
      'implicit-deny',
    ],
  ])('%s: %s', (_what, request, verdict) => {
    expect(evaluate(policy, request)).toBe(verdict);
  });
});
