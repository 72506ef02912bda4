// Plan mode as a pull-request check: reads only, reports the exact diff, keeps one comment per role.

import { CreatePolicyVersionCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { commentMarker } from '../src/pr-comment.js';
import { clients, createBucket, readPolicy, readRole } from '../test-support/aws-fixtures.mjs';
import { startGitHubApi } from '../test-support/github-api.mjs';
import { policyArn, roleArn, type Stack, startStack } from './stack.js';

let stack: Stack;
let github: Awaited<ReturnType<typeof startGitHubApi>>;

beforeAll(async () => {
  stack = await startStack();
  github = await startGitHubApi();
  for (const b of ['team-a-data', 'team-b-data', 'shared-models']) await createBucket(stack.motoEndpoint, b);
});

afterAll(async () => {
  await github?.stop();
  await stack?.stop();
});

const pullRequest = (number: number) => ({
  eventName: 'pull_request',
  event: { pull_request: { number, head: { ref: 'feature' } }, repository: { name: 'data-platform', owner: { login: 'octo-org' } } },
  // The runner keeps the hyphen in INPUT_GITHUB-TOKEN.
  env: { GITHUB_API_URL: github.url, 'INPUT_GITHUB-TOKEN': 'ghs_test_token' },
});

describe('plan on an empty account', () => {
  it('lists every change, outputs the future role ARN, writes nothing', async () => {
    stack.proxy.clear();
    const result = await stack.run({ buckets: 'team-a-data', mode: 'plan' });
    expect(result.errors).toEqual([]);
    expect(result.outputs.changed).toBe('true');
    expect(result.outputs['role-arn']).toBe(roleArn());
    expect(JSON.parse(result.outputs.plan)).toEqual([
      { action: 'create-policy', resource: policyArn(), reason: 'the permissions policy does not exist', drift: false },
      { action: 'create-role', resource: roleArn(), reason: 'the role does not exist', drift: false },
      { action: 'attach-policy', resource: policyArn(), reason: 'the new role needs it', drift: false },
      { action: 'tag-policy', resource: policyArn(), reason: 'records that the policy is attached', drift: false },
      { action: 'tag-role', resource: roleArn(), reason: 'records that the policies are attached', drift: false },
    ]);
    expect(stack.proxy.mutating()).toEqual([]);
    expect(await readRole(stack.motoEndpoint, 'activeloop-deeplake-access')).toBeUndefined();
    expect(result.summary).toContain('📝 Plan: 5 changes');
    expect(result.summary).toContain('Nothing was changed');
    expect(result.summary).toContain('**added** 1 bucket: `team-a-data`');
  });
});

describe('plan after a hand edit in the console', () => {
  it('reports the edits as drift with the difference, and fail-on-drift fails the step', async () => {
    expect((await stack.run({ buckets: 'team-a-data' })).code).toBe(0);
    const { iam } = clients(stack.motoEndpoint);
    // Someone widens the policy and the trust policy by hand.
    await iam.send(
      new CreatePolicyVersionCommand({
        PolicyArn: policyArn(),
        SetAsDefault: true,
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: ['s3:ListBucket', 's3:GetBucketLocation', 's3:*Object*'],
              Resource: ['arn:aws:s3:::team-a-data', 'arn:aws:s3:::team-a-data/*'],
            },
            { Effect: 'Allow', Action: 's3:*', Resource: ['arn:aws:s3:::team-b-data', 'arn:aws:s3:::team-b-data/*'] },
          ],
        }),
      }),
    );
    await iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: 'activeloop-deeplake-access',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: ['arn:aws:iam::597713067985:role/activeloop_backend', 'arn:aws:iam::111122223333:root'] },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
      }),
    );

    stack.proxy.clear();
    const result = await stack.run({ buckets: 'team-a-data', mode: 'plan', 'fail-on-drift': 'true' });
    expect(stack.proxy.mutating()).toEqual([]);
    expect(result.code).toBe(1);
    expect(result.errors).toEqual([
      expect.stringContaining(
        'fail-on-drift: the role activeloop-deeplake-access has drifted (changed outside this action): 2 change(s) would put it back',
      ),
    ]);
    expect(JSON.parse(result.outputs.plan)).toEqual([
      {
        action: 'update-policy',
        resource: policyArn(),
        reason: 'the policy was changed outside this action (default version v2)',
        drift: true,
      },
      { action: 'update-trust-policy', resource: roleArn(), reason: 'the trust policy was changed outside this action', drift: true },
    ]);
    expect(result.summary).toContain('(2 to repair drift)');
    expect(result.summary).toContain('**removed** 1 bucket: `team-b-data`');
    expect(result.summary).toContain('**removed** 1 action: `s3:*`');
    expect(result.summary).toContain('**removed** 1 principal: `arn:aws:iam::111122223333:root`');
    expect(result.summary).toMatch(/^- +"arn:aws:iam::111122223333:root"/m);

    // Apply puts it back; the plan is then empty.
    expect((await stack.run({ buckets: 'team-a-data' })).code).toBe(0);
    const after = await stack.run({ buckets: 'team-a-data', mode: 'plan', 'fail-on-drift': 'true' });
    expect(after.code).toBe(0);
    expect(after.outputs.changed).toBe('false');
    expect(JSON.stringify((await readPolicy(stack.motoEndpoint, policyArn())).document)).not.toContain('team-b-data');
  });
});

