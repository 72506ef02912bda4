// The deployer template's trust policies (spec behaviour 14) against the tokens GitHub really signs: every event
// the workflow or its neighbours run on, in the three subject forms (names, immutable IDs, customized), and the
// repositories that must stay out (namesakes, look-alikes, other owners). moto evaluates no trust condition;
// test-support/web-identity.mjs judges them with src/iam/, and iam-simulate cross-checks the GitHub claims.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import {
  MAX_BRANCH,
  MAX_ENVIRONMENT,
  MAX_ISSUER,
  MAX_WORKFLOW_FILE_NAME,
  PARAMETERS,
  PARTITIONS,
  TRUST_POLICY_MAX_CHARS,
} from '../scripts/bootstrap-template.mjs';
import { policySize, resolveTemplate } from '../test-support/cloudformation.mjs';
import { claimsIamTests, signIn, trustPolicyProblems } from '../test-support/web-identity.mjs';

const root = join(import.meta.dirname, '..');
const template = parse(readFileSync(join(root, 'bootstrap', 'activeloop-deployer.yml'), 'utf8'));
const ISSUER = 'token.actions.githubusercontent.com';
const PROVIDER = `arn:aws:iam::123456789012:oidc-provider/${ISSUER}`;
type Trust = { Statement: unknown[] };

/** The stack's two trust policies for these parameter values (README's OffboardingEnvironment unless given). */
function trustOf(values: Record<string, string>): { plan: Trust; apply: Trust } {
  const stack = resolveTemplate(template, { Buckets: 'ml-datasets', OffboardingEnvironment: 'activeloop-offboarding', ...values });
  return { plan: stack.trust.PlanRole, apply: stack.trust.ApplyRole };
}

// ---------------------------------------------------------------------------------------------------------------
// The tokens. GitHub's "OpenID Connect reference" (docs.github.com/en/actions/reference/security/oidc): the claims
// of every token, the default subject `repo:OWNER/REPO:<context>` (context: `environment:NAME` for a job in an
// environment, else `pull_request` for a pull request event, else `ref:<ref>`), the immutable subject
// `repo:OWNER@OWNER_ID/REPO@REPO_ID:<context>` (repositories created, renamed or transferred since 2026-07-15, or
// opted in; a customized subject keeps the IDs in its `repo` part), and customized subjects (include_claim_keys,
// each `claim:value`, joined by `:`, `:` in a value as %3A). "Using OpenID Connect with reusable workflows":
// job_workflow_ref is the called workflow, workflow_ref the caller; both are OWNER/REPO/PATH@REF.

interface Repository {
  owner: string;
  ownerId: string;
  name: string;
  id: string;
  /** The subject carries the IDs (a new, renamed or transferred repository, or one opted in). */
  immutable: boolean;
}
const ACME: Repository = { owner: 'acme', ownerId: '4242', name: 'data-infra', id: '90210', immutable: true };
/** The same repository before 2026-07-15: names in its subject. */
const ACME_OLD: Repository = { ...ACME, immutable: false };

interface Run {
  event: string;
  /** The ref the run is for: refs/heads/BRANCH, refs/tags/TAG, refs/pull/N/merge. */
  ref: string;
  /** The workflow file the run started from (workflow_ref), at `ref` unless `workflowAt`. */
  workflow: string;
  /** The called reusable workflow, when the job is one: OWNER/REPO/PATH@REF (job_workflow_ref). */
  called?: string;
  environment?: string;
}
type SubjectForm = 'default' | string[];

