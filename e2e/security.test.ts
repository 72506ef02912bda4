// Least privilege, end to end: access presets, prefixes, the external ID, foreign KMS keys, and
// what the log may show (assumed credentials never; the account ID not, when asked).

import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createBucket, createKey, readPolicy, readRole } from '../test-support/aws-fixtures.mjs';
import { policyArn, roleArn, type Stack, startStack } from './stack.js';

let stack: Stack;
let keyArn: string;

beforeAll(async () => {
  stack = await startStack();
  keyArn = await createKey(stack.motoEndpoint, 'secure');
  await createBucket(stack.motoEndpoint, 'secure-data', { key: 'alias/secure' });
  await createBucket(stack.motoEndpoint, 'shared-lake');
});

afterAll(async () => {
  await stack?.stop();
});

type Stmt = { Sid: string; Action: string | string[]; Resource: string | string[]; Condition?: unknown };
const statementsOf = async (name: string): Promise<Stmt[]> => (await readPolicy(stack.motoEndpoint, policyArn(name))).document.Statement;
const allActions = (stmts: Stmt[]) => [...new Set(stmts.flatMap((s) => [s.Action].flat()))].sort();

describe('access presets', () => {
  it('read-only grants listing and reading objects, and only Decrypt and DescribeKey on keys', async () => {
    const result = await stack.run({ buckets: 'secure-data', 'role-name': 'reader', access: 'read-only' });
    expect(result.errors).toEqual([]);
    expect(allActions(await statementsOf('reader-s3'))).toEqual([
      'kms:Decrypt',
      'kms:DescribeKey',
      's3:GetBucketLocation',
      's3:GetObject',
      's3:GetObjectVersion',
      's3:ListBucket',
    ]);
  });

  it("read-write grants the seed's actions and the multipart clean-up s3:*Object* does not match", async () => {
    const result = await stack.run({ buckets: 'secure-data', 'role-name': 'writer' });
    expect(result.errors).toEqual([]);
    expect(allActions(await statementsOf('writer-s3'))).toEqual([
      'kms:Decrypt',
      'kms:DescribeKey',
      'kms:Encrypt',
      'kms:GenerateDataKey*',
      'kms:ReEncrypt*',
      's3:*Object*',
      's3:AbortMultipartUpload',
      's3:GetBucketLocation',
      's3:ListBucket',
      's3:ListMultipartUploadParts',
    ]);
  });

  it('narrows an existing role from read-write to read-only in place', async () => {
    const result = await stack.run({ buckets: 'secure-data', 'role-name': 'writer', access: 'read-only' });
    expect(JSON.parse(result.outputs.plan).map((c: { action: string }) => c.action)).toEqual(['update-policy']);
    expect(allActions(await statementsOf('writer-s3'))).not.toContain('s3:*Object*');
    expect(result.summary).toContain('**removed** 6 actions');
  });
});

describe('prefixes', () => {
  it('limits objects and listing to the prefixes, merging several of one bucket', async () => {
    const result = await stack.run({
      buckets: 's3://shared-lake/team-a\nshared-lake/team-b/raw\nshared-lake/team-a/sub',
      'role-name': 'prefixed',
      'detect-kms': 'false',
    });
    expect(result.errors).toEqual([]);
    const stmts = await statementsOf('prefixed-s3');
    expect(stmts.find((s) => s.Sid === 'DeepLakePrefixObjects')?.Resource).toEqual([
      'arn:aws:s3:::shared-lake/team-a/*',
      'arn:aws:s3:::shared-lake/team-b/raw/*',
    ]);
    expect(stmts.find((s) => s.Sid === 'DeepLakeListPrefixes1')).toMatchObject({
      Action: 's3:ListBucket',
      Resource: 'arn:aws:s3:::shared-lake',
      Condition: { StringLike: { 's3:prefix': ['team-a', 'team-a/*', 'team-b/raw', 'team-b/raw/*'] } },
    });
    // Nothing grants the whole bucket's objects.
    expect(JSON.stringify(stmts)).not.toContain('"arn:aws:s3:::shared-lake/*"');
  });
});

describe('external ID', () => {
  it('requires sts:ExternalId in the trust policy and tells the user to paste it', async () => {
    const result = await stack.run({ buckets: 'shared-lake', 'role-name': 'with-external-id', 'external-id': 'activeloop-org-42:abc' });
    expect(result.errors).toEqual([]);
    const role = await readRole(stack.motoEndpoint, 'with-external-id');
    expect(role.trust.Statement[0].Condition).toEqual({ StringEquals: { 'sts:ExternalId': 'activeloop-org-42:abc' } });
    expect(result.summary).toContain('- External ID: `activeloop-org-42:abc`');
  });
});

describe('KMS keys', () => {
  it('grants a key of another account with a warning about its key policy', async () => {
    const foreign = 'arn:aws:kms:eu-west-1:999988887777:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const result = await stack.run({ buckets: 'secure-data', 'role-name': 'cross-account', 'kms-key-arns': foreign });
    expect(result.errors).toEqual([]);
    expect(JSON.parse(result.outputs['kms-key-arns'])).toEqual([keyArn, foreign].sort());
    expect(result.warnings.join('\n')).toContain(`KMS key ${foreign} belongs to another account: its key policy must also allow the role`);
  });
});

describe('what the log shows', () => {
  let tokenServer: Server;
  let tokenUrl: string;

  beforeAll(async () => {
    tokenServer = createServer((_, res) => res.end(JSON.stringify({ value: 'eyJhbGciOi.payload.signature-of-the-id-token' })));
    await new Promise<void>((resolve) => tokenServer.listen(0, '127.0.0.1', resolve));
    tokenUrl = `http://127.0.0.1:${(tokenServer.address() as { port: number }).port}/token`;
  });

  afterAll(() => {
    tokenServer.close();
  });

  it('never prints the assumed credentials or the ID token, even with debug logging on', async () => {
    const result = await stack.run(
      { buckets: 'shared-lake', 'role-name': 'masked-creds', 'role-to-assume': 'arn:aws:iam::123456789012:role/deployer' },
      {
        env: {
          ACTIONS_ID_TOKEN_REQUEST_URL: tokenUrl,
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runtime-token',
          ACTIONS_STEP_DEBUG: 'true',
          RUNNER_DEBUG: '1',
        },
      },
    );
    expect(result.errors).toEqual([]);
    const masked = result.stdout
      .split('\n')
      .filter((l) => l.startsWith('::add-mask::'))
      .map((l) => l.slice('::add-mask::'.length));
    const secrets = [...new Set(masked.filter((m) => m !== 'testing'))];
    // The ID token, the access key ID, the secret key and the session token.
    expect(secrets).toHaveLength(4);
    expect(secrets).toContain('eyJhbGciOi.payload.signature-of-the-id-token');
    const logged = result.stdout
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::'))
      .join('\n');
    for (const secret of secrets) {
      expect(logged).not.toContain(secret);
      expect(result.stderr).not.toContain(secret);
      expect(result.summary).not.toContain(secret);
    }
  });

  it('hides the account ID in the log and summary with mask-account-id, and keeps it in the outputs', async () => {
    const result = await stack.run({ buckets: 'shared-lake', 'role-name': 'masked-account', 'mask-account-id': 'true' });
    expect(result.errors).toEqual([]);
    expect(result.stdout).not.toContain('123456789012');
    expect(result.summary).not.toContain('123456789012');
    expect(result.summary).toContain('arn:aws:iam::************:role/masked-account');
    expect(result.outputs['role-arn']).toBe(roleArn('masked-account'));
  });
});