describe('sticky PR comment', () => {
  it('keeps one comment per role, found past the first page, updated in place', async () => {
    for (let i = 0; i < 120; i++) github.seed(7, `review comment ${i}`);
    const first = await stack.run({ buckets: 'team-a-data\nteam-b-data', mode: 'plan' }, pullRequest(7));
    expect(first.errors).toEqual([]);
    const mine = () => github.comments(7).filter((c) => c.body.includes('activeloop-role-action:role='));
    expect(mine()).toHaveLength(1);
    expect(mine()[0].body).toContain(`${commentMarker('activeloop-deeplake-access', roleArn())}\n`);
    expect(mine()[0].body).toContain('**added** 1 bucket: `team-b-data`');
    const id = mine()[0].id;

    // The same plan again: found on page 2, not duplicated, not rewritten.
    github.state.requests.length = 0;
    await stack.run({ buckets: 'team-a-data\nteam-b-data', mode: 'plan' }, pullRequest(7));
    expect(mine()).toHaveLength(1);
    expect(github.state.requests.filter((r) => r.startsWith('GET')).length).toBeGreaterThanOrEqual(2);
    expect(github.state.requests.some((r) => r.startsWith('POST') || r.startsWith('PATCH'))).toBe(false);

    // A new plan updates the same comment.
    await stack.run({ buckets: 'team-a-data\nshared-models', mode: 'plan' }, pullRequest(7));
    expect(mine()).toHaveLength(1);
    expect(mine()[0].id).toBe(id);
    expect(mine()[0].body).toContain('`shared-models`');
    expect(mine()[0].body).not.toContain('`team-b-data`');

    // A second role gets its own comment.
    await stack.run({ buckets: 'shared-models', mode: 'plan', 'role-name': 'activeloop-readonly', access: 'read-only' }, pullRequest(7));
    expect(mine()).toHaveLength(2);
    expect(mine()[1].body).toContain(`${commentMarker('activeloop-readonly', roleArn('activeloop-readonly'))}\n`);
    expect(github.comments(7)).toHaveLength(122);
  });

  it('caps a huge plan below the comment size limit', async () => {
    const buckets = Array.from({ length: 400 }, (_, i) => `bucket-with-a-long-name-number-${i}`).join('\n');
    const result = await stack.run({ buckets, mode: 'plan', 'role-name': 'huge-role', 'detect-kms': 'false' }, pullRequest(8));
    expect(result.errors).toEqual([]);
    const [comment] = github.comments(8);
    expect(result.summary.length).toBeGreaterThan(65_536);
    expect(comment.body.length).toBeLessThan(65_536);
    expect(comment.body).toContain('the job summary has the full plan');
  });

  it('warns but does not fail when the token cannot write (a fork)', async () => {
    github.state.readOnly = true;
    try {
      const result = await stack.run({ buckets: 'team-a-data\nshared-models', mode: 'plan' }, pullRequest(9));
      expect(result.code).toBe(0);
      expect(result.warnings.join('\n')).toContain('Could not comment on PR #9 (HTTP 403)');
      expect(result.summary).toContain('📝 Plan');
    } finally {
      github.state.readOnly = false;
    }
  });

  it('does not comment outside pull-request events, nor with pr-comment: false', async () => {
    github.state.requests.length = 0;
    await stack.run({ buckets: 'team-a-data\nshared-models', mode: 'plan' }, { ...pullRequest(10), eventName: 'push' });
    await stack.run({ buckets: 'team-a-data\nshared-models', mode: 'plan', 'pr-comment': 'false' }, pullRequest(10));
    expect(github.state.requests).toEqual([]);
  });
});