function claims(repo: Repository, run: Run, form: SubjectForm): Record<string, string> {
  const repository = `${repo.owner}/${repo.name}`;
  const workflowRef = `${repository}/.github/workflows/${run.workflow}@${run.ref}`;
  const pullRequest = run.event === 'pull_request' || run.event === 'pull_request_target';
  const context = run.environment ? `environment:${run.environment}` : pullRequest ? 'pull_request' : `ref:${run.ref}`;
  const repoPart = repo.immutable ? `${repo.owner}@${repo.ownerId}/${repo.name}@${repo.id}` : repository;
  const token: Record<string, string> = {
    iss: `https://${ISSUER}`,
    aud: 'sts.amazonaws.com',
    repository,
    repository_id: repo.id,
    repository_owner: repo.owner,
    repository_owner_id: repo.ownerId,
    repository_visibility: 'private',
    actor: 'octocat',
    actor_id: '583231',
    event_name: run.event,
    ref: run.ref,
    ref_type: run.ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    workflow: 'Activeloop access',
    workflow_ref: workflowRef,
    job_workflow_ref: run.called ?? workflowRef,
    runner_environment: 'github-hosted',
    ...(run.environment ? { environment: run.environment } : {}),
    ...(pullRequest ? { base_ref: 'main', head_ref: 'feature' } : {}),
  };
  const value = (claim: string) => (claim === 'repo' ? repoPart : claim === 'context' ? context : token[claim]).replaceAll(':', '%3A');
  token.sub =
    form === 'default'
      ? `repo:${repoPart}:${context}`
      : form.map((claim) => (claim === 'context' ? context : `${claim}:${value(claim)}`)).join(':');
  return token;
}

const MAIN = 'refs/heads/main';
const RUNS = {
  push: { event: 'push', ref: MAIN, workflow: 'activeloop.yml' },
  schedule: { event: 'schedule', ref: MAIN, workflow: 'activeloop.yml' },
  dispatch: { event: 'workflow_dispatch', ref: MAIN, workflow: 'activeloop.yml' },
  offboard: { event: 'workflow_dispatch', ref: MAIN, workflow: 'activeloop.yml', environment: 'activeloop-offboarding' },
  pullRequest: { event: 'pull_request', ref: 'refs/pull/7/merge', workflow: 'activeloop.yml' },
  pullRequestTarget: { event: 'pull_request_target', ref: MAIN, workflow: 'activeloop.yml' },
  triageBot: { event: 'pull_request_target', ref: MAIN, workflow: 'triage.yml' },
  commentBot: { event: 'issue_comment', ref: MAIN, workflow: 'comment-bot.yml' },
  release: { event: 'push', ref: MAIN, workflow: 'release.yml' },
  otherEnvironment: { event: 'workflow_dispatch', ref: MAIN, workflow: 'activeloop.yml', environment: 'production' },
  offboardFromBranch: {
    event: 'workflow_dispatch',
    ref: 'refs/heads/feature',
    workflow: 'activeloop.yml',
    environment: 'activeloop-offboarding',
  },
  dispatchOnBranch: { event: 'workflow_dispatch', ref: 'refs/heads/feature', workflow: 'activeloop.yml' },
  pushToBranch: { event: 'push', ref: 'refs/heads/main-old', workflow: 'activeloop.yml' },
  tag: { event: 'push', ref: 'refs/tags/v1', workflow: 'activeloop.yml' },
  callsHelper: {
    event: 'push',
    ref: MAIN,
    workflow: 'activeloop.yml',
    called: 'acme/data-infra/.github/workflows/helper.yml@refs/heads/main',
  },
  releaseCallsActiveloop: {
    event: 'push',
    ref: MAIN,
    workflow: 'release.yml',
    called: 'acme/data-infra/.github/workflows/activeloop.yml@refs/heads/main',
  },
  branchCallsActiveloopOfMain: {
    event: 'push',
    ref: 'refs/heads/feature',
    workflow: 'ci.yml',
    called: 'acme/data-infra/.github/workflows/activeloop.yml@refs/heads/main',
  },
} satisfies Record<string, Run>;

