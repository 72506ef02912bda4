// The core job end to end: the bundled action against moto, as a runner would run it.

import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createBucket, createKey, readPolicy, readRole } from '../test-support/aws-fixtures.mjs';
import { webIdentityRefused } from '../test-support/aws-rules.mjs';
import { node24Path } from '../test-support/run-action.mjs';
import { policyArn, roleArn, type Stack, startStack } from './stack.js';

let stack: Stack;
let aliasKey: string;
let dsseKey: string;
const BUCKETS = 'sse-s3-bucket\nsse-kms-alias-bucket\ns3://dsse-kms-bucket/deeplake\narn:aws:s3:::unencrypted-bucket';

beforeAll(async () => {
  stack = await startStack();
  aliasKey = await createKey(stack.motoEndpoint, 'datasets');
  dsseKey = await createKey(stack.motoEndpoint);
  await createBucket(stack.motoEndpoint, 'sse-s3-bucket', 'AES256');
  await createBucket(stack.motoEndpoint, 'sse-kms-alias-bucket', { key: 'alias/datasets' });
  await createBucket(stack.motoEndpoint, 'dsse-kms-bucket', { algorithm: 'aws:kms:dsse', key: dsseKey });
  await createBucket(stack.motoEndpoint, 'unencrypted-bucket');
});

afterAll(async () => {
  await stack?.stop();
});

function statementsOf(doc: { Statement: unknown }): { Sid?: string; Action: string | string[]; Resource: string | string[] }[] {
  return doc.Statement as never;
}

/**
 * A stand-in for the runner's ID-token endpoint that hands out a GitHub-shaped token with these claims (the
 * signature is made up): the token, the port, and close().
 */
async function serveToken(claims: Record<string, string>): Promise<{ token: string; port: number; close: () => void }> {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const token = `${part({ typ: 'JWT', alg: 'RS256', kid: 'example' })}.${part(claims)}.c2lnbmF0dXJl`;
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ value: token }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { token, port: (server.address() as { port: number }).port, close: () => server.close() };
}

/**
 * Runs the action with a runner token of these claims against an STS that refuses every web-identity sign-in
 * (the realism rule), and returns the run and the token.
 */
async function refusedSignIn(
  claims: Record<string, string>,
  inputs: Record<string, string>,
  options: Omit<NonNullable<Parameters<Stack['run']>[1]>, 'env'> = {},
) {
  const { token, port, close } = await serveToken(claims);
  try {
    stack.proxy.clear();
    stack.proxy.rules.push(webIdentityRefused());
    const env = {
      ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${port}/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runtime-token',
    };
    return { result: await stack.run(inputs, { ...options, env }), token };
  } finally {
    close();
  }
}

