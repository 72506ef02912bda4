// The organization at a glance: every account of the matrix, from the records its jobs left.
import { describe, expect, it } from '@jest/globals';
import {
  type AccountResult,
  accountResult,
  MAX_PLAN_ENTRIES,
  markdownText,
  renderOrganizationSummary,
  renderSettingsFailure,
  statusOf,
} from '../src/organization-summary.js';
import type { PlanEntry } from '../src/report.js';

const step = (outcome: string, outputs: { plan?: string; 'role-arn'?: string; changed?: string } = {}) => ({
  outcome,
  changed: outputs.changed,
  plan: outputs.plan,
  roleArn: outputs['role-arn'],
});
const change: PlanEntry = {
  action: 'update-policy',
  resource: 'arn:aws:iam::222222222222:policy/activeloop-deeplake-access-s3',
  reason: 'the bucket list changed',
  drift: false,
};

describe('an account record', () => {
  it("reads the action step's outcome, role ARN and plan output", () => {
    const r = accountResult(
      '222222222222',
      step('success', { 'role-arn': 'arn:aws:iam::222222222222:role/x', plan: JSON.stringify([change]) }),
      'https://github.com/o/r/actions/runs/1/job/9',
    );
    expect(r).toEqual({
      account: '222222222222',
      outcome: 'success',
      changed: true,
      roleArn: 'arn:aws:iam::222222222222:role/x',
      plan: [change],
      jobUrl: 'https://github.com/o/r/actions/runs/1/job/9',
    });
    expect(statusOf(r)).toBe('changes');
  });

  it('a failed step without outputs is failed, with nothing listed', () => {
    const r = accountResult('333333333333', step('failure'));
    expect(r.plan).toEqual([]);
    expect(statusOf(r)).toBe('failed');
    expect(statusOf(undefined)).toBe('no-result');
  });

  it('refuses what is not a step outcome', () => {
    expect(() => accountResult('111111111111', step('{"outcome":"success"}'))).toThrow("Input 'outcome'");
    expect(() => accountResult('111111111111', step(''))).toThrow('steps.<id>.outcome');
    // A plan output that is not a list of changes lists none, rather than failing the record; changed still tells.
    expect(accountResult('111111111111', step('success', { plan: '{"x":1}' })).plan).toEqual([]);
    expect(statusOf(accountResult('111111111111', step('success', { plan: 'not json', changed: 'true' })))).toBe('changes');
  });

  it('keeps what it shows bounded and in shape: 50 changes, 500 characters, a role ARN, an https job link', () => {
    const many = Array.from({ length: 80 }, (_, i) => ({ ...change, reason: `${'x'.repeat(900)}${i}` }));
    const r = accountResult(
      '111111111111',
      step('success', { plan: JSON.stringify([...many, { ...change, action: '<img src=x>' }]), 'role-arn': 'arn:aws:iam::1:role/`x`' }),
      'javascript:alert(1)',
    );
    expect(r.plan).toHaveLength(MAX_PLAN_ENTRIES);
    expect(r.more).toBe(80 - MAX_PLAN_ENTRIES);
    expect(r.plan[0].reason).toHaveLength(500);
    expect(r.roleArn).toBe('');
    expect(r.jobUrl).toBeUndefined();
    expect(
      renderOrganizationSummary([{ account: '111111111111', name: 'lake' }], new Map([['111111111111', r]]), { planning: true }),
    ).toContain(`- and ${80 - MAX_PLAN_ENTRIES} more`);
  });
});

describe('the summary', () => {
  const accounts = [
    { account: '111111111111', name: 'research' },
    { account: '222222222222', name: 'production' },
    { account: '333333333333', name: 'staging' },
    { account: '444444444444', name: '444444444444' },
  ];
  const results = new Map<string, AccountResult>([
    ['111111111111', accountResult('111111111111', step('success', { plan: '[]' }), 'https://github.com/o/r/actions/runs/1/job/1')],
    [
      '222222222222',
      accountResult(
        '222222222222',
        step('success', { plan: JSON.stringify([change, { ...change, action: 'update-trust-policy', drift: true }]) }),
      ),
    ],
    ['333333333333', accountResult('333333333333', step('failure'), 'https://github.com/o/r/actions/runs/1/job/3')],
  ]);

  it('lists every account of the matrix: in sync, changes, failed, and one whose job left no record', () => {
    const md = renderOrganizationSummary(accounts, results, { planning: true, runUrl: 'https://github.com/o/r/actions/runs/1' });
    expect(md).toContain('### Activeloop roles in 4 accounts');
    expect(md).toContain('1 in sync · 1 with changes planned · 2 failed or without a result');
    expect(md).toContain('| research (`111111111111`) | ✅ in sync | [job](https://github.com/o/r/actions/runs/1/job/1) |');
    expect(md).toContain('| production (`222222222222`) | 📝 2 changes planned, drift | [job](https://github.com/o/r/actions/runs/1) |');
    expect(md).toContain('| staging (`333333333333`) | ❌ failed | [job](https://github.com/o/r/actions/runs/1/job/3) |');
    expect(md).toContain('| `444444444444` | ❔ no result');
    // A section per account with changes, listing each.
    expect(md).toContain('#### production (`222222222222`)');
    expect(md).toContain(
      '- `update-trust-policy` arn:aws:iam::222222222222:policy/activeloop-deeplake-access-s3: the bucket list changed **(drift)**',
    );
    expect(md).not.toContain('#### research');
  });

  it('says made, not planned, outside pull requests', () => {
    expect(renderOrganizationSummary(accounts, results, { planning: false })).toContain('📝 2 changes made, drift');
  });

  it('keeps the table whole when a reason holds a pipe or a newline', () => {
    const odd = new Map([
      ['111111111111', { ...accountResult('111111111111', step('success')), plan: [{ ...change, reason: 'a | b\nc' }] }],
    ]);
    expect(renderOrganizationSummary(accounts.slice(0, 1), odd, { planning: true })).toContain(': a \\| b c');
  });

  it('escapes Markdown and HTML in every value from outputs or settings', () => {
    const hostile = '<img src=x onerror=alert(1)> [click](https://evil.example) ![i](x) **b** `c` ~~d~~ a|b';
    const md = renderOrganizationSummary(
      [{ account: '111111111111', name: hostile }],
      new Map([
        ['111111111111', { ...accountResult('111111111111', step('success')), plan: [{ ...change, resource: hostile, reason: hostile }] }],
      ]),
      { planning: true },
    );
    expect(md).not.toContain('<img');
    expect(md).not.toContain('](https://evil');
    expect(md).not.toContain('**b**');
    expect(md).toContain(
      '&lt;img src=x onerror=alert\\(1\\)&gt; \\[click\\]\\(https://evil.example\\) \\!\\[i\\]\\(x\\) \\*\\*b\\*\\* \\`c\\` \\~\\~d\\~\\~ a\\|b',
    );
    expect(markdownText('a\u0007b\r\nc')).toBe('a b c');
  });
});

describe('a settings list that failed', () => {
  it('says so, with a link to its job, instead of any account table', () => {
    const md = renderSettingsFailure('failure', 'https://github.com/o/r/actions/runs/1/job/7');
    expect(md).toContain('### Activeloop roles: the settings list failed validation');
    expect(md).toContain('([its job](https://github.com/o/r/actions/runs/1/job/7))');
    expect(md).not.toContain('| account |');
    expect(renderSettingsFailure('cancelled')).toContain('did not complete (cancelled)');
    expect(renderSettingsFailure('failure', 'javascript:x')).not.toContain('javascript');
  });
});
