import { describe, expect, it } from '@jest/globals';
import { checkAccess } from '../src/access.js';
import type { Change } from '../src/changes.js';
import { planDestroy } from '../src/destroy.js';
import { planChanges } from '../src/plan.js';
import type { PolicyDocument } from '../src/policy.js';
import { commentMarker } from '../src/pr-comment.js';
import { accessWarnings, capBody, factsDiff, lineDiff, nothingToDo, planEntries, renderReport } from '../src/report.js';
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
    expect(text).toContain('📝 Plan: 5 changes');
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
  it('is hidden and names the role and its ARN, so each role in each account keeps its own comment', () => {
    expect(commentMarker('my-role', 'arn:aws:iam::111111111111:role/my-role')).toMatch(
      /^<!-- activeloop-role-action:role=my-role:[0-9a-f]{8} -->$/,
    );
    expect(commentMarker('my-role', 'arn:aws:iam::111111111111:role/my-role')).not.toBe(
      commentMarker('my-role', 'arn:aws:iam::222222222222:role/my-role'),
    );
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
        'web-app': verdict('blocked', { policy: 'CORS configuration', fix: 'Set cors: true.' }),
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
    expect(body.indexOf('#### Can Activeloop use the buckets?')).toBeLessThan(body.indexOf('#### Remaining manual step'));
    expect(body.indexOf('#### Remaining manual step')).toBeGreaterThan(-1);
    expect(body).toContain('| `lake/teams/vision` | ✅ allowed | ✅ allowed | ⛔ blocked | — | ✅ allowed |');
  });

  it('with many buckets, keeps the unusable ones first and in view: blocked, then unknown, then CORS only, the rest folded', () => {
    const desired = desiredFor();
    const unknownRead = { state: 'unknown', reason: 'r', policy: 'bucket policy' } as never;
    const buckets = [
      ...Array.from({ length: 15 }, (_, i) => bucketWith(`a-fine-${String(i).padStart(2, '0')}`, {})),
      bucketWith('b-cors', { 'web-app': verdict('blocked', { policy: 'CORS configuration' }) }),
      bucketWith('c-unknown', { read: unknownRead }),
      bucketWith('z-blocked', { read: verdict('blocked', { policy: 'bucket policy' }) }),
    ];
    const body = renderReport({
      mode: 'plan',
      roleName: 'r',
      roleArn: desired.role.arn,
      policyArns: [],
      changes: [],
      desired,
      buckets: [],
      warnings: [],
      access: buckets,
    });
    const section = body.slice(body.indexOf('#### Can Activeloop use the buckets?'));
    const rows = section.split('\n').filter((l) => l.startsWith('| `'));
    expect(rows.slice(0, 2).map((r) => r.split(' | ')[0])).toEqual(['| `z-blocked`', '| `c-unknown`']);
    const folded = section.indexOf('<details>');
    expect(section.indexOf('| `z-blocked`')).toBeLessThan(folded);
    expect(section.indexOf('| `c-unknown`')).toBeLessThan(folded);
    expect(section.indexOf('| `b-cors`')).toBeGreaterThan(folded);
    const bullets = section
      .split('\n')
      .filter((l) => l.startsWith('- `'))
      .map((l) => l.split(' ')[1]);
    expect(bullets).toEqual(['`z-blocked`', '`c-unknown`', '`b-cors`']);
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

describe('issue 26 words in the report', () => {
  const v = (state: 'allowed' | 'blocked' | 'unknown' | 'not-applicable', extra = {}) => ({ state, reason: 'r', ...extra });
  const row = (bucket: string, verdicts: Record<string, ReturnType<typeof v>>) => ({
    bucket,
    verdicts: {
      list: v('allowed'),
      read: v('allowed'),
      write: v('allowed'),
      kms: v('not-applicable'),
      'web-app': v('allowed'),
      ...verdicts,
    },
  });

  it('a bucket setting is warned in its own words with its fix; a coming block says from when; a lifting one until when', () => {
    const access = [
      row('owned', {
        read: v('unknown', {
          reason: 'Object Ownership is ObjectWriter: ...',
          setting: 'Object Ownership',
          fix: 'Set BucketOwnerEnforced.',
        }),
      }),
      row('later', {
        read: v('allowed', {
          changesAt: '2030-01-01T00:00:00Z',
          changesTo: 'blocked',
          policy: 'bucket policy',
          statement: '"Window"',
          fix: 'Exempt the role.',
        }),
      }),
      row('frozen', {
        list: v('blocked', {
          changesAt: '2030-01-01T00:00:00Z',
          changesTo: 'allowed',
          policy: 'bucket policy',
          statement: '"W"',
          fix: 'Wait.',
        }),
      }),
    ];
    expect(accessWarnings(access as never)).toEqual([
      'Activeloop cannot use bucket frozen (list): denied by the bucket policy (statement "W") until 2030-01-01T00:00:00Z. Fix: Wait.',
      'Activeloop may not be able to use bucket owned (read): Object Ownership is ObjectWriter: .... Fix: Set BucketOwnerEnforced.',
      'Activeloop can use bucket later (read) only until 2030-01-01T00:00:00Z: from then the bucket policy (statement "Window") denies it. Fix: Exempt the role.',
    ]);
  });

  it('a coming block of an allowed cell is told even when another cell of that bucket is unknown', () => {
    const coming = {
      changesAt: '2027-01-01T00:00:00Z',
      changesTo: 'blocked',
      policy: 'bucket policy',
      statement: '"Until"',
      fix: 'Lift it.',
    };
    const access = [
      row('old-lake', {
        list: v('allowed', coming),
        read: v('unknown', {
          reason: 'Object Ownership is ObjectWriter: ...',
          setting: 'Object Ownership',
          fix: 'Set BucketOwnerEnforced.',
        }),
        write: v('allowed', coming),
      }),
    ];
    expect(accessWarnings(access as never)).toEqual([
      'Activeloop may not be able to use bucket old-lake (read): Object Ownership is ObjectWriter: .... Fix: Set BucketOwnerEnforced.',
      'Activeloop can use bucket old-lake (list, write) only until 2027-01-01T00:00:00Z: from then the bucket policy (statement "Until") denies it. Fix: Lift it.',
    ]);
  });
});

describe('the remaining manual step', () => {
  const render = (mode: 'plan' | 'apply', values: Record<string, string>, live: Parameters<typeof planChanges>[1]) => {
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
      warnings: [],
      // As the inputs read it: `none` removes the external ID on purpose.
      externalId: values['external-id'] === 'none' ? undefined : values['external-id'],
    });
  };

  it.each(['apply', 'plan'] as const)('tells a new role to wait about a minute before verifying in Activeloop (%s)', (mode) => {
    const text = render(mode, {}, { policies: [] });
    expect(text).toMatch(/paste the role ARN into Activeloop/i);
    expect(text).toContain('wait about a minute before verifying the credentials in Activeloop');
  });

  it("gives a new role's paste step for Deeplake 4.x's connect wizard and for the legacy page", () => {
    const withId = render('apply', { 'external-id': 'wizard-123' }, { policies: [] });
    expect(withId).toContain('Paste the role ARN into Activeloop, in whichever of its two flows you use:');
    expect(withId).toContain('- External ID: `wizard-123`');
    expect(withId).toContain(
      '- Deeplake 4.x, "Connect AWS S3 Storage": back in the wizard where you got the external ID, paste the role ARN',
    );
    expect(withId).toContain('- Legacy "Provisioning Role-Based Access", step 4:');
    expect(withId).toContain('enter the role ARN and the external ID.');
    const without = render('apply', {}, { policies: [] });
    expect(without).toContain('the wizard gives an external ID and requires it; set the input external-id to it');
    expect(without).not.toContain('- External ID:');
    expect(without).toContain('add AWS credentials, and enter the role ARN.');
  });

  it('does not ask again to paste the role ARN when the run did not create the role', () => {
    const live = liveAfterApply(desiredFor({ buckets: 'ml-datasets' }));
    for (const text of [render('apply', { buckets: 'ml-datasets\nnew-bucket' }, live), render('apply', { buckets: 'ml-datasets' }, live)]) {
      expect(text).not.toMatch(/paste the role ARN/i);
      expect(text).toContain('Nothing to do in Activeloop: this run did not create the role');
    }
  });

  it('gives the paste step to the run that lost the race to create the role, which converged onto it', () => {
    // The first plan created the role; a concurrent run made it first, and the second plan only finished it.
    const desired = desiredFor({ 'external-id': 'wizard-123' });
    const second = planChanges(desired, liveAfterApply(desired), { adopt: false });
    const text = renderReport({
      mode: 'apply',
      roleName: desired.role.name,
      roleArn: second.roleArn,
      policyArns: second.policyArns,
      changes: second.changes,
      desired,
      buckets: [],
      warnings: [],
      externalId: 'wizard-123',
      createdConcurrently: true,
    });
    expect(text).not.toContain('this run did not create the role');
    expect(text).toContain('A concurrent run created the role while this one ran, and this run converged onto it');
    expect(text).toContain('- Role ARN: `arn:aws:iam::123456789012:role/activeloop-deeplake-access`');
    expect(text).toContain('- External ID: `wizard-123`');
  });

  it('shows the permissions boundary of a role it creates', () => {
    const boundary = 'arn:aws:iam::123456789012:policy/activeloop-role-action-deployer/activeloop-boundary';
    const withBoundary = render('plan', { 'permissions-boundary': boundary }, { policies: [] });
    expect(withBoundary).toContain('#### Settings of the new role `activeloop-deeplake-access`');
    expect(withBoundary).toContain(`| permissions boundary | \`${boundary}\` |`);
    expect(render('plan', {}, { policies: [] })).toContain('| permissions boundary | none |');
  });

  it('says a recreated role keeps its ARN, and to wait about a minute before verifying', () => {
    const desired = desiredFor();
    const live = liveAfterApply(desired);
    delete live.role;
    const text = render('apply', {}, live);
    expect(text).toContain('The role was deleted outside this action and is recreated with the same ARN');
    expect(text).toContain('wait about a minute before verifying the credentials in Activeloop');
    expect(text).not.toMatch(/paste the role ARN/i);
  });

  it('asks to update the external ID in Activeloop when it changes on an existing role', () => {
    const live = liveAfterApply(desiredFor({ 'external-id': 'old-id' }));
    const text = render('apply', { 'external-id': 'new-id' }, live);
    expect(text).toContain('The external ID changes: update it in the AWS credentials Activeloop keeps');
    expect(text).toContain('- External ID: `new-id`');
    expect(text).not.toMatch(/paste the role ARN/i);
  });

  it('says an external ID added from the connect wizard needs nothing more in Activeloop', () => {
    const live = liveAfterApply(desiredFor({}));
    const text = render('apply', { 'external-id': 'from-the-wizard' }, live);
    expect(text).toContain("The trust policy now requires the external ID. It must be the one Activeloop's connect wizard gave you");
    expect(text).toContain('- External ID: `from-the-wizard`');
    expect(text).not.toContain('The external ID changes');
  });

  it('asks to remove the external ID in Activeloop when external-id: none removes it', () => {
    const live = liveAfterApply(desiredFor({ 'external-id': 'old-id' }));
    const text = render('apply', { 'external-id': 'none' }, live);
    expect(text).toContain('The external ID is removed: remove it from the AWS credentials Activeloop keeps');
    expect(text).not.toContain('External ID: none');
    expect(text).not.toContain('The external ID changes');
  });
});