const FORMS: [string, (repo: Repository) => Repository, SubjectForm][] = [
  ['names subject', () => ACME_OLD, 'default'],
  ['immutable subject', () => ACME, 'default'],
  ['customized repo,context,job_workflow_ref (names)', () => ACME_OLD, ['repo', 'context', 'job_workflow_ref']],
  ['customized repo,context,job_workflow_ref (IDs)', () => ACME, ['repo', 'context', 'job_workflow_ref']],
  ['customized repository_owner_id,repository_id', () => ACME, ['repository_owner_id', 'repository_id']],
  [
    'customized ref,repo,job_workflow_ref,repository_owner (names)',
    () => ACME_OLD,
    ['ref', 'repo', 'job_workflow_ref', 'repository_owner'],
  ],
  // Subjects whose first claim is neither `repo` nor a repository claim: Pulumi's documented template, the context
  // first (a pull request's subject is then `pull_request:...`), a workflow or the event first.
  ['customized actor,context,repository_owner (Pulumi’s example)', () => ACME_OLD, ['actor', 'context', 'repository_owner']],
  ['customized context,repository_owner', () => ACME, ['context', 'repository_owner']],
  ['customized context alone', () => ACME, ['context']],
  ['customized workflow,repo', () => ACME, ['workflow', 'repo']],
  ['customized job_workflow_ref,context', () => ACME_OLD, ['job_workflow_ref', 'context']],
  ['customized event_name,repository_id', () => ACME, ['event_name', 'repository_id']],
  ['customized repository_visibility,runner_environment,context', () => ACME, ['repository_visibility', 'runner_environment', 'context']],
];
/** Forms whose subject names the run's context (pull_request, environment, ref): the only place IAM sees a pull request event. */
const carriesContext = (form: SubjectForm) => form === 'default' || form.includes('context');

type Verdict = 'allow' | 'implicit-deny';
/** [run, plan role, apply role, why] for the repository itself. */
const OWN_RUNS: [keyof typeof RUNS, Verdict, Verdict | 'context', string][] = [
  ['push', 'allow', 'allow', 'the workflow file on the default branch'],
  ['schedule', 'allow', 'allow', 'the nightly reconcile runs on the default branch'],
  ['dispatch', 'allow', 'allow', 'run by hand on the default branch'],
  ['offboard', 'allow', 'allow', 'the offboarding environment, from the default branch'],
  ['pullRequest', 'allow', 'implicit-deny', 'a pull request plans (ref refs/pull/N/merge) and never applies'],
  [
    'pullRequestTarget',
    'allow',
    'context',
    'pull_request_target presents the default branch and the same job_workflow_ref: only a subject that names the context says pull_request',
  ],
  ['triageBot', 'allow', 'implicit-deny', 'another workflow file (job_workflow_ref) on the default branch'],
  ['commentBot', 'allow', 'implicit-deny', 'an issue_comment bot: another workflow file'],
  ['release', 'allow', 'implicit-deny', 'a release workflow: another workflow file'],
  ['otherEnvironment', 'allow', 'implicit-deny', 'a job in an environment other than OffboardingEnvironment'],
  ['offboardFromBranch', 'implicit-deny', 'implicit-deny', 'the offboarding environment from another branch'],
  ['dispatchOnBranch', 'implicit-deny', 'implicit-deny', 'run by hand on another branch'],
  ['pushToBranch', 'implicit-deny', 'implicit-deny', 'a branch whose name starts like the default branch'],
  ['tag', 'implicit-deny', 'implicit-deny', 'a tag'],
  ['callsHelper', 'allow', 'implicit-deny', 'a reusable workflow the workflow calls (job_workflow_ref is the callee)'],
  [
    'releaseCallsActiveloop',
    'allow',
    'allow',
    'another workflow of the default branch calling the workflow file as a reusable workflow runs its code: never give it on: workflow_call',
  ],
  ['branchCallsActiveloopOfMain', 'implicit-deny', 'implicit-deny', 'the workflow file of main called from another branch (ref)'],
];

const STACKS: [string, string][] = [
  ['GitHubRepository=acme/data-infra', 'acme/data-infra'],
  ['GitHubRepository=acme@4242/data-infra@90210', 'acme@4242/data-infra@90210'],
];

