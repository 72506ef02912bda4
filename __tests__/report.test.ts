import { describe, expect, it } from '@jest/globals';
import { planChanges } from '../src/plan.js';
import { commentMarker } from '../src/pr-comment.js';
import { accessWarnings, capBody, factsDiff, lineDiff, planEntries, renderReport } from '../src/report.js';
import { desiredFor, liveAfterApply } from './fixtures.js';

describe('lineDiff', () => {
  it('marks removed and added lines and keeps common ones', () => {
    expect(lineDiff('a\nb\nc', 'a\nc\nd')).toBe('  a\n- b\n  c\n+ d');
  });

  it('does not show a line as changed when only its trailing comma changed', () => {
    expect(lineDiff('[\n  "a",\n  "b"\n]', '[\n  "a",\n  "b",\n  "c"\n]')).toBe('  [\n    "a",\n    "b",\n+   "c"\n  ]');
  });
});

describe('factsDiff', () => {
  it('names added and removed buckets, keys and principals', () => {
    const before = desiredFor({ buckets: 'old-bucket\nkept-bucket' }).policies[0].document;
    const after = desiredFor({ buckets: 'kept-bucket\nnew-bucket' }, ['arn:aws:kms:us-east-1:123456789012:key/k']).policies[0].document;
    const lines = factsDiff(before, after);
    expect(lines).toContain('**added** 1 bucket: `new-bucket`');
    expect(lines).toContain('**removed** 1 bucket: `old-bucket`');
    expect(lines).toContain('**added** 1 KMS key: `arn:aws:kms:us-east-1:123456789012:key/k`');
  });
});

describe('renderReport', () => {
  const report = (
    mode: 'plan' | 'apply',
    values: Record<string, string> = {},
    live = { policies: [] } as Parameters<typeof planChanges>[1],
  ) => {
    const desired = desiredFor(values);
    const plan = planChanges(desired, live, { adopt: false });
    return renderReport({
      mode,
      roleName: desired.role.name,
      roleArn: plan.roleArn,
      policyArns: plan.policyArns,
      changes: plan.changes,
      desired,
      buckets: [],
      warnings: ['a warning'],
      externalId: values['external-id'],
    });
  };

  it('says what a plan would do, and that nothing was changed', () => {
    const text = report('plan');
    expect(text).toContain('📝 Plan: 3 changes');
    expect(text).toContain('Nothing was changed');
    expect(text).toContain('| ➕ | create-role | `arn:aws:iam::123456789012:role/activeloop-deeplake-access` |');
    expect(text).toContain('- ⚠️ a warning');
  });

  it('ends with the manual step, including the external ID when there is one', () => {
    const text = report('apply', { 'external-id': 'ext-42' });
    expect(text).toContain('Remaining manual step');
    expect(text).toContain('- Role ARN: `arn:aws:iam::123456789012:role/activeloop-deeplake-access`');
    expect(text).toContain('- External ID: `ext-42`');
  });

  it('says in sync when there is nothing to do', () => {
    const desired = desiredFor();
    expect(report('plan', {}, liveAfterApply(desired))).toContain('✅ In sync');
  });

  it('redacts the account ID when asked', () => {
    const desired = desiredFor();
    const plan = planChanges(desired, { policies: [] }, { adopt: false });
    const text = renderReport({
      mode: 'plan',
      roleName: 'r',
      roleArn: plan.roleArn,
      policyArns: plan.policyArns,
      changes: plan.changes,
      desired,
      buckets: [],
      warnings: [],
      redact: (t) => t.split('123456789012').join('************'),
    });
    expect(text).not.toContain('123456789012');
    expect(text).toContain('arn:aws:iam::************:role/activeloop-deeplake-access');
  });
});

describe('planEntries', () => {
  it('keeps what, which resource, why and drift, without documents', () => {
    const plan = planChanges(desiredFor(), { policies: [] }, { adopt: false });
    expect(Object.keys(planEntries(plan.changes)[0])).toEqual(['action', 'resource', 'reason', 'drift']);
  });
});

