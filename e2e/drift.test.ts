// Drift that is really drift, told where people look: the issue's nightly scenario, a hand edit against an
// input change under fail-on-drift, the external-ID guard, and the drift issue of scheduled runs.

import { UpdateAssumeRolePolicyCommand, UpdateRoleCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { clients, createBucket, readRole } from '../test-support/aws-fixtures.mjs';
import { iamError } from '../test-support/aws-rules.mjs';
import { startGitHubApi } from '../test-support/github-api.mjs';
import { type Stack, startStack } from './stack.js';

let stack: Stack;
let github: Awaited<ReturnType<typeof startGitHubApi>>;
let iam: ReturnType<typeof clients>['iam'];

beforeAll(async () => {
  stack = await startStack();
  github = await startGitHubApi();
  iam = clients(stack.motoEndpoint).iam;
  await createBucket(stack.motoEndpoint, 'drift-data');
});

afterAll(async () => {
  await github?.stop();
  await stack?.stop();
});

const on = (eventName: string) => ({
  eventName,
  event: eventName === 'schedule' ? { schedule: '17 6 * * *' } : {},
  env: { GITHUB_API_URL: github.url, 'INPUT_GITHUB-TOKEN': 'ghs_test_token' },
});
const settings = (role: string, extra: Record<string, string> = {}) => ({
  buckets: 'drift-data',
  'role-name': role,
  'external-id': 'ext-123',
  tags: 'team=ml',
  mode: 'auto',
  ...extra,
});
const describeInConsole = (role: string, text: string) => iam.send(new UpdateRoleCommand({ RoleName: role, Description: text }));

describe("the issue's nightly run, with every setting in one place", () => {
  const ROLE = 'nightly-role';

  it('never weakens the trust policy and never cries drift at an input change', async () => {
    expect((await stack.run(settings(ROLE), on('push'))).code).toBe(0);
    // The repository variable for the external ID was never created: the input is empty.
    stack.proxy.clear();
    const nightly = await stack.run(settings(ROLE, { 'external-id': '', 'fail-on-drift': 'true' }), on('schedule'));
    expect(nightly.code).toBe(1);
    expect(nightly.errors).toEqual([
      expect.stringMatching(
        /^::error::Input 'external-id' is empty, but the role nightly-role requires an external ID \(sts:ExternalId\).*'external-id: none'/,
      ),
    ]);
    expect(stack.proxy.mutating()).toEqual([]);
    expect((await readRole(stack.motoEndpoint, ROLE))?.trust.Statement[0].Condition).toEqual({
      StringEquals: { 'sts:ExternalId': 'ext-123' },
    });

    // A changed bucket list and description on the nightly run: applied, not drift, fail-on-drift passes.
    await createBucket(stack.motoEndpoint, 'drift-more');
    const changed = await stack.run(
      settings(ROLE, { buckets: 'drift-data\ndrift-more', 'role-description': 'Datasets for ML', 'fail-on-drift': 'true' }),
      on('schedule'),
    );
    expect(changed.errors).toEqual([]);
    expect(changed.outputs.changed).toBe('true');
    expect(JSON.parse(changed.outputs.plan).every((c: { drift: boolean }) => !c.drift)).toBe(true);
    expect(changed.stdout).not.toContain('[drift]');
    expect(changed.summary).not.toMatch(/repair drift|outside this action|\[drift\]/);
  });

  it('removes the external ID only when asked with external-id: none, and says the trust policy widens', async () => {
    const plan = await stack.run(
      settings(ROLE, { buckets: 'drift-data\ndrift-more', 'role-description': 'Datasets for ML', 'external-id': 'none', mode: 'plan' }),
    );
    expect(plan.errors).toEqual([]);
    expect(plan.summary).toContain('⚠️ This plan widens the trust policy: it removes the condition StringEquals sts:ExternalId.');
  });
});

describe('fail-on-drift: a hand edit against an input change', () => {
  it.each(['plan', 'apply'])('%s: an input change passes; a hand edit fails; a later input change is still no drift', async (mode) => {
    const ROLE = `edited-${mode}`;
    expect((await stack.run(settings(ROLE), on('push'))).code).toBe(0);
    const inputChange = await stack.run(settings(ROLE, { mode, tags: 'team=ml\ncost=42', 'fail-on-drift': 'true' }));
    expect(inputChange.errors).toEqual([]);
    expect(inputChange.outputs.changed).toBe('true');
    if (mode === 'plan') expect((await stack.run(settings(ROLE, { tags: 'team=ml\ncost=42' }))).code).toBe(0);

    await describeInConsole(ROLE, 'edited in the console');
    const result = await stack.run(settings(ROLE, { tags: 'team=ml\ncost=42', mode, 'fail-on-drift': 'true' }));
    expect(result.code).toBe(1);
    expect(result.errors).toEqual([expect.stringContaining(`fail-on-drift: the role ${ROLE} `)]);
    expect(result.summary).toMatch(new RegExp(`^### Activeloop role: \`${ROLE}\`\n\n❌ The check failed: fail-on-drift`));
    expect(JSON.parse(result.outputs.plan)).toEqual([
      expect.objectContaining({ action: 'update-role', drift: true, reason: 'the description was changed outside this action' }),
    ]);
    // Plan mode did not put it back; the hand edit stays drift, the input change beside it does not.
    const next = await stack.run(settings(ROLE, { tags: 'team=ml\ncost=43', 'external-id': 'ext-456', mode, 'fail-on-drift': 'true' }));
    const plan = JSON.parse(next.outputs.plan).map((c: { action: string; drift: boolean }) => [c.action, c.drift]);
    // ext-123 → ext-456 is a rotation: the same condition with a new value lets no one more in.
    expect(next.stdout).not.toMatch(/widen/);
    expect(next.summary).not.toContain('widens the trust policy');
    if (mode === 'plan') {
      expect(next.code).toBe(1);
      expect(plan).toEqual([
        ['tag-policy', false],
        ['update-trust-policy', false],
        ['update-role', true],
        ['tag-role', false],
      ]);
    } else {
      expect(next.errors).toEqual([]);
      expect(plan).toEqual([
        ['tag-policy', false],
        ['update-trust-policy', false],
        ['tag-role', false],
      ]);
    }
  });
});

describe('the drift issue of scheduled runs (spec behaviour 12)', () => {
  const ROLE = 'issue-role';
  const marker = `<!-- activeloop-role-action:drift-issue:role=${ROLE}:`;
  const mine = () => github.issues().filter((i) => i.body.includes(marker) && i.user.type === 'Bot');

  it('opens one issue when a scheduled run repairs drift, updates it on later drift, closes it once in sync', async () => {
    expect((await stack.run(settings(ROLE), on('push'))).code).toBe(0);
    // Someone's own issue quoting the marker is never taken for the action's.
    const human = github.seedIssue('About the drift issue', `it looks like ${marker}`);

    const clean = await stack.run(settings(ROLE), on('schedule'));
    expect(clean.errors).toEqual([]);
    expect(mine()).toEqual([]);

    await describeInConsole(ROLE, 'edited in the console');
    const first = await stack.run(settings(ROLE), on('schedule'));
    expect(first.errors).toEqual([]);
    expect(mine()).toHaveLength(1);
    const [issue] = mine();
    expect(issue.state).toBe('open');
    expect(issue.body).toContain('the description was changed outside this action');
    expect(issue.body).toContain('https://github.com/octo-org/data-platform/actions/runs/4242');
    expect((await readRole(stack.motoEndpoint, ROLE))?.Description).not.toBe('edited in the console');

    // Later drift, found by a plan-only scheduled run: the same issue, updated, with a comment.
    await iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: ROLE,
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    const second = await stack.run(settings(ROLE, { mode: 'plan' }), on('schedule'));
    expect(second.errors).toEqual([]);
    expect(mine()).toHaveLength(1);
    expect(mine()[0].body).toContain('the trust policy was changed outside this action');
    expect(github.comments(issue.number).map((c) => c.body)).toEqual([expect.stringMatching(/^Drift found again/)]);

    // The plan did not repair it: the next scheduled apply does, and still reports it.
    const third = await stack.run(settings(ROLE), on('schedule'));
    expect(third.errors).toEqual([]);
    expect(mine()[0].state).toBe('open');

    const fourth = await stack.run(settings(ROLE), on('schedule'));
    expect(fourth.errors).toEqual([]);
    expect(mine()[0].state).toBe('closed');
    expect(github.comments(issue.number).at(-1)?.body).toMatch(/^The role issue-role is in sync again/);
    expect(human.state).toBe('open');
    expect(github.issues().filter((i) => i.body.includes(marker))).toHaveLength(2);
  });

  it('without issues: write, warns once and keeps the drift report in the summary', async () => {
    github.state.issuesReadOnly = true;
    try {
      await describeInConsole(ROLE, 'edited again');
      const result = await stack.run(settings(ROLE), on('schedule'));
      expect(result.code).toBe(0);
      expect(result.warnings.filter((w) => w.includes('drift issue'))).toEqual([
        expect.stringContaining(
          'Could not open or update the drift issue (HTTP 403): the token cannot write issues (add "permissions: issues: write")',
        ),
      ]);
      expect(result.summary).toContain('the description was changed outside this action');
    } finally {
      github.state.issuesReadOnly = false;
    }
  });

  it('without any issues permission, an in-sync scheduled run does not warn, and says once how to grant it', async () => {
    github.state.issuesUnreadable = true;
    try {
      const inSync = await stack.run(settings('quiet-role'), on('push'));
      expect(inSync.code).toBe(0);
      const result = await stack.run(settings('quiet-role'), on('schedule'));
      expect(result.errors).toEqual([]);
      expect(result.outputs.changed).toBe('false');
      expect(result.warnings.filter((w) => /issue/i.test(w))).toEqual([]);
      expect(result.stdout.match(/permissions: issues: write/g)).toHaveLength(1);
    } finally {
      github.state.issuesUnreadable = false;
    }
  });

  it('a scheduled run stopped by the external-ID guard after a hand removal still opens the issue', async () => {
    const GUARDED = 'guarded-role';
    const guardMarker = `<!-- activeloop-role-action:drift-issue:role=${GUARDED}:`;
    expect((await stack.run(settings(GUARDED), on('push'))).code).toBe(0);
    // The external ID removed in the console, and the variable missing: the record still says there was one.
    await iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: GUARDED,
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::597713067985:role/activeloop_backend' }, Action: 'sts:AssumeRole' },
          ],
        }),
      }),
    );
    stack.proxy.clear();
    const result = await stack.run(settings(GUARDED, { 'external-id': '' }), on('schedule'));
    expect(result.code).toBe(1);
    expect(result.errors[0]).toContain('removed from its trust policy outside this action');
    expect(stack.proxy.mutating()).toEqual([]);
    const issues = github.issues().filter((i) => i.body.includes(guardMarker));
    expect(issues).toHaveLength(1);
    expect(issues[0].body).toContain("Input 'external-id' is empty");
  });

  it("renovate[bot]'s issue quoting the marker is left alone; the action opens its own, titled with the account", async () => {
    const ROBOT = 'robot-role';
    const robotMarker = `<!-- activeloop-role-action:drift-issue:role=${ROBOT}:`;
    expect((await stack.run(settings(ROBOT), on('push'))).code).toBe(0);
    await describeInConsole(ROBOT, 'edited in the console');
    const first = await stack.run(settings(ROBOT), on('schedule'));
    expect(first.errors).toEqual([]);
    const [own] = github.issues().filter((i) => i.body.includes(robotMarker));
    expect(own.title).toBe(`Activeloop role ${ROBOT} in account 123456789012 was changed outside activeloop-role-action (drift)`);
    // The action's issue closed by hand; a bot's issue quotes its body, marker and all.
    own.state = 'closed';
    const quoted = github.seedIssue('Dependency dashboard', own.body, { login: 'renovate[bot]', type: 'Bot' });
    const before = quoted.body;
    await describeInConsole(ROBOT, 'edited again');
    const second = await stack.run(settings(ROBOT, { 'mask-account-id': 'true' }), on('schedule'));
    expect(second.errors).toEqual([]);
    expect(quoted.body).toBe(before);
    expect(github.comments(quoted.number)).toEqual([]);
    const open = github
      .issues()
      .filter((i) => i.body.includes(robotMarker) && i.user.login === 'github-actions[bot]' && i.state === 'open');
    expect(open).toHaveLength(1);
    expect(open[0].title).toMatch(new RegExp(`^Activeloop role ${ROBOT} in account \\*{12} \\([0-9a-f]{8}\\) was changed`));
  });

  it('a push that repairs drift leaves the issue alone: only scheduled runs keep it', async () => {
    const before = github.state.requests.length;
    await describeInConsole(ROLE, 'edited once more');
    expect((await stack.run(settings(ROLE), on('push'))).code).toBe(0);
    expect(github.state.requests.slice(before).filter((r) => r.includes('/issues'))).toEqual([]);
  });
});