describe('a customized subject may start with any claim GitHub signs', () => {
  // GitHub's "OpenID Connect reference": the claims of its table (a custom property as repo_property_NAME), and
  // `repo` and `context`, which include_claim_keys also takes.
  const CLAIMS = [
    'actor',
    'actor_id',
    'base_ref',
    'check_run_id',
    'enterprise',
    'enterprise_id',
    'environment',
    'event_name',
    'head_ref',
    'job_workflow_ref',
    'job_workflow_sha',
    'ref',
    'ref_type',
    'ref_protected',
    'repository',
    'repository_id',
    'repository_owner',
    'repository_owner_id',
    'repository_visibility',
    'repo_property_workspace_id',
    'run_id',
    'run_number',
    'run_attempt',
    'runner_environment',
    'sha',
    'workflow',
    'workflow_ref',
    'workflow_sha',
  ];
  const push = claims(ACME, RUNS.push, 'default');
  const signs = (subject: string, run = push) => {
    const trust = trustOf({ GitHubRepository: 'acme@4242/data-infra@90210' });
    const token = { provider: PROVIDER, issuer: ISSUER, claims: { ...run, sub: subject } };
    return [signIn(trust.plan, token), signIn(trust.apply, token)];
  };

  it.each(CLAIMS)('%s first: the push of the workflow file gets both roles', (claim) => {
    expect(signs(`${claim}:x:repository_owner:acme`)).toEqual(['allow', 'allow']);
  });

  it.each([
    ['ref:refs/heads/main:repository_owner:acme', 'allow'],
    ['environment:activeloop-offboarding:repository_owner:acme', 'allow'],
    ['pull_request:repository_owner:acme', 'implicit-deny'],
    ['pull_request', 'implicit-deny'],
  ])('the context first (%s), on the default branch: plan allowed, apply %s', (subject, apply) => {
    expect(signs(subject)).toEqual(['allow', apply]);
  });

  it('still tests sub: a subject of no claim GitHub signs is refused', () => {
    for (const subject of ['octocat:x', 'x', 'pull_requests:x', 'Repo:acme/data-infra:ref:refs/heads/main'])
      expect([subject, signs(subject)]).toEqual([subject, ['implicit-deny', 'implicit-deny']]);
  });
});

describe('an Enterprise Managed User’s repository (jdoe_acme/lake) signs in', () => {
  it.each([
    ['jdoe_acme/lake', false],
    ['jdoe_acme@5151/lake@42', true],
  ])('GitHubRepository=%s', (repository, immutable) => {
    const trust = trustOf({ GitHubRepository: repository });
    const repo: Repository = { owner: 'jdoe_acme', ownerId: '5151', name: 'lake', id: '42', immutable };
    const sign = (run: Run) => {
      const token = { provider: PROVIDER, issuer: ISSUER, claims: claims(repo, run, 'default') };
      return [signIn(trust.plan, token), signIn(trust.apply, token)];
    };
    expect([sign(RUNS.push), sign(RUNS.pullRequest)]).toEqual([
      ['allow', 'allow'],
      ['allow', 'implicit-deny'],
    ]);
    const other = { ...repo, owner: 'jdoe-acme' };
    expect(signIn(trust.plan, { provider: PROVIDER, issuer: ISSUER, claims: claims(other, RUNS.push, 'default') })).toBe('implicit-deny');
  });
});

describe.each(STACKS)('%s: the repository’s own runs', (_stack, repository) => {
  const trust = trustOf({ GitHubRepository: repository });
  const rows = FORMS.flatMap(([form, repoOf, subject]) =>
    OWN_RUNS.map(
      ([run, plan, apply, why]) =>
        [
          form,
          run,
          plan,
          apply === 'context' ? (carriesContext(subject) ? 'implicit-deny' : 'allow') : apply,
          why,
          repoOf,
          subject,
        ] as const,
    ),
  );
  it.each(rows)('%s, %s: plan %s, apply %s (%s)', (_form, run, plan, apply, _why, repoOf, subject) => {
    const token = { provider: PROVIDER, issuer: ISSUER, claims: claims(repoOf(ACME), RUNS[run], subject) };
    expect([signIn(trust.plan, token), signIn(trust.apply, token)]).toEqual([plan, apply]);
  });
});