describe('destroy summaries', () => {
  const desired = desiredFor();
  const destroyPlan = planDestroy({ live: liveAfterApply(desired), cors: [], roleArn: desired.role.arn, partition: 'aws' });
  const render = (mode: 'destroy' | 'plan-destroy', changes: Change[]) =>
    renderReport({
      mode,
      roleName: desired.role.name,
      roleArn: desired.role.arn,
      policyArns: [],
      changes,
      desired,
      buckets: [],
      warnings: [],
    });

  it.each(['destroy', 'plan-destroy'] as const)('%s names the managed policy it removes, never "Managed policies: none"', (mode) => {
    const text = render(mode, destroyPlan.changes);
    expect(text).toContain(
      `${mode === 'destroy' ? 'Managed policies removed' : 'Managed policies destroy would remove'}**: \`${desired.policies[0].arn}\``,
    );
    expect(text).not.toContain('**Managed policies**: none');
    expect(text).not.toContain('KMS keys granted');
  });

  it.each(['destroy', 'plan-destroy'] as const)(
    '%s says the workflow will create the role again unless its file (or its push and schedule triggers) goes too',
    (mode) => {
      const text = render(mode, destroyPlan.changes);
      expect(text).toContain(
        'The workflow that runs this action on push and on a schedule will create the role again, trusting Activeloop, on its next run',
      );
      expect(text).toContain('the workflow file (or remove its push and schedule triggers) in the same change');
    },
  );

  it('says "Nothing to remove" in the one sentence the log gives too, when there is nothing', () => {
    const text = render('destroy', []);
    expect(text).toContain(`✅ ${nothingToDo('destroy', `\`${desired.role.name}\``)}`);
    expect(nothingToDo('destroy', 'r')).toBe('Nothing to remove: neither the role r nor policies of this action exist.');
  });
});

describe('access texts', () => {
  /** Parentheses inside parentheses, which read badly in a sentence. */
  const nested = (text: string) => {
    let depth = 0;
    for (const ch of text) {
      if (ch === '(') depth++;
      if (ch === ')') depth--;
      if (depth > 1) return true;
    }
    return false;
  };

  it('never nest parentheses nor name a statement that does not exist', () => {
    const role = 'arn:aws:iam::123456789012:role/activeloop-deeplake-access';
    const key = 'arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111';
    const denyAll: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'DenyAll', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: ['arn:aws:s3:::lake', 'arn:aws:s3:::lake/*'] },
      ],
    };
    const keyForOthers: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:role/other' }, Action: 'kms:*', Resource: '*' }],
    };
    const noS3: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] };
    const access = checkAccess(
      [
        { bucket: 'lake', prefixes: [], region: 'us-east-1', cors: [], policy: denyAll, key: { arn: key, policy: keyForOthers } },
        { bucket: 'other', prefixes: [], region: 'us-east-1', cors: [] },
      ],
      {
        access: 'read-write',
        roleArn: role,
        account: '123456789012',
        partition: 'aws',
        roleTags: {},
        corsManaged: false,
        boundary: { arn: 'arn:aws:iam::123456789012:policy/b', document: noS3 },
      },
    );
    const desired = desiredFor();
    const body = renderReport({
      mode: 'plan',
      roleName: 'r',
      roleArn: role,
      policyArns: [],
      changes: [],
      desired,
      buckets: [],
      access,
      warnings: [],
    });
    const texts = [...accessWarnings(access), ...body.split('\n').filter((l) => l.startsWith('- `'))];
    expect(texts.length).toBeGreaterThan(4);
    for (const text of texts) {
      expect(nested(text)).toBe(false);
      expect(text).not.toMatch(/statement no /);
    }
  });
});
