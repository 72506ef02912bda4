// Many accounts, one workflow (spec behaviour 17), on moto: the deployer template deployed as a service-managed
// StackSet to an organizational unit of three accounts (moto 5.2.1 resolves an OU's accounts in its Organizations
// backend; it does not run automatic deployment), and as a self-managed StackSet to an account outside the
// organization. The workflow's jobs are played in order: the accounts sub-action turns the settings list into the
// matrix, the bundled action runs in each account as that account's deployer role (moto issues an AssumeRole's
// credentials in the role's own account), each job records its result, and the last job sums them up.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetPolicyCommand, GetPolicyVersionCommand, GetRoleCommand, UpdateRoleCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MatrixEntry } from '../src/accounts.js';
import { deployerBoundaryArn, deployerRoleArn } from '../src/deployer.js';
import { ORGANIZATION_COMMENT_MARKER } from '../src/organization-summary.js';
import { clients, createBucket, readRole } from '../test-support/aws-fixtures.mjs';
import { startGitHubApi } from '../test-support/github-api.mjs';
import { type Credentials, cloudFormation, credentialsIn, members, organizations, parameters } from '../test-support/organization.mjs';
import { runAccounts } from '../test-support/run-accounts.mjs';
import { root } from '../test-support/run-action.mjs';
import { webIdentitySession } from './deployer-stack.js';
import { type Stack, startStack } from './stack.js';

const REPOSITORY = 'octo-org/data-platform';
const ROLE = 'activeloop-deeplake-access';
const TEMPLATE = readFileSync(join(root, 'bootstrap', 'activeloop-deployer.yml'), 'utf8');
/** The StackSet's ceiling: every account's buckets (moto applies no per-account override to a service-managed instance). */
const CEILING = 'research-lake,research-extra,prod-lake,staging-lake';
/** An account outside the organization, reached by the self-managed StackSet. */
const OUTSIDE = '444444444444';

let stack: Stack;
let github: Awaited<ReturnType<typeof startGitHubApi>>;
let ou: string;
/** The OU's accounts by name, as moto's CreateAccount numbered them. */
const accounts: Record<'research' | 'production' | 'staging', string> = { research: '', production: '', staging: '' };
const admin: Record<string, Credentials> = {};
let results: string;

/**
 * The deployer's plan and apply role ARNs and boundary in an account, as the matrix derives them from the account ID
 * (`<DeployerName>-plan`/`-apply`/`-boundary` at /activeloop-role-action-deployer/), each checked to exist there.
 */
async function deployerRoles(account: string): Promise<Record<'plan' | 'apply' | 'boundary', string>> {
  const { iam } = clients(stack.motoEndpoint, admin[account]);
  const roles = {
    plan: deployerRoleArn(account, 'plan'),
    apply: deployerRoleArn(account, 'apply'),
    boundary: deployerBoundaryArn(account),
  };
  for (const kind of ['plan', 'apply'] as const) {
    const role = (await iam.send(new GetRoleCommand({ RoleName: `activeloop-${kind}` }))).Role;
    expect(role?.Arn).toBe(roles[kind]);
  }
  return roles;
}

const session = (roleArn: string) => webIdentitySession(stack.motoEndpoint, roleArn);

const settings = (extra = '') => `
- account: "${accounts.research}"
  name: research
  buckets: [research-lake]
- account: "${accounts.production}"
  name: production
  buckets: prod-lake
  access: read-only
  tags: {team: ml-platform}
- account: "${accounts.staging}"
  name: staging
  # staging-typo does not exist in the staging account: this account's run fails, alone.
  buckets: [staging-lake, staging-typo]
- account: "${OUTSIDE}"
  name: outside
  buckets: [outside-lake]
${extra}`;

const pullRequest = { eventName: 'pull_request', event: { pull_request: { number: 7 } } };
const githubEnv = () => ({ GITHUB_API_URL: github.url, 'INPUT_GITHUB-TOKEN': 'ghs_test_token' });