/** A repository that must never sign in, and its token (the push of activeloop.yml to main: what apply trusts). */
const STRANGERS: [string, Repository, boolean][] = [
  ['a look-alike name (acme/data-infra2)', { ...ACME, name: 'data-infra2', id: '90211' }, false],
  ['a look-alike owner (acme-x/data-infra)', { ...ACME, owner: 'acme-x', ownerId: '5151', id: '90212' }, false],
  ['another owner (evil/data-infra)', { ...ACME, owner: 'evil', ownerId: '6666', id: '90213' }, false],
  ['the name in another case (Acme/Data-Infra: IAM compares case-sensitively)', { ...ACME, owner: 'Acme', name: 'Data-Infra' }, false],
  ['a prefix of the name (acme/data)', { ...ACME, name: 'data', id: '90214' }, false],
  // Deleted and recreated under the same names: only the IDs tell it apart.
  ['a namesake (same names, other repository ID)', { ...ACME, id: '777777' }, true],
  ['a namesake (same names, other owner and repository IDs)', { ...ACME, ownerId: '8888', id: '777778' }, true],
];

describe('other repositories never sign in', () => {
  const byNames = trustOf({ GitHubRepository: 'acme/data-infra' });
  const byIds = trustOf({ GitHubRepository: 'acme@4242/data-infra@90210' });
  const runs: (keyof typeof RUNS)[] = ['push', 'pullRequest', 'schedule', 'offboard'];
  const rows = STRANGERS.flatMap(([who, repo, namesake]) =>
    FORMS.flatMap(([form, , subject]) =>
      [true, false].flatMap((immutable) => runs.map((run) => [who, form, immutable, run, repo, namesake, subject] as const)),
    ),
  );
  it.each(rows)('%s, %s (IDs in subject: %s), %s', (_who, _form, immutable, run, repo, namesake, subject) => {
    const token = { provider: PROVIDER, issuer: ISSUER, claims: claims({ ...repo, immutable }, RUNS[run], subject) };
    // With IDs in GitHubRepository nothing but the repository itself gets in.
    expect([signIn(byIds.plan, token), signIn(byIds.apply, token)]).toEqual(['implicit-deny', 'implicit-deny']);
    // With names only, a namesake is the repository as far as GitHub's claims can tell (README: use the IDs form).
    const byNamesVerdict = namesake ? ['allow', run === 'pullRequest' ? 'implicit-deny' : 'allow'] : ['implicit-deny', 'implicit-deny'];
    expect([signIn(byNames.plan, token), signIn(byNames.apply, token)]).toEqual(byNamesVerdict);
  });

  it('refuses another audience, another issuer’s provider, and a token without the claims', () => {
    const token = claims(ACME, RUNS.push, 'default');
    for (const role of [byIds.plan, byIds.apply, byNames.plan, byNames.apply]) {
      expect(signIn(role, { provider: PROVIDER, issuer: ISSUER, claims: { ...token, aud: 'https://github.com/acme' } })).toBe(
        'implicit-deny',
      );
      const other = 'token.actions.githubusercontent.com/acme-enterprise';
      expect(signIn(role, { provider: `arn:aws:iam::123456789012:oidc-provider/${other}`, issuer: other, claims: token })).toBe(
        'implicit-deny',
      );
      const { repository: _r, repository_id: _i, ...bare } = token;
      expect(signIn(role, { provider: PROVIDER, issuer: ISSUER, claims: bare })).toBe('implicit-deny');
    }
  });
});

describe('OffboardingEnvironment empty: no job in an environment gets the apply role', () => {
  const trust = trustOf({ GitHubRepository: 'acme/data-infra', OffboardingEnvironment: '' });
  it.each(FORMS)('%s', (_form, repoOf, subject) => {
    const sign = (run: Run) => signIn(trust.apply, { provider: PROVIDER, issuer: ISSUER, claims: claims(repoOf(ACME), run, subject) });
    expect([sign(RUNS.push), sign(RUNS.offboard), sign(RUNS.otherEnvironment)]).toEqual(['allow', 'implicit-deny', 'implicit-deny']);
  });
});