describe('a run that stopped half-way', () => {
  const deny = (operation: string) => ({
    name: `${operation} is denied once`,
    docs: 'IAM API Reference: common errors (AccessDenied)',
    match: (c: { operation: string }) => c.operation === operation,
    respond: () => iamError('AccessDenied', `User is not authorized to perform: ${operation}`, 403),
    times: 1,
  });

  it('is finished by the next run as its own work, not drift, which then gives the paste step', async () => {
    stack.proxy.rules.push(deny('iam:AttachRolePolicy'));
    const failed = await stack.run({ buckets: 'drift-data', 'role-name': 'half-attached', 'fail-on-drift': 'true' });
    expect(failed.code).toBe(1);
    expect(failed.summary).not.toMatch(/paste the role ARN into Activeloop, step 4/i);
    expect(failed.summary).not.toContain('wait about a minute before verifying');
    expect(failed.summary).toContain('It will be ready after a run that succeeds');

    const next = await stack.run({ buckets: 'drift-data', 'role-name': 'half-attached', 'fail-on-drift': 'true' });
    expect(next.errors).toEqual([]);
    expect(next.code).toBe(0);
    expect(JSON.parse(next.outputs.plan).filter((c: { drift: boolean }) => c.drift)).toEqual([]);
    expect(next.summary).toMatch(/Paste the role ARN into Activeloop/);
    expect((await readRole(stack.motoEndpoint, 'half-attached'))?.attached).toHaveLength(1);

    const after = await stack.run({ buckets: 'drift-data', 'role-name': 'half-attached', 'fail-on-drift': 'true' });
    expect(JSON.parse(after.outputs.plan)).toEqual([]);
  });

  it('is finished as its own work when the role was never created after its policy', async () => {
    stack.proxy.rules.push(deny('iam:CreateRole'));
    const failed = await stack.run({ buckets: 'drift-data', 'role-name': 'half-created', 'fail-on-drift': 'true' });
    expect(failed.code).toBe(1);
    const next = await stack.run({ buckets: 'drift-data', 'role-name': 'half-created', 'fail-on-drift': 'true' });
    expect(next.code).toBe(0);
    expect(JSON.parse(next.outputs.plan).filter((c: { drift: boolean }) => c.drift)).toEqual([]);
    expect(next.summary).toMatch(/Paste the role ARN into Activeloop/);
  });

  it('is finished as its own work when a policy update stopped before its digest tag', async () => {
    expect((await stack.run({ buckets: 'drift-data', 'role-name': 'half-updated' })).code).toBe(0);
    await createBucket(stack.motoEndpoint, 'drift-more');
    stack.proxy.rules.push(deny('iam:TagPolicy'));
    const inputs = { buckets: 'drift-data\ndrift-more', 'role-name': 'half-updated', 'fail-on-drift': 'true' };
    expect((await stack.run(inputs)).code).toBe(1);
    const next = await stack.run(inputs);
    expect(next.code).toBe(0);
    expect(JSON.parse(next.outputs.plan).filter((c: { drift: boolean }) => c.drift)).toEqual([]);
  });
});