describe('provisioning on a fresh account', () => {
  it('creates a KMS-aware role and policy, outputs the ARNs and writes the summary', async () => {
    stack.proxy.clear();
    const result = await stack.run({ buckets: BUCKETS });
    expect(result.errors).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.outputs['role-arn']).toBe(roleArn());
    expect(result.outputs['policy-arn']).toBe(policyArn());
    expect(JSON.parse(result.outputs['policy-arns'])).toEqual([policyArn()]);
    expect(result.outputs.changed).toBe('true');
    expect(JSON.parse(result.outputs['kms-key-arns']).sort()).toEqual([aliasKey, dsseKey].sort());

    const role = await readRole(stack.motoEndpoint, 'activeloop-deeplake-access');
    expect(role.trust.Statement[0].Principal.AWS).toBe('arn:aws:iam::597713067985:role/activeloop_backend');
    expect(role.tags['managed-by']).toBe('activeloop-role-action');
    expect(role.attached).toEqual([policyArn()]);

    const policy = await readPolicy(stack.motoEndpoint, policyArn());
    const stmts = statementsOf(policy.document);
    const kms = stmts.find((s) => s.Sid === 'DeepLakeKmsKeys');
    expect([...kms!.Resource].sort()).toEqual([aliasKey, dsseKey].sort());
    const buckets = stmts.find((s) => s.Sid === 'DeepLakeBuckets');
    expect(buckets!.Resource).toEqual([
      'arn:aws:s3:::sse-kms-alias-bucket',
      'arn:aws:s3:::sse-kms-alias-bucket/*',
      'arn:aws:s3:::sse-s3-bucket',
      'arn:aws:s3:::sse-s3-bucket/*',
      'arn:aws:s3:::unencrypted-bucket',
      'arn:aws:s3:::unencrypted-bucket/*',
    ]);
    expect(stmts.find((s) => s.Sid === 'DeepLakePrefixObjects')!.Resource).toEqual(['arn:aws:s3:::dsse-kms-bucket/deeplake/*']);

    expect(result.summary).toContain(roleArn());
    expect(result.summary).toContain('Remaining manual step');
    expect(result.summary).toContain('wait about a minute before verifying the credentials in Activeloop');
    expect(result.summary).toMatch(/`dsse-kms-bucket` \| aws:kms:dsse \| `arn:aws:kms/);
    // Only IAM writes: the buckets and keys are never changed.
    expect(stack.proxy.mutating().every((op) => op.startsWith('iam:'))).toBe(true);
  });

  it('changes nothing on a second identical run: no mutating call at all', async () => {
    stack.proxy.clear();
    const result = await stack.run({ buckets: BUCKETS });
    expect(result.code).toBe(0);
    expect(result.outputs.changed).toBe('false');
    expect(JSON.parse(result.outputs.plan)).toEqual([]);
    expect(stack.proxy.calls.length).toBeGreaterThan(0);
    expect(stack.proxy.mutating()).toEqual([]);
    expect(result.summary).toContain('In sync');
    // One sentence in the log and the summary; Activeloop already has the ARN, so it is not asked for again.
    expect(result.stdout).toContain('In sync: the role activeloop-deeplake-access matches the inputs; nothing to change.');
    expect(result.summary).not.toMatch(/paste the role ARN/i);
    expect(result.summary).toContain('Nothing to do in Activeloop');
  });

  it('updates the policy in place when the bucket list changes', async () => {
    await createBucket(stack.motoEndpoint, 'added-bucket');
    stack.proxy.clear();
    const result = await stack.run({ buckets: `${BUCKETS}\nadded-bucket` });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.outputs.plan)).toEqual([
      { action: 'update-policy', resource: policyArn(), reason: 'the bucket list or KMS keys changed', drift: false },
    ]);
    expect(stack.proxy.mutating()).toEqual(['iam:CreatePolicyVersion', 'iam:TagPolicy']);
    const policy = await readPolicy(stack.motoEndpoint, policyArn());
    expect(policy.DefaultVersionId).toBe('v2');
    expect(JSON.stringify(policy.document)).toContain('arn:aws:s3:::added-bucket/*');
    expect(result.summary).toContain('**added** 1 bucket: `added-bucket`');
  });

  it('keeps at most five policy versions over many updates, never deleting the default', async () => {
    for (let i = 0; i < 6; i++) {
      const result = await stack.run({ buckets: `${BUCKETS}\nadded-bucket${i % 2 ? '' : '/only-this'}` });
      expect(result.errors).toEqual([]);
      const policy = await readPolicy(stack.motoEndpoint, policyArn());
      expect(policy.versions.length).toBeLessThanOrEqual(5);
      expect(policy.versions).toContain(policy.DefaultVersionId);
    }
    const policy = await readPolicy(stack.motoEndpoint, policyArn());
    expect(policy.versions).toHaveLength(5);
    expect(policy.DefaultVersionId).toBe('v8');
  });
});

describe('bad input', () => {
  it('fails with an annotation naming the input and value, makes no AWS call, prints no stack trace', async () => {
    stack.proxy.clear();
    const result = await stack.run({ buckets: 'good-bucket', 'max-session-duration': '99999' });
    expect(result.code).toBe(1);
    expect(result.errors).toEqual([
      `::error::Input 'max-session-duration': must be a whole number of seconds from 3600 to 43200 (got "99999")`,
    ]);
    expect(stack.proxy.calls).toEqual([]);
    expect(result.stdout + result.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
  });
});

describe('proxy variables', () => {
  it('sends every AWS call through HTTP_PROXY, unless NO_PROXY names the endpoint', async () => {
    // The counting proxy also serves as a forward proxy: the action talks to moto directly, via it.
    stack.proxy.clear();
    const proxied = await stack.run(
      { buckets: 'sse-s3-bucket', mode: 'plan' },
      { endpoint: stack.motoEndpoint, env: { HTTP_PROXY: stack.endpoint } },
    );
    expect(proxied.errors).toEqual([]);
    const operations = stack.proxy.calls.map((c) => c.operation);
    expect(operations).toEqual(expect.arrayContaining(['sts:GetCallerIdentity', 'iam:GetRole', 's3:GetBucketEncryption']));

    stack.proxy.clear();
    const direct = await stack.run(
      { buckets: 'sse-s3-bucket', mode: 'plan' },
      { endpoint: stack.motoEndpoint, env: { HTTP_PROXY: stack.endpoint, NO_PROXY: 'localhost,127.0.0.1' } },
    );
    expect(direct.errors).toEqual([]);
    expect(stack.proxy.calls).toEqual([]);
  });
});

describe('rejected credentials', () => {
  it('fail cleanly, without a stack trace, while bucket reads are still under way', async () => {
    // STS refuses the credentials at once; S3 answers slowly.
    const sts = createServer((_, res) => {
      res.writeHead(403, { 'content-type': 'text/xml' });
      res.end(
        '<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error><RequestId>1</RequestId></ErrorResponse>',
      );
    });
    await new Promise<void>((resolve) => sts.listen(0, '127.0.0.1', resolve));
    stack.proxy.options.latencyMs = 1500;
    try {
      const result = await stack.run(
        { buckets: 'sse-s3-bucket\nunencrypted-bucket' },
        { env: { AWS_ENDPOINT_URL_STS: `http://127.0.0.1:${(sts.address() as { port: number }).port}` } },
      );
      expect(result.code).toBe(1);
      expect(result.errors).toEqual([
        '::error::sts:GetCallerIdentity failed: the AWS credentials are invalid or expired (InvalidClientTokenId: The security token included in the request is invalid.).',
      ]);
      expect(result.stderr).not.toMatch(/triggerUncaughtException|\n\s+at /);
    } finally {
      stack.proxy.options.latencyMs = 0;
      sts.close();
    }
  });
});