/** One account's job of the matrix: the action with the matrix entry's settings, then the record of its result. */
async function accountJob(entry: MatrixEntry, event: { eventName: string; event: object } = { eventName: 'push', event: {} }) {
  // The matrix entry's roles, as the example workflow picks them; the boundary defaults to the stack's.
  const role = event.eventName === 'pull_request' ? entry['plan-role'] : entry['apply-role'];
  const run = await stack.run(
    {
      mode: 'auto',
      buckets: entry.buckets,
      'aws-region': entry.region,
      access: entry.access,
      cors: entry.cors,
      tags: entry.tags,
      'pr-comment': 'false',
    },
    { ...event, env: { ...(await session(role)), ...githubEnv() } },
  );
  // The example's record step: the step's outcome and three small outputs, each its own input (environment variable).
  const record = await runAccounts({
    inputs: {
      task: 'record',
      account: entry.account,
      outcome: run.code === 0 ? 'success' : 'failure',
      changed: run.outputs.changed ?? '',
      plan: run.outputs.plan ?? '',
      'role-arn': run.outputs['role-arn'] ?? '',
      job: JSON.stringify({ status: run.code === 0 ? 'success' : 'failure', check_run_id: 5000 + Number(entry.account.slice(-3)) }),
      results,
    },
  });
  expect(record.code).toBe(0);
  return run;
}

/** The summary's input: each account and its name, as the matrix task's `names` output holds them. */
const labelsOf = (matrix: MatrixEntry[]) => matrix.map((e) => ({ account: e.account, name: e.name }));

async function matrixOf(list: string): Promise<MatrixEntry[]> {
  const result = await runAccounts({ inputs: { task: 'matrix', accounts: list } });
  expect(result.errors).toEqual([]);
  return JSON.parse(result.outputs.matrix).include;
}

beforeAll(async () => {
  stack = await startStack();
  github = await startGitHubApi();
  results = mkdtempSync(join(tmpdir(), 'activeloop-results-'));
  const ep = stack.motoEndpoint;
  await organizations(ep, 'CreateOrganization', { FeatureSet: 'ALL' });
  const rootId = (await organizations(ep, 'ListRoots')).Roots[0].Id;
  ou = (await organizations(ep, 'CreateOrganizationalUnit', { ParentId: rootId, Name: 'data-teams' })).OrganizationalUnit.Id;
  for (const name of Object.keys(accounts) as (keyof typeof accounts)[]) {
    const request = await organizations(ep, 'CreateAccount', { Email: `${name}@example.com`, AccountName: name });
    const id = (await organizations(ep, 'DescribeCreateAccountStatus', { CreateAccountRequestId: request.CreateAccountStatus.Id }))
      .CreateAccountStatus.AccountId;
    await organizations(ep, 'MoveAccount', { AccountId: id, SourceParentId: rootId, DestinationParentId: ou });
    accounts[name] = id;
  }
  // docs/organizations.md: one service-managed StackSet to the OU, one region, automatic deployment.
  await cloudFormation(ep, {
    Action: 'CreateStackSet',
    StackSetName: 'activeloop-deployer',
    TemplateBody: TEMPLATE,
    PermissionModel: 'SERVICE_MANAGED',
    'AutoDeployment.Enabled': 'true',
    'AutoDeployment.RetainStacksOnAccountRemoval': 'false',
    ...members('Capabilities', ['CAPABILITY_NAMED_IAM']),
    // moto has no AWS::IAM::OIDCProvider: the accounts "already have" GitHub's provider.
    ...parameters('Parameters', { GitHubRepository: REPOSITORY, Buckets: CEILING, CreateOidcProvider: 'false' }),
  });
  await cloudFormation(ep, {
    Action: 'CreateStackInstances',
    StackSetName: 'activeloop-deployer',
    'DeploymentTargets.OrganizationalUnitIds.member.1': ou,
    ...members('Regions', ['us-east-1']),
  });
  // The self-managed path, for an account outside the organization, with its own Buckets ceiling. moto replaces the
  // StackSet's parameters by the overrides instead of merging them, so every parameter is given.
  await cloudFormation(ep, {
    Action: 'CreateStackSet',
    StackSetName: 'activeloop-deployer-outside',
    TemplateBody: TEMPLATE,
    ...members('Capabilities', ['CAPABILITY_NAMED_IAM']),
    ...parameters('Parameters', { GitHubRepository: REPOSITORY, Buckets: CEILING, CreateOidcProvider: 'false' }),
  });
  await cloudFormation(ep, {
    Action: 'CreateStackInstances',
    StackSetName: 'activeloop-deployer-outside',
    ...members('Accounts', [OUTSIDE]),
    ...members('Regions', ['us-east-1']),
    ...parameters('ParameterOverrides', { GitHubRepository: REPOSITORY, Buckets: 'outside-lake', CreateOidcProvider: 'false' }),
  });
  for (const id of [...Object.values(accounts), OUTSIDE]) admin[id] = await credentialsIn(ep, id);
  const buckets: [string, string][] = [
    [accounts.research, 'research-lake'],
    [accounts.research, 'research-extra'],
    [accounts.production, 'prod-lake'],
    [accounts.staging, 'staging-lake'],
    [OUTSIDE, 'outside-lake'],
  ];
  for (const [account, bucket] of buckets) await createBucketIn(account, bucket);
});

