import { describe, expect, it } from '@jest/globals';
import { MAX_CORS_RULES, planCors, WEB_APP_RULE } from '../src/cors.js';

const FOREIGN = { ID: 'website', AllowedOrigins: ['https://example.com'], AllowedMethods: ['GET'] };

describe('planCors', () => {
  it('adds the rule after the bucket’s own rules, which stay as they are', () => {
    const [change] = planCors([{ bucket: 'lake', rules: [FOREIGN] }], false, 'aws');
    expect(change).toMatchObject({ action: 'put-cors-rule', resource: 'arn:aws:s3:::lake', rules: [FOREIGN, WEB_APP_RULE], drift: false });
  });

  it('writes nothing when the rule is there, whatever the order of its lists', () => {
    const same = { ...WEB_APP_RULE, AllowedMethods: ['HEAD', 'GET'] };
    expect(planCors([{ bucket: 'lake', rules: [FOREIGN, same] }], true, 'aws')).toEqual([]);
  });

  it.each([
    ['edited', [FOREIGN, { ...WEB_APP_RULE, AllowedOrigins: ['*'] }], false, 'changed outside this action', true],
    ['removed, when the role records that the action keeps it', [FOREIGN], true, 'removed outside this action', true],
    ['missing on a first run', [], false, 'web app needs a CORS rule', false],
  ])('repairs a rule %s', (_what, rules, kept, reason, drift) => {
    const [change] = planCors([{ bucket: 'lake', rules }], kept, 'aws-cn');
    expect(change.reason).toContain(reason);
    expect(change.drift).toBe(drift);
    expect(change.resource).toBe('arn:aws-cn:s3:::lake');
    if (change.action === 'put-cors-rule') expect(change.rules.filter((r) => r.ID === 'activeloop-role-action')).toEqual([WEB_APP_RULE]);
  });

  it("refuses, naming the bucket and S3's limit, when the bucket has 100 rules already", () => {
    const full = Array.from({ length: MAX_CORS_RULES }, (_, i) => ({ ...FOREIGN, ID: `rule-${i}` }));
    expect(() => planCors([{ bucket: 'crowded', rules: full }], false, 'aws')).toThrow(/bucket crowded has 100 CORS rules; S3 allows 100/);
    expect(planCors([{ bucket: 'ok', rules: full.slice(1) }], false, 'aws')).toHaveLength(1);
  });

  it('stops when the rules could not be read, rather than overwrite them', () => {
    expect(() => planCors([{ bucket: 'lake', rules: [], error: 's3:GetBucketCors lake was denied' }], false, 'aws')).toThrow(/was denied/);
  });
});