describe('WorkflowFile and DefaultBranch choose what the apply role trusts', () => {
  const trust = trustOf({ GitHubRepository: 'acme/data-infra', WorkflowFile: '.github/workflows/iam.yaml', DefaultBranch: 'trunk' });
  it.each([
    [{ event: 'push', ref: 'refs/heads/trunk', workflow: 'iam.yaml' }, 'allow'],
    [{ event: 'push', ref: 'refs/heads/trunk', workflow: 'activeloop.yml' }, 'implicit-deny'],
    [{ event: 'push', ref: MAIN, workflow: 'iam.yaml' }, 'implicit-deny'],
  ] as [Run, Verdict][])('%j: %s', (run, verdict) => {
    expect(signIn(trust.apply, { provider: PROVIDER, issuer: ISSUER, claims: claims(ACME, run, 'default') })).toBe(verdict);
  });
});

describe('IAM accepts every trust policy of the template, and each fits its quota', () => {
  const worst = {
    GitHubRepository: `${'o'.repeat(39)}@${'9'.repeat(20)}/${'r'.repeat(100)}@${'9'.repeat(20)}`,
    WorkflowFile: `.github/workflows/${'w'.repeat(MAX_WORKFLOW_FILE_NAME - 5)}.yaml`,
    DefaultBranch: 'b'.repeat(MAX_BRANCH),
    OffboardingEnvironment: 'e'.repeat(MAX_ENVIRONMENT),
    GitHubOidcIssuer: `${ISSUER}/${'s'.repeat(MAX_ISSUER - ISSUER.length - 1)}`,
  };

  it('the worst case really is the longest value each pattern admits', () => {
    for (const [name, value] of Object.entries(worst)) {
      const p = PARAMETERS[name as keyof typeof PARAMETERS] as { AllowedPattern: string; MaxLength?: number };
      expect([name, new RegExp(p.AllowedPattern).test(value)]).toEqual([name, true]);
      expect([name, new RegExp(p.AllowedPattern).test(`${value}x`) && (p.MaxLength ?? Infinity) > value.length]).toEqual([name, false]);
    }
  });

  it.each(PARTITIONS)(`in %s: each trust policy has at most ${TRUST_POLICY_MAX_CHARS} characters without whitespace`, (partition) => {
    const stack = resolveTemplate(template, { Buckets: 'ml-datasets', ...worst }, { partition });
    const sizes = Object.fromEntries(Object.entries(stack.trust).map(([role, doc]) => [role, policySize(doc)]));
    expect(Object.values(sizes).every((size) => size <= TRUST_POLICY_MAX_CHARS)).toBe(true);
    expect(Object.keys(sizes).sort()).toEqual(['ApplyRole', 'PlanRole']);
  });

  it.each([
    ['acme/data-infra', ISSUER, ''],
    ['acme@4242/data-infra@90210', 'token.actions.octocorp.ghe.com', 'activeloop-offboarding'],
    ['acme/data-infra', `${ISSUER}/acme-enterprise`, ''],
  ])('%s via %s: tests sub, never lets every subject in, and uses only condition keys IAM has', (repository, issuer, environment) => {
    const stack = resolveTemplate(template, {
      Buckets: 'ml-datasets',
      GitHubRepository: repository,
      GitHubOidcIssuer: issuer,
      OffboardingEnvironment: environment,
    });
    for (const doc of Object.values(stack.trust)) expect(trustPolicyProblems(doc, issuer)).toEqual([]);
    // Every subject pattern starts with a literal claim, and the first names the repository.
    for (const doc of Object.values(stack.trust) as { Statement: { Condition: { StringLike: Record<string, string[]> } }[] }[]) {
      const subjects = doc.Statement[0].Condition.StringLike[`${issuer}:sub`];
      expect(subjects[0]).toBe(`repo:${repository.replace(/@\d+/g, '')}:*`);
      expect(subjects.filter((p) => !/^[a-z_]+[:*]|^pull_request$/.test(p))).toEqual([]);
    }
  });

  it('the evaluator sees the claims IAM lists for GitHub, and no other', () => {
    expect([...claimsIamTests(ISSUER)].sort()).toEqual(
      expect.arrayContaining(['aud', 'environment', 'job_workflow_ref', 'ref', 'repository', 'repository_id', 'sub']),
    );
    expect(claimsIamTests(ISSUER).has('event_name')).toBe(false);
    expect(claimsIamTests(ISSUER).has('workflow_ref')).toBe(false);
    // GitHub Enterprise Server's issuer: IAM knows no GitHub claim there, which is why the pattern refuses it.
    expect([...claimsIamTests('ghes.example.com/_services/token')].sort()).toEqual(['aud', 'sub']);
    expect(new RegExp(PARAMETERS.GitHubOidcIssuer.AllowedPattern).test('ghes.example.com/_services/token')).toBe(false);
  });

  it('the evaluator refuses a trust policy without a sub condition, or with sub *, as IAM does', () => {
    const only = (condition: object) => ({
      Statement: [{ Effect: 'Allow', Principal: { Federated: PROVIDER }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: condition }],
    });
    expect(trustPolicyProblems(only({ StringEquals: { [`${ISSUER}:aud`]: 'sts.amazonaws.com' } }), ISSUER)).toHaveLength(1);
    expect(trustPolicyProblems(only({ StringLike: { [`${ISSUER}:sub`]: '*' } }), ISSUER)).toHaveLength(1);
    expect(
      trustPolicyProblems(only({ StringLike: { [`${ISSUER}:sub`]: 'repo:a/b:*', [`${ISSUER}:event_name`]: 'push' } }), ISSUER),
    ).toEqual([`statement 1: IAM has no condition key ${ISSUER}:event_name`]);
    expect(() => signIn(only({ StringLikeOrSo: { [`${ISSUER}:sub`]: 'x' } }), { provider: PROVIDER, issuer: ISSUER, claims: {} })).toThrow(
      /cannot decide/,
    );
  });
});