/** A bucket owned by the account (moto keeps buckets per account). */
async function createBucketIn(account: string, bucket: string): Promise<void> {
  const { s3 } = clients(stack.motoEndpoint, admin[account]);
  const { CreateBucketCommand } = await import('@aws-sdk/client-s3');
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
}

afterAll(async () => {
  rmSync(results ?? '', { recursive: true, force: true });
  await github?.stop();
  await stack?.stop();
});

async function boundaryDocument(account: string): Promise<string> {
  const { iam } = clients(stack.motoEndpoint, admin[account]);
  const arn = (await deployerRoles(account)).boundary;
  const policy = (await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy;
  const version = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: policy?.DefaultVersionId }));
  return decodeURIComponent(version.PolicyVersion?.Document ?? '');
}

describe('the deployer as a StackSet', () => {
  it('gives every account of the organizational unit its plan and apply roles and boundary, from one region', async () => {
    const listed = await cloudFormation(stack.motoEndpoint, { Action: 'ListStackInstances', StackSetName: 'activeloop-deployer' });
    const instances = [...listed.matchAll(/<Region>([^<]+)<\/Region><Account>(\d{12})<\/Account>/g)].map((m) => `${m[2]}@${m[1]}`);
    expect(instances.sort()).toEqual(
      Object.values(accounts)
        .map((a) => `${a}@us-east-1`)
        .sort(),
    );
    for (const account of Object.values(accounts)) {
      const roles = await deployerRoles(account);
      expect(roles.plan).toMatch(new RegExp(`^arn:aws:iam::${account}:role/activeloop-role-action-deployer/`));
      expect(roles.apply).toMatch(new RegExp(`^arn:aws:iam::${account}:role/activeloop-role-action-deployer/`));
      expect(await boundaryDocument(account)).toContain('arn:aws:s3:::staging-lake');
    }
  });

  it('reaches an account outside the organization through the self-managed StackSet, with its own Buckets ceiling', async () => {
    const roles = await deployerRoles(OUTSIDE);
    expect(roles.apply).toMatch(new RegExp(`^arn:aws:iam::${OUTSIDE}:role/activeloop-role-action-deployer/`));
    const boundary = await boundaryDocument(OUTSIDE);
    expect(boundary).toContain('arn:aws:s3:::outside-lake');
    expect(boundary).not.toContain('research-lake');
    // The action runs there too (below): the template names its roles, so moto's stack name for a self-managed
    // instance ("StackSet:<name>", AWS: "StackSet-<name>-<UUID>") no longer reaches a role's name.
  });
});

