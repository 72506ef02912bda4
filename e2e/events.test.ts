// mode: auto, driven by the workflow's event the way the runner gives it (GITHUB_EVENT_NAME and the event
// payload), against moto and the GitHub stand-in: one workflow file, one copy of the configuration.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { commentMarker } from '../src/pr-comment.js';
import { createBucket, readRole } from '../test-support/aws-fixtures.mjs';
import { startGitHubApi } from '../test-support/github-api.mjs';
import { root } from '../test-support/run-action.mjs';
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
// Per role ARN; a run that failed before it knew the account writes the role name only.
const sticky = (number: number) =>
  github.comments(number).filter((c) => /^<!-- activeloop-role-action:role=activeloop-events[: ]/.test(c.body));

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

describe('one role name in two accounts (the multi-account matrix) on one PR', () => {
  const BOT = { login: 'github-actions[bot]', type: 'Bot' };
  const OTHER_ACCOUNT_ARN = `arn:aws:iam::210987654321:role/${ROLE}`;

  it("the other account's comment for the same role name is left as it is, and this account gets its own", async () => {
    // The matrix's other leg (another account) has commented on this PR already.
    const other = github.seed(41, `${commentMarker(ROLE, OTHER_ACCOUNT_ARN)}\nthe plan of account 210987654321`, BOT);
    const result = await stack.run(SETTINGS, pullRequest(41));
    expect(result.errors).toEqual([]);
    expect(other.body).toBe(`${commentMarker(ROLE, OTHER_ACCOUNT_ARN)}\nthe plan of account 210987654321`);
    expect(sticky(41)).toHaveLength(2);
    expect(sticky(41)[1].body).toContain(`${commentMarker(ROLE, roleArn(ROLE))}\n`);
    // The next push to the PR finds each account's own comment again.
    const again = await stack.run(SETTINGS, pullRequest(41));
    expect(again.stdout).toContain('PR comment unchanged on #41.');
    expect(sticky(41)).toHaveLength(2);
  });

  it('a comment written with the earlier marker (role name only) is taken over, not doubled', async () => {
    const old = github.seed(42, `<!-- activeloop-role-action:role=${ROLE} -->\nan earlier plan`, BOT);
    const result = await stack.run(SETTINGS, pullRequest(42));
    expect(result.errors).toEqual([]);
    expect(github.comments(42)).toHaveLength(1);
    expect(github.comments(42)[0].id).toBe(old.id);
    expect(github.comments(42)[0].body).toMatch(new RegExp(`^<!-- activeloop-role-action:role=${ROLE}:[0-9a-f]{8} -->`));
  });
});

describe("another bot's comment or issue that quotes the marker", () => {
  it('dependabot[bot] quoting the marker on a PR: its comment is left alone and the action writes its own', async () => {
    await stack.run(SETTINGS, pullRequest(43));
    const [own] = sticky(43);
    const quoted = github.seed(43, `Bumps a dependency.\n${own.body}`, { login: 'dependabot[bot]', type: 'Bot' });
    own.body = 'deleted by hand';
    const before = quoted.body;
    const result = await stack.run(SETTINGS, pullRequest(43));
    expect(result.errors).toEqual([]);
    expect(quoted.body).toBe(before);
    expect(sticky(43).filter((c) => c.user.login === 'github-actions[bot]')).toHaveLength(1);
  });
});

