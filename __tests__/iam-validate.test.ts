// The policy validator of the tests (test-support/iam-validate.mjs): what IAM's service reference says a policy
// can name. Each case is a mistake a document could carry, and the finding that catches it.
import { describe, expect, it } from '@jest/globals';
import { type Finding, validatePolicy } from '../test-support/iam-validate.mjs';

const ACCOUNT = '123456789012';
const allow = (statement: Record<string, unknown>) => ({ Version: '2012-10-17', Statement: [{ Sid: 'S', Effect: 'Allow', ...statement }] });
const issues = (findings: Finding[]) => findings.map((f) => f.issue);

describe('validatePolicy', () => {
  it("passes a document that names only what IAM's reference has (Activeloop's bucket grant with a prefix and a key)", async () => {
    const document = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'Objects',
          Effect: 'Allow',
          Action: ['s3:*Object*', 's3:AbortMultipartUpload'],
          Resource: ['arn:aws:s3:::ml-datasets', 'arn:aws:s3:::ml-datasets/*'],
        },
        {
          Sid: 'List',
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Resource: 'arn:aws:s3:::ml-datasets',
          Condition: { StringLike: { 's3:prefix': ['deeplake', 'deeplake/*'] } },
        },
        {
          Sid: 'Keys',
          Effect: 'Allow',
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          Resource: `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
          Condition: { StringLike: { 'kms:ViaService': 's3.*.amazonaws.com' }, Bool: { 'aws:SecureTransport': 'true' } },
        },
        {
          Sid: 'Roles',
          Effect: 'Allow',
          Action: ['iam:CreateRole', 'iam:TagRole'],
          Resource: [
            `arn:aws:iam::${ACCOUNT}:role/activeloop-deeplake-access`,
            `arn:aws:iam::${ACCOUNT}:role/*/activeloop-deeplake-access`,
          ],
          Condition: { StringEquals: { 'aws:RequestTag/owner': 'activeloop-role-action' } },
        },
      ],
    };
    expect(await validatePolicy(document, { partition: 'aws' })).toEqual([]);
  });

  it('catches a misspelled action, a wildcard that matches none, and an unknown service', async () => {
    const findings = await validatePolicy(
      allow({ Action: ['s3:GetObjcet', 's3:Put*Objectt', 's3x:GetObject', 'iam'], Resource: 'arn:aws:s3:::b/*' }),
    );
    expect(findings).toEqual([
      expect.objectContaining({ issue: 'INVALID_ACTION', detail: expect.stringContaining('s3:GetObjcet') }),
      expect.objectContaining({ issue: 'INVALID_ACTION', detail: expect.stringContaining('s3:Put*Objectt') }),
      expect.objectContaining({ issue: 'INVALID_SERVICE_IN_ACTION', detail: expect.stringContaining('s3x') }),
      expect.objectContaining({ issue: 'INVALID_ACTION', detail: expect.stringContaining('iam is not service:action') }),
    ]);
  });

  it("catches a condition key the service does not have, and one the statement's actions do not take", async () => {
    const misspelled = await validatePolicy(
      allow({ Action: 's3:ListBucket', Resource: 'arn:aws:s3:::b', Condition: { StringLike: { 's3:prefx': 'a/*' } } }),
    );
    expect(misspelled).toEqual([
      expect.objectContaining({ issue: 'INVALID_SERVICE_CONDITION_KEY', detail: expect.stringContaining('s3:prefx') }),
    ]);
    // iam:PermissionsBoundary is a key of CreateRole, not of TagRole: such a condition never matches TagRole.
    const unsupported = await validatePolicy(
      allow({
        Action: ['iam:CreateRole', 'iam:TagRole'],
        Resource: `arn:aws:iam::${ACCOUNT}:role/r`,
        Condition: { StringEquals: { 'iam:PermissionsBoundary': `arn:aws:iam::${ACCOUNT}:policy/b` } },
      }),
    );
    expect(unsupported).toEqual([
      expect.objectContaining({
        issue: 'UNSUPPORTED_ACTION_FOR_CONDITION_KEY',
        detail: expect.stringMatching(/not a key of iam:TagRole$/),
      }),
    ]);
    const global = await validatePolicy(
      allow({ Action: 's3:GetObject', Resource: '*', Condition: { Bool: { 'aws:SecureTransports': 'true' } } }),
    );
    expect(issues(global)).toEqual(['INVALID_GLOBAL_CONDITION_KEY']);
  });

  it('catches a resource ARN of the wrong shape for the actions', async () => {
    // An object action on the bucket's ARN (no /key): it never matches an object.
    const bucketForObject = await validatePolicy(allow({ Action: 's3:GetObject', Resource: 'arn:aws:s3:::ml-datasets' }));
    expect(issues(bucketForObject)).toEqual(['UNSUPPORTED_RESOURCE_ARN_IN_POLICY', 'ACTION_WITHOUT_MATCHING_RESOURCE']);
    // A bucket action on the objects' ARN.
    expect(issues(await validatePolicy(allow({ Action: 's3:ListBucket', Resource: 'arn:aws:s3:::ml-datasets/*' })))).toEqual([
      'UNSUPPORTED_RESOURCE_ARN_IN_POLICY',
      'ACTION_WITHOUT_MATCHING_RESOURCE',
    ]);
    // A role action on a policy ARN; an ARN with a field missing.
    expect(issues(await validatePolicy(allow({ Action: 'iam:GetRole', Resource: `arn:aws:iam::${ACCOUNT}:policy/r` })))).toEqual([
      'UNSUPPORTED_RESOURCE_ARN_IN_POLICY',
      'ACTION_WITHOUT_MATCHING_RESOURCE',
    ]);
    expect(issues(await validatePolicy(allow({ Action: 'iam:GetRole', Resource: `arn:aws:iam:${ACCOUNT}:role/r` })))).toEqual([
      'MISSING_ARN_FIELD',
    ]);
    // A KMS key ARN without its region.
    expect(issues(await validatePolicy(allow({ Action: 'kms:Decrypt', Resource: `arn:aws:kms::${ACCOUNT}:key/k` })))).toEqual([
      'UNSUPPORTED_RESOURCE_ARN_IN_POLICY',
      'ACTION_WITHOUT_MATCHING_RESOURCE',
    ]);
  });

  it('catches an unknown partition, and an ARN of another partition than the document is for', async () => {
    expect(issues(await validatePolicy(allow({ Action: 's3:ListBucket', Resource: 'arn:aws-mars:s3:::b' })))).toEqual([
      'INVALID_PARTITION',
    ]);
    const mixed = await validatePolicy(
      allow({
        Action: 'iam:AttachRolePolicy',
        Resource: `arn:aws-cn:iam::${ACCOUNT}:role/r`,
        Condition: { ArnLike: { 'iam:PolicyARN': `arn:aws:iam::${ACCOUNT}:policy/p*` } },
      }),
      { partition: 'aws-cn' },
    );
    expect(mixed).toEqual([expect.objectContaining({ issue: 'ARN_IN_OTHER_PARTITION', detail: expect.stringContaining('iam:PolicyARN') })]);
  });

  it("takes an OIDC provider's claims in a web-identity trust policy, and checks its principal's partition", async () => {
    const trust = (provider: string, keys: Record<string, string>) => ({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Federated: `${provider}:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com` },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: { StringEquals: keys },
        },
      ],
    });
    const claims = {
      'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
      'token.actions.githubusercontent.com:sub': 'repo:o/r:ref:refs/heads/main',
      'token.actions.githubusercontent.com:repository': 'o/r',
    };
    expect(await validatePolicy(trust('arn:aws', claims), { type: 'trust', partition: 'aws' })).toEqual([]);
    expect(issues(await validatePolicy(trust('arn:aws', claims), { type: 'trust', partition: 'aws-us-gov' }))).toEqual([
      'ARN_IN_OTHER_PARTITION',
    ]);
    expect(
      issues(
        await validatePolicy(trust('arn:aws', { 'token.actions.githubusercontent.com:repo': 'o/r' }), { type: 'trust', partition: 'aws' }),
      ),
    ).toEqual(['INVALID_SERVICE_CONDITION_KEY']);
  });

  it('checks the grammar around them: version, effect, duplicate Sids, elements of each policy type, operators', async () => {
    const document = {
      Version: '2008-10-17',
      Statement: [
        { Sid: 'A', Effect: 'allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::b' },
        { Sid: 'A', Effect: 'Allow', Action: 's3:ListBucket', Principal: '*', Resource: 'arn:aws:s3:::b' },
        {
          Sid: 'B',
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Resource: 'arn:aws:s3:::b',
          Condition: { StringEqual: { 's3:prefix': 'a' } },
        },
        { Sid: 'C', Effect: 'Allow', Action: 's3:ListBucket' },
      ],
    };
    expect(issues(await validatePolicy(document))).toEqual([
      'INVALID_VERSION',
      'UNIQUE_SIDS_REQUIRED',
      'INVALID_EFFECT',
      'UNSUPPORTED_ELEMENT',
      'INVALID_CONDITION_OPERATOR',
      'MISSING_RESOURCE',
    ]);
    const trustWithResource = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] };
    expect(issues(await validatePolicy(trustWithResource, { type: 'trust' }))).toEqual(['MISSING_PRINCIPAL', 'UNSUPPORTED_ELEMENT']);
  });
});