describe('the settings list', () => {
  it('becomes the matrix: one job per account, its roles derived from its account ID', async () => {
    const matrix = await matrixOf(settings());
    expect(matrix.map((e) => [e.name, e.account])).toEqual([
      ['research', accounts.research],
      ['production', accounts.production],
      ['staging', accounts.staging],
      ['outside', OUTSIDE],
    ]);
    for (const e of matrix) {
      expect(e['plan-role']).toBe(`arn:aws:iam::${e.account}:role/activeloop-role-action-deployer/activeloop-plan`);
      expect(e['apply-role']).toBe(deployerRoleArn(e.account, 'apply'));
    }
  });

  it('fails naming a duplicated account, before any AWS call', async () => {
    const before = stack.proxy.calls.length;
    const dup = `${settings()}- account: "${accounts.research}"\n  buckets: research-extra\n`;
    const result = await runAccounts({ inputs: { task: 'matrix', accounts: dup } });
    expect(result.code).toBe(1);
    expect(result.errors).toEqual([expect.stringContaining(`Input 'accounts': entries 1 and 5 both name account ${accounts.research}`)]);
    expect(result.outputs.matrix).toBeUndefined();
    expect(stack.proxy.calls.length).toBe(before);
  });
});

describe('one workflow, every account', () => {
  it('applies in each account as its apply role; the failing account stops no other; the summary lists them all', async () => {
    const matrix = await matrixOf(settings());
    const runs = [];
    for (const entry of matrix) runs.push(await accountJob(entry));
    const [research, production, staging, outside] = runs;
    expect(research.code).toBe(0);
    expect(research.outputs['role-arn']).toBe(`arn:aws:iam::${accounts.research}:role/${ROLE}`);
    expect(production.code).toBe(0);
    expect(production.outputs['role-arn']).toBe(`arn:aws:iam::${accounts.production}:role/${ROLE}`);
    // A bucket missing from its account stops staging before any write, naming the bucket.
    expect(staging.code).toBe(1);
    expect(staging.errors.join('\n')).toContain('staging-typo');
    // The self-managed StackSet's account runs like the OU's: its derived apply role, the stack's default boundary.
    expect(outside.code).toBe(0);
    expect(outside.outputs['role-arn']).toBe(`arn:aws:iam::${OUTSIDE}:role/${ROLE}`);
    const outsideRole = await readRole(stack.motoEndpoint, ROLE, admin[OUTSIDE]);
    expect(outsideRole?.PermissionsBoundary?.PermissionsBoundaryArn).toBe(deployerBoundaryArn(OUTSIDE));
    // Each role lives in its own account, with that account's settings; staging got none.
    const researchRole = await readRole(stack.motoEndpoint, ROLE, admin[accounts.research]);
    const productionRole = await readRole(stack.motoEndpoint, ROLE, admin[accounts.production]);
    expect(researchRole?.Arn).toBe(`arn:aws:iam::${accounts.research}:role/${ROLE}`);
    expect(productionRole?.tags.team).toBe('ml-platform');
    expect(researchRole?.tags.team).toBeUndefined();
    expect(await readRole(stack.motoEndpoint, ROLE, admin[accounts.staging])).toBeUndefined();

    const summary = await runAccounts({ inputs: { task: 'summary', names: JSON.stringify(labelsOf(matrix)), results } });
    expect(summary.code).toBe(0);
    expect(summary.summary).toContain('### Activeloop roles in 4 accounts');
    expect(summary.summary).toMatch(
      new RegExp(
        `\\| research \\(\`${accounts.research}\`\\) \\| 📝 \\d+ changes made \\| \\[job\\]\\(https://github.com/octo-org/data-platform/actions/runs/4242/job/\\d+\\) \\|`,
      ),
    );
    expect(summary.summary).toMatch(new RegExp(`\\| production \\(\`${accounts.production}\`\\) \\| 📝 \\d+ changes made`));
    expect(summary.summary).toContain(`| staging (\`${accounts.staging}\`) | ❌ failed |`);
    expect(summary.summary).toContain(`| outside (\`${OUTSIDE}\`) | 📝`);
    expect(JSON.parse(summary.outputs['failed-accounts'])).toEqual([accounts.staging]);
  });

  it('on a pull request, plans every account as its plan role and keeps one PR comment with a section per account', async () => {
    rmSync(results, { recursive: true, force: true });
    // The PR adds a bucket to research, and an account whose job never ran (no record).
    const changed = settings(`- account: "555555555555"\n  name: newcomer\n  buckets: [newcomer-lake]\n`).replace(
      'buckets: [research-lake]',
      'buckets: [research-lake, research-extra]',
    );
    const matrix = await matrixOf(changed);
    for (const entry of matrix.slice(0, 4)) await accountJob(entry, pullRequest);
    expect(await readRole(stack.motoEndpoint, ROLE, admin[accounts.research]).then((r) => r?.attached.length)).toBe(1);
    const summarize = () =>
      runAccounts({ inputs: { task: 'summary', names: JSON.stringify(labelsOf(matrix)), results }, env: githubEnv(), ...pullRequest });
    expect((await summarize()).code).toBe(0);
    expect((await summarize()).stdout).toContain('PR comment unchanged on #7');
    const comments = github.comments(7);
    expect(comments).toHaveLength(1);
    const body = comments[0].body;
    expect(body.startsWith(ORGANIZATION_COMMENT_MARKER)).toBe(true);
    expect(body).toContain(`| research (\`${accounts.research}\`) | 📝 1 change planned |`);
    expect(body).toContain(`#### research (\`${accounts.research}\`)`);
    expect(body).toContain('`update-policy`');
    expect(body).toContain(`| production (\`${accounts.production}\`) | ✅ in sync |`);
    expect(body).toContain(`| staging (\`${accounts.staging}\`) | ❌ failed |`);
    expect(body).toContain('| newcomer (`555555555555`) | ❔ no result');
    // Planning wrote nothing: research's policy still grants only research-lake.
    expect(JSON.stringify(await readRole(stack.motoEndpoint, ROLE, admin[accounts.research]))).not.toContain('research-extra');

    // The next push breaks the list: the matrix job fails, and the summary turns the same comment red, with its link.
    const broken = await runAccounts({
      inputs: { task: 'matrix', accounts: `${changed}- account: "12345"\n  buckets: x-lake\n`, job: '{"check_run_id": 777}' },
    });
    expect(broken.code).toBe(1);
    expect(broken.outputs.matrix).toBeUndefined();
    expect(broken.outputs['check-run-id']).toBe('777');
    const failed = await runAccounts({
      inputs: { task: 'summary', 'settings-result': 'failure', 'settings-job': broken.outputs['check-run-id'], results },
      env: githubEnv(),
      ...pullRequest,
    });
    expect(failed.code).toBe(0);
    expect(github.comments(7)).toHaveLength(1);
    const red = github.comments(7)[0].body;
    expect(red.startsWith(ORGANIZATION_COMMENT_MARKER)).toBe(true);
    expect(red).toContain('the settings list failed validation');
    expect(red).toContain('[its job](https://github.com/octo-org/data-platform/actions/runs/4242/job/777)');
    expect(red).not.toContain('✅');
    expect(failed.summary).toContain('the settings list failed validation');
  });

  it('keeps one drift issue per account on scheduled runs', async () => {
    for (const account of [accounts.research, accounts.production]) {
      const { iam } = clients(stack.motoEndpoint, admin[account]);
      await iam.send(new UpdateRoleCommand({ RoleName: ROLE, Description: 'changed in the console' }));
    }
    const matrix = await matrixOf(settings());
    for (const entry of matrix.slice(0, 2))
      expect((await accountJob(entry, { eventName: 'schedule', event: { schedule: '23 6 * * *' } })).code).toBe(0);
    const open = github.issues().filter((i) => i.state === 'open');
    expect(open.map((i) => i.title).sort()).toEqual(
      [accounts.research, accounts.production]
        .map((a) => `Activeloop role ${ROLE} in account ${a} was changed outside activeloop-role-action (drift)`)
        .sort(),
    );
  });
});