describe('capBody', () => {
  it('leaves a short body alone', () => {
    expect(capBody('short')).toBe('short');
  });

  it('cuts a long body at a line under the limit, closing an open code block', () => {
    const body = `intro\n\`\`\`diff\n${'+ line\n'.repeat(20_000)}\`\`\`\n`;
    const capped = capBody(body, 10_000);
    expect(capped.length).toBeLessThanOrEqual(10_100);
    expect((capped.match(/```/g) ?? []).length % 2).toBe(0);
    expect(capped).toContain('the job summary has the full plan');
  });
});

describe('commentMarker', () => {
  it('is hidden and names the role, so each role keeps its own comment', () => {
    expect(commentMarker('my-role')).toBe('<!-- activeloop-role-action:role=my-role -->');
  });
});

describe('the access check in the report', () => {
  const verdict = (state: 'allowed' | 'blocked' | 'not-applicable', extra = {}) => ({ state, reason: 'r', ...extra });
  const access = [
    {
      bucket: 'lake',
      verdicts: {
        list: verdict('allowed'),
        read: verdict('allowed'),
        write: verdict('blocked', { policy: 'bucket policy', statement: '"DenyUploads"', fix: 'Exempt the role.' }),
        kms: verdict('not-applicable'),
        'web-app': verdict('blocked', { policy: 'CORS configuration', statement: 'no rule allows it', fix: 'Set cors: true.' }),
      },
    },
    {
      bucket: 'fine',
      verdicts: {
        list: verdict('allowed'),
        read: verdict('allowed'),
        write: verdict('allowed'),
        kms: verdict('not-applicable'),
        'web-app': verdict('allowed'),
      },
    },
  ];

  it('warns once per unusable bucket with its fix once, and once for every bucket the web app cannot read', () => {
    expect(accessWarnings(access)).toEqual([
      'Activeloop cannot use bucket lake (write): denied by the bucket policy (statement "DenyUploads"). Fix: Exempt the role.',
      "Activeloop's web app cannot read 1 bucket (no CORS rule for https://*.activeloop.ai): lake. Fix: set cors: true, or web-app: false if you do not use the web app.",
    ]);
  });

  const bucketWith = (bucket: string, cell: Partial<Record<string, ReturnType<typeof verdict>>>, prefixes: string[] = []) => ({
    bucket,
    prefixes,
    verdicts: {
      list: verdict('allowed'),
      read: verdict('allowed'),
      write: verdict('allowed'),
      kms: verdict('not-applicable'),
      'web-app': verdict('allowed'),
      ...cell,
    },
  });

  it('shows at most 10 warnings, the unusable buckets first, and counts the rest', () => {
    const many = [
      ...Array.from({ length: 12 }, (_, i) =>
        bucketWith(`org-${i}`, {
          read: {
            state: 'unknown',
            reason: 'r',
            policy: 'bucket policy',
            decidingKey: 'aws:PrincipalOrgID',
            passesWhen: 'aws:PrincipalOrgID is o-1',
          } as never,
        }),
      ),
      bucketWith('vpc-only', { read: verdict('blocked', { policy: 'bucket policy', statement: '"VpcOnly"', fix: 'Exempt the role.' }) }),
    ];
    const warnings = accessWarnings(many);
    expect(warnings).toHaveLength(10);
    expect(warnings[0]).toBe(
      'Activeloop cannot use bucket vpc-only (read): denied by the bucket policy (statement "VpcOnly"). Fix: Exempt the role.',
    );
    expect(warnings[1]).toBe(
      'Activeloop may not be able to use bucket org-0 (read): the bucket policy depends on what the action cannot see: aws:PrincipalOrgID decides; it passes when aws:PrincipalOrgID is o-1.',
    );
    expect(warnings[9]).toBe('4 more access warnings are in the job summary.');
  });

  it('names the buckets Activeloop cannot use in the headline, with their prefixes, and puts their table first', () => {
    const desired = desiredFor();
    const body = renderReport({
      mode: 'plan',
      roleName: 'r',
      roleArn: desired.role.arn,
      policyArns: [],
      changes: [],
      desired,
      buckets: [],
      warnings: [],
      access: [bucketWith('fine', {}), bucketWith('lake', { write: verdict('blocked', { policy: 'bucket policy' }) }, ['teams/vision'])],
    });
    const lines = body.split('\n');
    expect(lines[4]).toBe('⛔ Activeloop cannot use 1 bucket: `lake/teams/vision` (see "Can Activeloop use the buckets?").');
    expect(body.indexOf('#### Can Activeloop use the buckets?')).toBeLessThan(body.indexOf('Paste the role ARN'));
    expect(body).toContain('| `lake/teams/vision` | ✅ allowed | ✅ allowed | ⛔ blocked | — | ✅ allowed |');
  });

  it('renders a row per bucket and the fix under the table', () => {
    const desired = desiredFor();
    const body = renderReport({
      mode: 'plan',
      roleName: 'r',
      roleArn: desired.role.arn,
      policyArns: [],
      changes: [],
      desired,
      buckets: [],
      warnings: [],
      access,
    });
    expect(body).toContain('| `lake` | ✅ allowed | ✅ allowed | ⛔ blocked | — | ⛔ blocked |');
    expect(body).toContain('| `fine` | ✅ allowed | ✅ allowed | ✅ allowed | — | ✅ allowed |');
    expect(body).toContain('**Fix:** Exempt the role.');
    expect(body).toContain('not visible to the action');
  });
});