describe('iam-simulate agrees on the GitHub claims (it knows no sub or aud for GitHub, so both are left out of both sides)', () => {
  const withoutSubAndAud = (doc: Trust): Trust =>
    JSON.parse(JSON.stringify(doc), (_key, value) =>
      value && typeof value === 'object' && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value).filter(([k]) => !/:(sub|aud)$/.test(k)))
        : value,
    );
  const cases = STACKS.flatMap(([stack, repository]) =>
    (Object.keys(RUNS) as (keyof typeof RUNS)[]).flatMap((run) =>
      [ACME, { ...ACME, id: '777777' }, { ...ACME, name: 'data-infra2' }].map(
        (repo) => [stack, run, repo.name, repo.id, repo, repository] as const,
      ),
    ),
  );
  it.each(cases)('%s: %s from %s (%s)', async (_stack, run, _name, _id, repo, repository) => {
    const trust = trustOf({ GitHubRepository: repository });
    const token = claims(repo, RUNS[run], 'default');
    for (const role of [trust.plan, trust.apply]) {
      const policy = withoutSubAndAud(role);
      const ours = signIn(policy, { provider: PROVIDER, issuer: ISSUER, claims: token });
      const response = await runSimulation(
        {
          identityPolicies: [],
          serviceControlPolicies: [],
          resourceControlPolicies: [],
          resourcePolicy: policy,
          request: {
            action: 'sts:AssumeRoleWithWebIdentity',
            principal: PROVIDER,
            resource: {
              accountId: '123456789012',
              resource: 'arn:aws:iam::123456789012:role/activeloop-role-action-deployer/activeloop-apply',
            },
            contextVariables: Object.fromEntries(
              Object.entries(token)
                .filter(([claim]) => claimsIamTests(ISSUER).has(claim))
                .map(([claim, value]) => [`${ISSUER}:${claim}`, value]),
            ),
          },
        } as Parameters<typeof runSimulation>[0],
        {},
      );
      const theirs = response.resultType === 'error' ? JSON.stringify(response.errors) : response.overallResult;
      expect(theirs).toBe(ours === 'allow' ? 'Allowed' : 'ImplicitlyDenied');
    }
  });
});