describe('every input stays under the 128 KiB an environment variable may hold (Linux MAX_ARG_STRLEN)', () => {
  const LIMIT = 128 * 1024;

  it('a 256-account list: the summary takes the names, where the matrix itself would not even start', async () => {
    const buckets = Array.from({ length: 12 }, (_, i) => `team-datasets-bucket-${String(i).padStart(2, '0')}`);
    const list = Array.from(
      { length: 256 },
      (_, i) => `- account: "${String(100000000000 + i)}"\n  name: team-${i}\n  buckets: [${buckets.join(', ')}]\n`,
    ).join('');
    expect(list.length).toBeLessThan(LIMIT);
    const result = await runAccounts({ inputs: { task: 'matrix', accounts: list } });
    expect(result.errors).toEqual([]);
    expect(result.outputs.matrix.length).toBeGreaterThan(LIMIT);
    expect(result.outputs.names.length).toBeLessThan(LIMIT / 4);
    // Passed as the runner passes inputs, the matrix fails before the action starts; the names do not.
    await expect(runAccounts({ inputs: { task: 'summary', matrix: result.outputs.matrix, results } })).rejects.toThrow('E2BIG');
    const summary = await runAccounts({ inputs: { task: 'summary', names: result.outputs.names, results: join(results, 'none') } });
    expect(summary.code).toBe(0);
    expect(summary.summary).toContain('### Activeloop roles in 256 accounts');
    expect(summary.summary).toContain('| team-255 (`100000000255`) | ❔ no result');
  });

  it('a 500-bucket account: the record takes its outcome, changed, plan and role ARN, never the access output', async () => {
    const names = Array.from({ length: 500 }, (_, i) => `org-scale-${String(i).padStart(3, '0')}`);
    for (let i = 0; i < names.length; i += 25) await Promise.all(names.slice(i, i + 25).map((n) => createBucket(stack.motoEndpoint, n)));
    // The moto account's own credentials (no deployer): a plan of a new role over 500 buckets.
    const run = await stack.run({ mode: 'plan', 'role-name': 'org-scale-role', buckets: names.join('\n') });
    expect(run.code).toBe(0);
    const { changed, plan, access } = run.outputs;
    expect(Object.keys(JSON.parse(access))).toHaveLength(500);
    // toJSON(steps.role) would hold it: more than one input may carry.
    expect(access.length).toBeGreaterThan(LIMIT);
    for (const value of [changed, plan, run.outputs['role-arn']]) expect(value.length).toBeLessThan(LIMIT / 8);
    const record = await runAccounts({
      inputs: { task: 'record', account: '123456789012', outcome: 'success', changed, plan, 'role-arn': run.outputs['role-arn'], results },
    });
    expect(record.code).toBe(0);
    const kept = JSON.parse(readFileSync(join(results, '123456789012.json'), 'utf8'));
    expect(kept.plan.length).toBe(JSON.parse(plan).length);
    expect(kept.changed).toBe(true);
    console.log(
      `500 buckets: access output ${access.length} bytes (${Math.round(access.length / 500)} a bucket), plan ${plan.length} bytes, ${JSON.parse(plan).length} changes`,
    );
  });
});