describe('OIDC', () => {
  it("exchanges the runner's ID token for the role-to-assume and masks the credentials", async () => {
    // A stand-in for the runner's ID-token endpoint.
    const requests: string[] = [];
    const tokenServer = createServer((req, res) => {
      requests.push(`${req.headers.authorization} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ value: 'header.payload.signature' }));
    });
    await new Promise<void>((resolve) => tokenServer.listen(0, '127.0.0.1', resolve));
    const { port } = tokenServer.address() as { port: number };
    try {
      stack.proxy.clear();
      const result = await stack.run(
        {
          buckets: 'sse-s3-bucket',
          'role-name': 'oidc-role',
          'role-to-assume': 'arn:aws:iam::123456789012:role/github-deployer',
          audience: 'sts.amazonaws.com',
        },
        {
          env: {
            ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${port}/token?api-version=2.0`,
            ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runtime-token',
          },
        },
      );
      expect(result.errors).toEqual([]);
      expect(requests).toEqual(['Bearer runtime-token /token?api-version=2.0&audience=sts.amazonaws.com']);
      expect(stack.proxy.calls[0].operation).toBe('sts:AssumeRoleWithWebIdentity');
      const masks = result.stdout
        .split('\n')
        .filter((l) => l.startsWith('::add-mask::'))
        .map((l) => l.slice('::add-mask::'.length));
      expect(masks).toContain('header.payload.signature');
      expect(masks.some((m) => m.startsWith('ASIA') || m.startsWith('AKIA'))).toBe(true);
      expect(masks.length).toBeGreaterThanOrEqual(4);
      expect((await readRole(stack.motoEndpoint, 'oidc-role')).Arn).toBe(roleArn('oidc-role'));
    } finally {
      tokenServer.close();
    }
  });

  it("says why STS refused the sign-in: the token's trust claims and the GitHubRepository, never the token (spec behaviour 15)", async () => {
    // GitHub's token for a pull request of a repository whose sub carries its IDs (the signature is made up).
    const claims = {
      sub: 'repo:octo-org@4242/data-platform@90210:pull_request',
      aud: 'sts.amazonaws.com',
      iss: 'https://token.actions.githubusercontent.com',
      repository: 'octo-org/data-platform',
      repository_id: '90210',
      repository_owner_id: '4242',
      ref: 'refs/pull/7/merge',
      job_workflow_ref: 'octo-org/data-platform/.github/workflows/activeloop.yml@refs/pull/7/merge',
      event_name: 'pull_request',
      actor: 'octocat',
    };
    const { result, token } = await refusedSignIn(claims, {
      buckets: 'sse-s3-bucket',
      mode: 'plan',
      'role-to-assume': 'arn:aws:iam::123456789012:role/activeloop-role-action-deployer/activeloop-apply',
    });
    expect(result.code).toBe(1);
    expect(stack.proxy.calls.map((c) => c.operation)).toEqual(['sts:AssumeRoleWithWebIdentity']);
    expect(result.errors).toHaveLength(1);
    const [error] = result.errors;
    expect(error).toContain('Not authorized to perform sts:AssumeRoleWithWebIdentity');
    expect(error).toContain('sub=repo:octo-org@4242/data-platform@90210:pull_request, aud=sts.amazonaws.com');
    expect(error).toContain('repository_id=90210, repository_owner_id=4242, ref=refs/pull/7/merge, environment=(none)');
    expect(error).toContain('GitHubRepository=octo-org@4242/data-platform@90210');
    expect(error).toContain("a pull_request run signs in with the stack's plan role (activeloop-plan)");
    // The token is masked for the runner and shown nowhere else; claims the trust policy does not test are not shown.
    const lines = result.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::'));
    for (const piece of token.split('.')) expect(lines.join('\n')).not.toContain(piece);
    expect(result.stdout).not.toContain('octocat');
  });

  it("tells a workflow_dispatch off the default branch, with an earlier template's role, what to change: the roles, the account variable, the branch", async () => {
    // A dispatch on a feature branch (the event payload names the default branch), signing in with a role name the
    // earlier template generated, which the stack update removed.
    const claims = {
      sub: 'repo:octo-org/data-platform:ref:refs/heads/try-roles',
      aud: 'sts.amazonaws.com',
      iss: 'https://token.actions.githubusercontent.com',
      repository: 'octo-org/data-platform',
      repository_id: '90210',
      repository_owner_id: '4242',
      ref: 'refs/heads/try-roles',
      job_workflow_ref: 'octo-org/data-platform/.github/workflows/activeloop.yml@refs/heads/try-roles',
      event_name: 'workflow_dispatch',
    };
    const { result } = await refusedSignIn(
      claims,
      {
        buckets: 'sse-s3-bucket',
        mode: 'plan',
        'role-to-assume': 'arn:aws:iam::123456789012:role/activeloop-role-action-deployer/activeloop-deployer-ApplyRole-AbC123XyZ',
      },
      {
        eventName: 'workflow_dispatch',
        event: { ref: 'refs/heads/try-roles', repository: { full_name: 'octo-org/data-platform', default_branch: 'main' } },
      },
    );
    expect(result.code).toBe(1);
    expect(stack.proxy.calls.map((c) => c.operation)).toEqual(['sts:AssumeRoleWithWebIdentity']);
    const [error] = result.errors;
    expect(error).toContain('is a role name the earlier deployer template generated');
    expect(error).toContain('its roles are now <DeployerName>-plan and <DeployerName>-apply');
    expect(error).toContain(
      'role-to-assume is in account 123456789012: the role exists only if the deployer stack was deployed in that account',
    );
    expect(error).toContain('ACTIVELOOP_AWS_ACCOUNT_ID');
    expect(error).toContain('RepositoryVariableCommand');
    expect(error).toContain(
      'this run is on ref refs/heads/try-roles, not on main, so run it from the default branch, or open a pull request',
    );
    expect(error).not.toMatch(/DefaultBranch must be[^;]*try-roles/);
  });

  it('hints at id-token: write when the runner has no token endpoint', async () => {
    stack.proxy.clear();
    const result = await stack.run({ buckets: 'sse-s3-bucket', 'role-to-assume': 'arn:aws:iam::123456789012:role/github-deployer' });
    expect(result.code).toBe(1);
    expect(result.errors[0]).toContain('permissions: id-token: write');
    expect(stack.proxy.calls).toEqual([]);
  });
});

describe('on Node 24, the runtime action.yml declares', () => {
  it('plans, applies and re-plans with nothing to change', async () => {
    const node = node24Path();
    const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
    expect(version).toMatch(/^v24\./);
    const inputs = { buckets: 'sse-kms-alias-bucket\nunencrypted-bucket', 'role-name': 'on-node-24' };
    const plan = await stack.run({ ...inputs, mode: 'plan' }, { node });
    expect(plan.errors).toEqual([]);
    expect(plan.outputs.changed).toBe('true');
    const apply = await stack.run(inputs, { node });
    expect(apply.errors).toEqual([]);
    expect(JSON.parse(apply.outputs['kms-key-arns'])).toEqual([aliasKey]);
    const again = await stack.run(inputs, { node });
    expect(again.outputs.changed).toBe('false');
    expect((await readRole(stack.motoEndpoint, 'on-node-24')).attached).toEqual([policyArn('on-node-24-s3')]);
  });
});
