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
type Job = { steps: Step[]; strategy?: { 'fail-fast': boolean; matrix: string }; needs?: string | string[]; if?: string };
const workflow = parse(text) as { jobs: Record<string, Job> };
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
    expect(subActionSteps.map((s) => s.with?.task ?? 'matrix')).toEqual(['matrix', 'record', 'summary']);
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
    expect(summary.if).toMatch(/^always\(\)/);
  });
});
