// The many-account example stays true to the accounts sub-action: its settings list is valid, every `with:` of the
// sub-action is a declared input, and every matrix value the jobs read is one the matrix holds.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { accountsMatrix, parseAccounts } from '../src/accounts.js';

const read = (file: string) => readFileSync(file, 'utf8');
const subAction = parse(read('accounts/action.yml')) as { inputs: Record<string, unknown>; runs: { using: string; main: string } };
const text = read('examples/multi-account.yml');
type Step = { id?: string; uses?: string; with?: Record<string, string>; if?: string };
type Job = {
  steps: Step[];
  strategy?: { 'fail-fast': boolean; matrix: string };
  needs?: string | string[];
  if?: string;
  environment?: string;
  outputs?: Record<string, string>;
};
const workflow = parse(text) as {
  on: { workflow_dispatch: { inputs: Record<string, { options?: string[] }> } };
  jobs: Record<string, Job>;
};
const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
const subActionSteps = steps.filter((s) => s.uses?.startsWith('org/activeloop-role-action/accounts@'));

describe('accounts/action.yml', () => {
  it('runs the bundled dist/accounts/index.js on node24', () => {
    expect(subAction.runs).toEqual({ using: 'node24', main: '../dist/accounts/index.js' });
  });
});

describe('examples/multi-account.yml', () => {
  it('holds a valid settings list', () => {
    const accounts = parseAccounts(subActionSteps[0].with?.accounts ?? '');
    expect(accounts.map((a) => a.account)).toEqual(['111111111111', '222222222222']);
  });

  it('uses only declared inputs of the sub-action', () => {
    expect(subActionSteps.map((s) => s.with?.task ?? 'matrix')).toEqual(['matrix', 'record', 'record', 'summary']);
    for (const s of subActionSteps)
      for (const key of Object.keys(s.with ?? {})) expect([key, key in subAction.inputs]).toEqual([key, true]);
  });

  it('reads only values the matrix holds', () => {
    const keys = Object.keys(accountsMatrix(parseAccounts('- {account: "111111111111", buckets: lake-one}')).include[0]);
    const used = [...new Set([...text.matchAll(/matrix\.([a-z-]+)/g)].map((m) => m[1]))];
    expect(used.filter((k) => !keys.includes(k))).toEqual([]);
  });

  it('runs one job per account that fail apart, records each result, and sums up even when accounts fail', () => {
    const { activeloop, summary } = workflow.jobs;
    expect(activeloop.strategy?.['fail-fast']).toBe(false);
    expect(activeloop.strategy?.matrix).toBe(`$${'{{'} fromJSON(needs.accounts.outputs.matrix) }}`);
    const role = activeloop.steps.find((s) => s.id === 'role');
    expect(role?.with?.['pr-comment']).toBe(false);
    expect(activeloop.steps.slice(1).every((s) => s.if === 'always()')).toBe(true);
    // Also when the settings list failed: the summary then says so in the one comment.
    expect(summary.if).toBe('always()');
    const summaryStep = summary.steps.find((s) => s.with?.task === 'summary');
    expect(summaryStep?.with?.['settings-result']).toBe(`$${'{{'} needs.accounts.result }}`);
    expect(summaryStep?.with?.['settings-job']).toBe(`$${'{{'} needs.accounts.outputs.check-run-id }}`);
    expect(workflow.jobs.accounts.outputs?.['check-run-id']).toBe(`$${'{{'} steps.accounts.outputs.check-run-id }}`);
    expect(subActionSteps[0].with?.job).toBe(`$${'{{'} toJSON(job) }}`);
  });

  it('passes every step small inputs: never a whole step context or the matrix (each input is one environment variable)', () => {
    const values = steps.flatMap((s) => Object.values(s.with ?? {}).map(String));
    expect(values.filter((v) => /toJSON\(steps|outputs\.matrix|outputs\.access/.test(v))).toEqual([]);
    const summaryStep = workflow.jobs.summary.steps.find((s) => s.with?.task === 'summary');
    expect(summaryStep?.with?.names).toBe(`$${'{{'} needs.accounts.outputs.names }}`);
    expect(summaryStep?.with?.matrix).toBeUndefined();
    for (const record of subActionSteps.filter((s) => s.with?.task === 'record'))
      expect(Object.keys(record.with ?? {}).sort()).toEqual(['account', 'changed', 'job', 'outcome', 'plan', 'role-arn', 'task']);
  });

  it("signs in with the partition's audience", () => {
    for (const job of [workflow.jobs.activeloop, workflow.jobs.offboard])
      expect(job.steps.find((s) => s.id === 'role')?.with?.audience).toBe(`$${'{{'} matrix.audience }}`);
  });

  it('offboards only by hand, in the protected environment, per account or all', () => {
    const { activeloop, offboard } = workflow.jobs;
    expect(workflow.on.workflow_dispatch.inputs.mode.options).toEqual(['auto', 'plan', 'plan-destroy', 'destroy']);
    expect(offboard.environment).toBe('activeloop-offboarding');
    expect(offboard.if).toBe("github.event_name == 'workflow_dispatch' && inputs.mode == 'destroy' && inputs.account != ''");
    expect(activeloop.if).toBe("github.event_name != 'workflow_dispatch' || inputs.mode != 'destroy'");
    expect(offboard.steps.find((s) => s.id === 'role')?.with?.['role-to-assume']).toBe(`$${'{{'} matrix.apply-role }}`);
    expect(subActionSteps[0].with?.['only-account']).toBe(`$${'{{'} inputs.account }}`);
    expect(offboard.strategy?.['fail-fast']).toBe(false);
  });
});

/** The shell commands of a Markdown file's sh blocks, continuation lines joined. */
function commands(file: string): string[] {
  return [...read(file).matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((m) => m[1].replace(/\\\n\s*/g, ' ').split('\n'))
    .map((l) => l.trim())
    .filter((l) => l.startsWith('aws '));
}
const stackSetCommands = [...commands('docs/organizations.md'), ...commands('README.md')].filter((c) => /stack-(set|instances)/.test(c));

describe('the StackSet commands (docs/organizations.md, README)', () => {
  it('escape every comma of a parameter value inside quotes: the CLI shorthand splits on a bare one', () => {
    expect(stackSetCommands.length).toBeGreaterThan(6);
    for (const c of stackSetCommands)
      for (const value of c.matchAll(/ParameterValue=([^ ']*)/g)) expect([c, value[1]]).toEqual([c, value[1].replace(/(?<!\\),/g, '')]);
    expect(read('docs/organizations.md')).toContain("'ParameterKey=Buckets,ParameterValue=prod-features\\,prod-raw'");
  });

  it("read the template the README's setup downloads", () => {
    const download = /curl -fsSLO \S+\/(activeloop-deployer\.yml)/.exec(read('README.md'))?.[1];
    expect(download).toBe('activeloop-deployer.yml');
    for (const c of stackSetCommands.filter((x) => x.includes('create-stack-set')))
      expect(c).toContain(`--template-body file://${download} `);
  });

  it('create instances in parallel, one failing account stopping no other', () => {
    for (const c of stackSetCommands.filter((x) => x.includes('create-stack-instances')))
      expect(c).toContain(
        '--operation-preferences FailureTolerancePercentage=100,MaxConcurrentPercentage=100,RegionConcurrencyType=PARALLEL',
      );
  });

  it('give accounts that have an OIDC provider CreateOidcProvider=false at creation, and the others the StackSet value', () => {
    const creates = commands('docs/organizations.md').filter(
      (c) => c.includes('create-stack-instances') && c.includes('OrganizationalUnitIds'),
    );
    const intersection = creates.find((c) => c.includes('AccountFilterType=INTERSECTION'));
    const difference = creates.find((c) => c.includes('AccountFilterType=DIFFERENCE'));
    expect(intersection).toContain('--parameter-overrides ParameterKey=CreateOidcProvider,ParameterValue=false');
    expect(difference).not.toContain('--parameter-overrides');
  });

  it('agree with the example: ManageCors=true where an account sets cors: true, and the offboarding environment', () => {
    const usesCors = parseAccounts(subActionSteps[0].with?.accounts ?? '').some((a) => a.cors);
    expect(usesCors).toBe(true);
    for (const c of stackSetCommands.filter((x) => x.includes('create-stack-set'))) {
      expect(c).toContain('ParameterKey=ManageCors,ParameterValue=true');
      expect(c).toContain('ParameterKey=OffboardingEnvironment,ParameterValue=activeloop-offboarding');
      expect(c).toContain("'ParameterKey=Buckets,ParameterValue=*'");
    }
  });
});
