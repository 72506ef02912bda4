import { describe, expect, it } from '@jest/globals';
import { quotaUse } from '../src/plan.js';
import { DEFAULT_QUOTAS, quotaViolations } from '../src/quotas.js';
import { desiredFor, liveAfterApply } from './fixtures.js';

const principals = Array.from({ length: 20 }, (_, i) => `arn:aws:iam::${String(100000000000 + i)}:role/activeloop-backend-${i}`).join('\n');

describe('quotaViolations', () => {
  it('passes the default plan', () => {
    expect(quotaViolations(quotaUse(desiredFor(), { policies: [] }), DEFAULT_QUOTAS)).toEqual([]);
  });

  it('names the trust policy quota, the size and the fix for 20 principals and a long external ID', () => {
    const use = quotaUse(desiredFor({ 'trusted-principals': principals, 'external-id': 'x'.repeat(1000) }), { policies: [] });
    expect(use.trustPolicyChars).toBeGreaterThan(2048);
    const [message] = quotaViolations(use, DEFAULT_QUOTAS);
    expect(message).toContain(`would be ${use.trustPolicyChars} characters`);
    expect(message).toContain('ACLSizePerRole');
    expect(message).toContain('is 2048');
    expect(message).toContain('raise the quota');
    // A raised quota lets it through.
    expect(quotaViolations(use, { ...DEFAULT_QUOTAS, trustPolicyChars: 4096 })).toEqual([]);
  });

  it("counts others' policies already attached against the policies-per-role quota", () => {
    const desired = desiredFor();
    const live = liveAfterApply(desired);
    live.role!.attachedPolicyArns.push(...Array.from({ length: 10 }, (_, i) => `arn:aws:iam::123456789012:policy/other-${i}`));
    const use = quotaUse(desired, live);
    expect(use).toMatchObject({ attachedPolicies: 11, foreignAttached: 10 });
    expect(quotaViolations(use, DEFAULT_QUOTAS)).toEqual([
      expect.stringContaining('would have 11 managed policies attached (10 not managed by this action)'),
    ]);
    expect(quotaViolations(use, { ...DEFAULT_QUOTAS, attachedPoliciesPerRole: 20 })).toEqual([]);
  });

  it('checks the largest policy against the policy size quota', () => {
    const use = quotaUse(desiredFor({ buckets: 'a-bucket\nb-bucket' }), { policies: [] });
    expect(quotaViolations(use, { ...DEFAULT_QUOTAS, policyChars: 100 })).toEqual([expect.stringContaining('PolicySizeQuota) is 100')]);
  });
});
