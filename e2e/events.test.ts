// mode: auto, driven by the workflow's event the way the runner gives it (GITHUB_EVENT_NAME and the event
// payload), against moto and the GitHub stand-in: one workflow file, one copy of the configuration.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createBucket, readRole } from '../test-support/aws-fixtures.mjs';
import { startGitHubApi } from '../test-support/github-api.mjs';
import { roleArn, type Stack, startStack } from './stack.js';

let stack: Stack;
let github: Awaited<ReturnType<typeof startGitHubApi>>;
const ROLE = 'activeloop-events';
// The settings of the one workflow file: every event runs the step with these.
const SETTINGS = { buckets: 'events-data', 'role-name': ROLE, 'external-id': 'ext-123', tags: 'team=ml', mode: 'auto' };

beforeAll(async () => {
  stack = await startStack();
  github = await startGitHubApi();
  for (const b of ['events-data', 'events-more']) await createBucket(stack.motoEndpoint, b);
});

afterAll(async () => {
  await github?.stop();
  await stack?.stop();
});

// The runner keeps the hyphen in INPUT_GITHUB-TOKEN.
const on = (eventName: string, event: unknown = {}) => ({
  eventName,
  event,
  env: { GITHUB_API_URL: github.url, 'INPUT_GITHUB-TOKEN': 'ghs_test_token' },
});
const pullRequest = (number: number) =>
  on('pull_request', {
    pull_request: { number, head: { ref: 'feature' } },
    repository: { name: 'data-platform', owner: { login: 'octo-org' } },
  });
const marker = `<!-- activeloop-role-action:role=${ROLE} -->`;
const sticky = (number: number) => github.comments(number).filter((c) => c.body.includes(marker));

describe('mode: auto by event', () => {
  it('pull_request: plans and comments, writes nothing, and the log says why', async () => {
    stack.proxy.clear();
    const result = await stack.run(SETTINGS, pullRequest(21));
    expect(result.errors).toEqual([]);
    expect(result.stdout).toContain('mode: auto picked plan: the event is pull_request');
    expect(stack.proxy.mutating()).toEqual([]);
    expect(result.outputs.changed).toBe('true');
    expect(sticky(21)).toHaveLength(1);
    expect(sticky(21)[0].body).toContain('📝 Plan');
    expect(await readRole(stack.motoEndpoint, ROLE)).toBeUndefined();
  });

  it('push: applies the merged configuration', async () => {
    const result = await stack.run(SETTINGS, on('push', { ref: 'refs/heads/main' }));
    expect(result.errors).toEqual([]);
    expect(result.stdout).toContain('mode: auto picked apply: the event is push');
    expect(result.outputs['role-arn']).toBe(roleArn(ROLE));
    const role = await readRole(stack.motoEndpoint, ROLE);
    expect(role?.trust.Statement[0].Condition).toEqual({ StringEquals: { 'sts:ExternalId': 'ext-123' } });
  });

  it('pull_request that changes a setting: a plan of exactly that change, as an input change', async () => {
    const result = await stack.run({ ...SETTINGS, buckets: 'events-data\nevents-more' }, pullRequest(22));
    expect(result.errors).toEqual([]);
    expect(JSON.parse(result.outputs.plan)).toEqual([
      expect.objectContaining({ action: 'update-policy', reason: 'the bucket list or KMS keys changed', drift: false }),
    ]);
    expect(sticky(22)[0].body).toContain('**added** 1 bucket: `events-more`');
  });

  it('schedule: reconciles (applies), in sync when nothing changed', async () => {
    stack.proxy.clear();
    const result = await stack.run(SETTINGS, on('schedule', { schedule: '17 6 * * *' }));
    expect(result.errors).toEqual([]);
    expect(result.stdout).toContain('mode: auto picked apply: the event is schedule');
    expect(result.outputs.changed).toBe('false');
    expect(stack.proxy.mutating()).toEqual([]);
  });

  it('workflow_dispatch: follows its own mode input (plan-destroy previews offboarding), apply without one', async () => {
    stack.proxy.clear();
    const preview = await stack.run(SETTINGS, on('workflow_dispatch', { inputs: { mode: 'plan-destroy' } }));
    expect(preview.errors).toEqual([]);
    expect(preview.stdout).toContain(
      'mode: auto picked plan-destroy: the event is workflow_dispatch with its mode input set to plan-destroy',
    );
    expect(stack.proxy.mutating()).toEqual([]);
    expect(JSON.parse(preview.outputs.plan).map((c: { action: string }) => c.action)).toContain('delete-role');

    const apply = await stack.run(SETTINGS, on('workflow_dispatch', { inputs: {} }));
    expect(apply.errors).toEqual([]);
    expect(apply.stdout).toContain('mode: auto picked apply: the event is workflow_dispatch without a mode input');
  });

  it('any other event fails naming mode, before any AWS call', async () => {
    stack.proxy.clear();
    const result = await stack.run(SETTINGS, on('issues', { action: 'opened' }));
    expect(result.code).toBe(1);
    expect(result.errors).toEqual([
      expect.stringMatching(/^::error::Input 'mode': auto picks the mode by the workflow's event.* not issues; set mode to/),
    ]);
    expect(stack.proxy.calls).toEqual([]);
  });
});

describe('a failing PR check still reports', () => {
  it('a mistyped bucket: the sticky comment and the summary say the check failed and name NoSuchBucket, not KMS', async () => {
    const green = await stack.run(SETTINGS, pullRequest(23));
    expect(green.errors).toEqual([]);
    expect(sticky(23)[0].body).toContain('✅ In sync');
    const id = sticky(23)[0].id;

    const red = await stack.run({ ...SETTINGS, buckets: 'events-data\nevents-dta' }, pullRequest(23));
    expect(red.code).toBe(1);
    expect(red.errors[0]).toContain("Input 'buckets': 1 bucket(s) could not be read");
    expect(red.errors[0]).toContain('events-dta: the bucket does not exist (NoSuchBucket)');
    expect(red.errors[0]).not.toContain('KMS');
    expect(red.summary).toContain('❌ The check failed');
    expect(red.summary).toContain('NoSuchBucket');
    expect(sticky(23)).toHaveLength(1);
    expect(sticky(23)[0].id).toBe(id);
    expect(sticky(23)[0].body).toContain('❌ The check failed');
    expect(sticky(23)[0].body).not.toContain('✅ In sync');
  });

  it('a bad input on a PR: the comment says so too', async () => {
    const result = await stack.run({ ...SETTINGS, 'max-session-duration': '60' }, pullRequest(24));
    expect(result.code).toBe(1);
    expect(sticky(24)[0].body).toContain('❌ The check failed before a plan was made; nothing was changed.');
    expect(sticky(24)[0].body).toContain("Input 'max-session-duration'");
  });
});