describe('the accounts sub-action refuses what it cannot use, naming the input', () => {
  it('an unknown task, a record without a valid account or step outcome', async () => {
    const task = await runAccounts({ inputs: { task: 'apply' } });
    expect(task.errors).toEqual([expect.stringContaining("Input 'task': must be one of matrix, record, summary")]);
    const account = await runAccounts({ inputs: { task: 'record', account: '1111-1111-1111', outcome: 'success' } });
    expect(account.errors).toEqual([expect.stringContaining("Input 'account': must be the 12-digit AWS account ID")]);
    const step = await runAccounts({ inputs: { task: 'record', account: '111111111111', outcome: '{"outcome": "success"}' } });
    expect(step.code).toBe(1);
    expect(step.errors).toEqual([expect.stringContaining("Input 'outcome' must be the action step's outcome, steps.<id>.outcome")]);
    for (const r of [task, account, step]) expect(r.stdout).not.toMatch(/\n\s+at /);
  });

  it('a summary without any record lists every account as without a result, and does not fail', async () => {
    const matrix = { include: [{ account: '111111111111', name: 'research' }] };
    const result = await runAccounts({
      inputs: { task: 'summary', matrix: JSON.stringify(matrix), results: join(tmpdir(), 'no-such-folder-4242') },
    });
    expect(result.code).toBe(0);
    expect(result.warnings).toEqual([expect.stringContaining("no account's job recorded a result")]);
    expect(result.summary).toContain('| research (`111111111111`) | ❔ no result');
    const bad = await runAccounts({ inputs: { task: 'summary', matrix: '{"include": [{"account": "1"}]}' } });
    expect(bad.errors).toEqual([expect.stringContaining("Input 'matrix': must be the matrix output of the accounts task")]);
  });
});
