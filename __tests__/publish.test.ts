// The publishing decisions, each a pure function: which mode runs and why, when the step fails, when the
// PR comment is kept, and what happens to the drift issue.
import { describe, expect, it } from '@jest/globals';
import type { Change } from '../src/changes.js';
import { autoMode, type Mode, readInputs } from '../src/inputs.js';
import { planChanges } from '../src/plan.js';
import { checkFailures, commentsOnPullRequest, driftFailure, driftIssueStep, failureReport, modeLine, runUrl } from '../src/publish.js';
import { desiredFor, liveAfterApply } from './fixtures.js';

describe('mode: auto by event', () => {
  it.each([
    ['pull_request', undefined, 'plan'],
    ['pull_request_target', undefined, 'plan'],
    ['merge_group', undefined, 'plan'],
    ['push', undefined, 'apply'],
    ['schedule', undefined, 'apply'],
    ['workflow_dispatch', undefined, 'apply'],
    ['workflow_dispatch', '', 'apply'],
    ['workflow_dispatch', 'auto', 'apply'],
    ['workflow_dispatch', 'plan', 'plan'],
    ['workflow_dispatch', 'plan-destroy', 'plan-destroy'],
    ['workflow_dispatch', 'destroy', 'destroy'],
  ] as const)('%s (dispatch mode %s) → %s', (name, dispatchMode, mode) => {
    const choice = autoMode({ name, dispatchMode });
    expect(choice.mode).toBe(mode);
    expect(choice.reason).toContain(name);
  });

  it.each(['issues', 'release', 'workflow_run', ''])('refuses the event %j, naming the input mode', (name) => {
    expect(() => autoMode({ name })).toThrow(/^Input 'mode': auto picks the mode by the workflow's event/);
  });

  it('refuses an unknown dispatch mode input', () => {
    expect(() => autoMode({ name: 'workflow_dispatch', dispatchMode: 'nuke' })).toThrow(
      /^Input 'mode': mode is auto, and the workflow_dispatch event's own 'mode' input must be exactly one of/,
    );
  });

  it.each(['destroy ', ' plan', 'Destroy'])('refuses the dispatch mode %j, which is not exactly a choice, naming it', (dispatchMode) => {
    expect(() => autoMode({ name: 'workflow_dispatch', dispatchMode })).toThrow(
      `Input 'mode': mode is auto, and the workflow_dispatch event's own 'mode' input must be exactly one of auto, apply, plan, destroy, plan-destroy, as written (no spaces) (got "${dispatchMode}")`,
    );
  });

  it('reads the event from the runner when mode is auto, and says why in the log line', () => {
    const values: Record<string, string> = { buckets: 'ml-datasets', mode: 'auto' };
    const picked = readInputs((name) => values[name] ?? '', { GITHUB_EVENT_NAME: 'pull_request' });
    expect(picked.mode).toBe('plan');
    expect(picked.modeChoice.requested).toBe('auto');
    const pr = modeLine(autoMode({ name: 'pull_request' }));
    expect(pr).toBe('mode: auto picked plan: the event is pull_request: a change under review is planned, never applied.');
    expect(modeLine({ mode: 'apply', requested: 'apply', reason: 'set by the mode input' })).toBe('mode: apply (set by the mode input).');
  });
});

describe('driftFailure (fail-on-drift): only drift fails, never an input change', () => {
  const inSync = liveAfterApply(desiredFor({ buckets: 'ml-datasets' }));
  const inputChange = planChanges(desiredFor({ buckets: 'ml-datasets\nnew-bucket' }), inSync, { adopt: false }).changes;
  const fresh = planChanges(desiredFor(), { policies: [] }, { adopt: false }).changes;
  const drifted: Change[] = inputChange.map((c) => ({ ...c, drift: true }));

  it.each([
    ['plan', false, 'repaired drift', drifted, false],
    ['plan', true, 'nothing', [], false],
    ['plan', true, 'a new role', fresh, false],
    ['plan', true, 'an input change', inputChange, false],
    ['plan', true, 'drift', drifted, true],
    ['apply', true, 'a new role', fresh, false],
    ['apply', true, 'an input change', inputChange, false],
    ['apply', true, 'repaired drift', drifted, true],
    ['apply', false, 'repaired drift', drifted, false],
    ['destroy', true, 'drift', drifted, false],
    ['plan-destroy', true, 'drift', drifted, false],
  ] as const)('%s, fail-on-drift %s, %s: fails = %s', (mode, on, _what, changes, fails) => {
    expect(inputChange.length).toBeGreaterThan(0);
    expect(inputChange.every((c) => !c.drift)).toBe(true);
    const message = driftFailure(mode, on, 'r', changes as Change[]);
    expect(message !== undefined).toBe(fails);
    if (message) expect(message).toMatch(/^fail-on-drift: the role r (had|has) drifted \(changed outside this action\)/);
  });
});

describe('checkFailures', () => {
  const blocked = [{ bucket: 'b', verdicts: { list: { state: 'blocked', reason: 'denied' } } }] as never;
  it('lists fail-on-drift and access-check: fail, and nothing under warn', () => {
    const drift = [{ action: 'tag-role', resource: 'arn:r', reason: 'x', drift: true, roleName: 'r', tags: {} }] as Change[];
    const on = { mode: 'apply' as Mode, failOnDrift: true, roleName: 'r', accessCheck: 'fail' as const };
    expect(checkFailures(on, drift, []).length).toBe(1);
    expect(checkFailures(on, [], blocked)).toEqual([expect.stringMatching(/^access-check: Activeloop cannot fully use 1 bucket\(s\): b/)]);
    expect(checkFailures({ ...on, failOnDrift: false, accessCheck: 'warn' }, drift, blocked)).toEqual([]);
  });
});

describe('driftIssueStep (spec behaviour 12)', () => {
  it.each([
    ['schedule', 'apply', true, false, 'open-or-update'],
    // A run that repaired the drift still tells people it happened; so does one whose repair failed.
    ['schedule', 'apply', true, true, 'open-or-update'],
    ['schedule', 'plan', true, false, 'open-or-update'],
    ['schedule', 'apply', false, false, 'close'],
    ['schedule', 'plan', false, false, 'close'],
    ['schedule', 'apply', false, true, 'none'],
    ['schedule', 'destroy', true, false, 'none'],
    ['schedule', 'plan-destroy', false, false, 'none'],
    ['push', 'apply', true, false, 'none'],
    ['workflow_dispatch', 'apply', true, false, 'none'],
    ['pull_request', 'plan', true, false, 'none'],
  ] as const)('%s, %s, drift %s, failed %s → %s', (name, mode, driftFound, failed, step) => {
    expect(driftIssueStep({ name, mode, driftFound, failed })).toBe(step);
  });
});

describe('commentsOnPullRequest', () => {
  it.each([
    ['pull_request', 'plan', true, true],
    ['pull_request_target', 'plan', true, true],
    ['pull_request', 'plan', false, false],
    ['pull_request', 'apply', true, false],
    ['merge_group', 'plan', true, false],
    ['schedule', 'plan', true, false],
  ] as const)('%s, %s, pr-comment %s → %s', (event, mode, on, comments) => {
    expect(commentsOnPullRequest(event, mode, on)).toBe(comments);
  });
});

describe('failure report and run link', () => {
  it('leads with a red mark and the reason, so no earlier green plan survives', () => {
    const body = failureReport(
      'r',
      "Input 'buckets': 1 bucket(s) could not be read:\n- typo-bucket: the bucket does not exist (NoSuchBucket)",
    );
    expect(body).toMatch(/^### Activeloop role: `r`\n\n❌ The check failed/);
    expect(body).toContain('typo-bucket: the bucket does not exist (NoSuchBucket)');
    expect(body).not.toContain('In sync');
  });

  it('links the run from the runner variables', () => {
    expect(runUrl({ GITHUB_REPOSITORY: 'o/r', GITHUB_RUN_ID: '7' })).toBe('https://github.com/o/r/actions/runs/7');
    expect(runUrl({ GITHUB_REPOSITORY: 'o/r', GITHUB_RUN_ID: '7', GITHUB_SERVER_URL: 'https://ghe.example' })).toBe(
      'https://ghe.example/o/r/actions/runs/7',
    );
    expect(runUrl({})).toBeUndefined();
  });
});

describe('the drift issue marker', () => {
  it('tells apart roles of one name in two accounts, without showing the account', async () => {
    const { issueMarker } = await import('../src/drift-issue.js');
    const a = issueMarker('r', 'arn:aws:iam::111111111111:role/r');
    const b = issueMarker('r', 'arn:aws:iam::222222222222:role/r');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^<!-- activeloop-role-action:drift-issue:role=r:[0-9a-f]{8} -->$/);
  });
});