describe('a personal access token (GET /user answers its login)', () => {
  it("takes that login's comment for its own, and leaves github-actions[bot]'s alone", async () => {
    const pat = await startGitHubApi({ user: { login: 'octo-deployer', type: 'User' } });
    try {
      const withPat = { ...pullRequest(51), env: { GITHUB_API_URL: pat.url, 'INPUT_GITHUB-TOKEN': 'ghp_test_token' } };
      const workflowBots = pat.seed(51, `${commentMarker(ROLE, roleArn(ROLE))}\nwritten by the workflow token`, {
        login: 'github-actions[bot]',
        type: 'Bot',
      });
      expect((await stack.run(SETTINGS, withPat)).errors).toEqual([]);
      expect(workflowBots.body).toBe(`${commentMarker(ROLE, roleArn(ROLE))}\nwritten by the workflow token`);
      const own = pat.comments(51).filter((c) => c.user.login === 'octo-deployer');
      expect(own).toHaveLength(1);
      expect((await stack.run(SETTINGS, withPat)).stdout).toContain('PR comment unchanged on #51.');
      expect(pat.comments(51)).toHaveLength(2);
    } finally {
      await pat.stop();
    }
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

describe("the README's one workflow file, copied as it stands", () => {
  type Step = { uses?: string; with?: Record<string, string> };
  type Workflow = { env: Record<string, string>; jobs: Record<string, { if: string; steps: Step[] }> };
  // The boundary is not a variable: the action takes the deployer stack's from its role (e2e/bootstrap.test.ts).
  const baseVars = { ACTIVELOOP_EXTERNAL_ID: 'ext-wizard-1', ACTIVELOOP_AWS_ACCOUNT_ID: '123456789012' } as Record<string, string>;

  /**
   * The `with:` of the workflow's main step as the runner evaluates it: env and vars references resolved.
   * role-to-assume is left out: moto has no OIDC; the credentials are the ambient ones.
   */
  function stepInputs(text: string, vars: Record<string, string>): Record<string, string> {
    const workflow = parse(text) as Workflow;
    const step = workflow.jobs.activeloop.steps.find((s) => s.uses?.startsWith('org/activeloop-role-action@')) as Step;
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(step.with ?? {})) {
      if (key === 'role-to-assume') continue;
      out[key] = String(value).replace(/\$\{\{\s*(env|vars)\.(\w+)\s*\}\}/g, (_, scope, name) =>
        scope === 'env' ? (workflow.env[name] ?? '') : (vars[name] ?? ''),
      );
      if (out[key].includes('${{')) throw new Error(`unresolved expression in ${key}: ${out[key]}`);
    }
    return out;
  }
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const asWritten = /```yaml\n([\s\S]*?)```/.exec(readme.split('### One workflow file')[1])?.[1] ?? '';
  const ROLE_NAME = 'activeloop-deeplake-access';

  beforeAll(async () => {
    for (const b of ['ml-datasets', 'raw-images', 'feature-store']) await createBucket(stack.motoEndpoint, b);
  });

  it('gives a PR plan, applies on merge, and reconciles nightly without weakening the role or crying drift', async () => {
    const inputs = stepInputs(asWritten, baseVars);
    expect(inputs.mode).toBe('auto');
    expect(inputs['allowed-account-ids']).toBe('123456789012');
    expect(inputs['permissions-boundary']).toBeUndefined();

    stack.proxy.clear();
    const pr = await stack.run(inputs, pullRequest(31));
    expect(pr.errors).toEqual([]);
    expect(stack.proxy.mutating()).toEqual([]);
    expect(github.comments(31).filter((c) => c.body.includes(`role=${ROLE_NAME}:`))).toHaveLength(1);

    const merge = await stack.run(inputs, on('push'));
    expect(merge.errors).toEqual([]);
    const role = await readRole(stack.motoEndpoint, ROLE_NAME);
    expect(role?.trust.Statement[0].Condition).toEqual({ StringEquals: { 'sts:ExternalId': 'ext-wizard-1' } });
    expect(role?.tags).toMatchObject({ team: 'ml-platform', 'cost-center': '4711' });

    const nightly = await stack.run(inputs, on('schedule'));
    expect(nightly.errors).toEqual([]);
    expect(nightly.outputs.changed).toBe('false');

    // A PR edits the file: one tag changes. Its plan is exactly that change, not drift; the merge applies it; the night is quiet.
    const edited = stepInputs(asWritten.replace('cost-center=4711', 'cost-center=4712'), baseVars);
    const prEdit = await stack.run(edited, pullRequest(32));
    expect(JSON.parse(prEdit.outputs.plan).map((c: { action: string; drift: boolean }) => [c.action, c.drift])).toEqual([
      ['tag-policy', false],
      ['tag-role', false],
    ]);
    expect((await stack.run(edited, on('push'))).errors).toEqual([]);
    const quiet = await stack.run({ ...edited, 'fail-on-drift': 'true' }, on('schedule'));
    expect(quiet.errors).toEqual([]);
    expect(quiet.outputs.changed).toBe('false');
    expect(github.issues().filter((i) => i.title.includes(ROLE_NAME))).toEqual([]);

    // The external-ID variable deleted: the nightly run stops before any write instead of removing the condition.
    stack.proxy.clear();
    const missing = await stack.run(
      stepInputs(asWritten.replace('cost-center=4711', 'cost-center=4712'), { ...baseVars, ACTIVELOOP_EXTERNAL_ID: '' }),
      on('schedule'),
    );
    expect(missing.code).toBe(1);
    expect(missing.errors[0]).toContain("Input 'external-id' is empty");
    expect(stack.proxy.mutating()).toEqual([]);
  });
});
