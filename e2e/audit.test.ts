// Audit trail, account guard, and wiring that only a run of the bundled action shows.

import { CreatePolicyVersionCommand, UntagPolicyCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { clients, createBucket, readPolicy } from '../test-support/aws-fixtures.mjs';
import { ACCOUNT, policyArn, type Stack, startStack } from './stack.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
  await createBucket(stack.motoEndpoint, 'audit-lake');
  await createBucket(stack.motoEndpoint, 'second-lake');
});

afterAll(async () => {
  await stack?.stop();
});

describe('user agent (spec behaviour 11)', () => {
  it('names the action, its version, the repository and the run on every AWS request', async () => {
    stack.proxy.clear();
    const result = await stack.run(
      { buckets: 'audit-lake', 'role-name': 'audited' },
      { env: { GITHUB_REPOSITORY: 'octo-org/data-platform', GITHUB_RUN_ID: '987654', GITHUB_RUN_ATTEMPT: '2' } },
    );
    expect(result.code).toBe(0);
    const version = JSON.parse((await import('node:fs')).readFileSync('package.json', 'utf8')).version;
    expect(stack.proxy.calls.length).toBeGreaterThan(5);
    for (const call of stack.proxy.calls) {
      expect(call.userAgent).toContain(`activeloop-role-action/${version}`);
      expect(call.userAgent).toContain('md/repo#octo-org#data-platform');
      expect(call.userAgent).toContain('md/run#987654#2');
    }
    // The writes CloudTrail records carry it too.
    expect(stack.proxy.calls.filter((c) => c.mutating).length).toBeGreaterThan(0);
  });
});

describe('allowed-account-ids', () => {
  it('fails in another account right after the caller identity, naming both, with 0 writes', async () => {
    stack.proxy.clear();
    const result = await stack.run({ buckets: 'audit-lake', 'role-name': 'guarded', 'allowed-account-ids': '111111111111, 222222222222' });
    expect(result.code).not.toBe(0);
    expect(result.errors).toEqual([
      expect.stringContaining(`account ${ACCOUNT}, which is not in allowed-account-ids (111111111111, 222222222222)`),
    ]);
    expect(stack.proxy.mutating()).toEqual([]);
    expect(result.stdout + result.stderr).not.toMatch(/\n\s+at /);
  });

  it('runs in a listed account', async () => {
    const result = await stack.run({ buckets: 'audit-lake', 'role-name': 'guarded', 'allowed-account-ids': `111111111111\n${ACCOUNT}` });
    expect(result.code).toBe(0);
    expect(result.outputs.changed).toBe('true');
  });

  it('refuses a malformed account ID before any AWS call', async () => {
    stack.proxy.clear();
    const result = await stack.run({ buckets: 'audit-lake', 'allowed-account-ids': '12345' });
    expect(result.errors).toEqual([expect.stringContaining("Input 'allowed-account-ids'")]);
    expect(stack.proxy.calls).toEqual([]);
  });
});

describe('masking', () => {
  it('masks ambient credentials that differ from the harness defaults', async () => {
    const env = {
      AWS_ACCESS_KEY_ID: 'AKIAAMBIENTEXAMPLE01',
      AWS_SECRET_ACCESS_KEY: 'ambient/secret+value',
      AWS_SESSION_TOKEN: 'ambient-session',
    };
    const result = await stack.run({ buckets: 'audit-lake', 'role-name': 'guarded', mode: 'plan' }, { env });
    expect(result.code).toBe(0);
    const masked = result.stdout.split('\n').filter((l) => l.startsWith('::add-mask::'));
    for (const value of Object.values(env)) expect(masked).toContain(`::add-mask::${value}`);
  });
});

describe('plan mode with a pending tag write', () => {
  it('reports the tag-policy change and writes nothing', async () => {
    await stack.run({ buckets: 'audit-lake', 'role-name': 'tagged' });
    const { iam } = clients(stack.motoEndpoint);
    await iam.send(new UntagPolicyCommand({ PolicyArn: policyArn('tagged-s3'), TagKeys: ['managed-by'] }));
    stack.proxy.clear();
    const result = await stack.run({ buckets: 'audit-lake', 'role-name': 'tagged', mode: 'plan' });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.outputs.plan).map((c: { action: string }) => c.action)).toEqual(['tag-policy']);
    expect(stack.proxy.mutating()).toEqual([]);
    expect((await readPolicy(stack.motoEndpoint, policyArn('tagged-s3'))).tags['managed-by']).toBeUndefined();
  });
});

describe('documents IAM holds in another form', () => {
  it('are in sync when they mean the same: no change, no write', async () => {
    await stack.run({ buckets: 'audit-lake\nsecond-lake', 'role-name': 'reformatted' });
    const arn = policyArn('reformatted-s3');
    const live = (await readPolicy(stack.motoEndpoint, arn)).document;
    // The same grants, written as a person might: statements reversed, lists reversed, an action in other case, a Sid changed.
    const rewritten = {
      Version: live.Version,
      Statement: [...live.Statement].reverse().map((s: { Action: string[]; Resource: string[] }, i: number) => ({
        ...s,
        Sid: `Edited${i}`,
        Action: [...s.Action].reverse().map((a, j) => (j === 0 ? a.toUpperCase().replace('S3:', 's3:') : a)),
        Resource: [...s.Resource].reverse(),
      })),
    };
    const { iam } = clients(stack.motoEndpoint);
    await iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: JSON.stringify(rewritten), SetAsDefault: true }));
    // The trust policy with the principal as a one-element list.
    await iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: 'reformatted',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { AWS: ['arn:aws:iam::597713067985:role/activeloop_backend'] }, Action: ['sts:AssumeRole'] },
          ],
        }),
      }),
    );
    stack.proxy.clear();
    const result = await stack.run({ buckets: 'second-lake\naudit-lake', 'role-name': 'reformatted', 'fail-on-drift': 'true' });
    expect(result.code).toBe(0);
    expect(result.outputs.changed).toBe('false');
    expect(stack.proxy.mutating()).toEqual([]);
  });
});

describe('debug logs', () => {
  it('print stack traces that point into src/*.ts (dist/index.js.map, read only then)', async () => {
    stack.proxy.clear();
    stack.proxy.rules.push({
      name: 'a refused call',
      docs: 'none: a fault to produce a stack trace',
      match: (c) => c.operation === 'sts:GetCallerIdentity',
      respond: () => ({
        status: 400,
        type: 'text/xml',
        body: '<ErrorResponse><Error><Code>ValidationError</Code><Message>boom</Message></Error></ErrorResponse>',
      }),
    });
    const result = await stack.run(
      { buckets: 'audit-lake', 'role-name': 'debugged', mode: 'plan' },
      { env: { RUNNER_DEBUG: '1' }, timeoutMs: 90_000 },
    );
    expect(result.code).toBe(1);
    const debug = result.stdout.split('\n').filter((l) => l.startsWith('::debug::'));
    expect(debug.join('\n')).toMatch(/src\/(errors|main)\.ts:\d+:\d+/);
    expect(debug.join('\n')).not.toMatch(/dist\/index\.js:\d+/);
  });
});
