import { describe, expect, it } from '@jest/globals';
import { describeAwsError, isRace, quotaExceeded } from '../src/errors.js';

const err = (name: string, message: string) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 409 } });

describe('LimitExceeded: a quota, or the five-versions race', () => {
  it.each([
    ['LimitExceededException', 'Cannot exceed quota for ACLSizePerRole: 2048', 'Cannot exceed quota for ACLSizePerRole: 2048', false],
    ['LimitExceededException', 'Cannot exceed quota for PoliciesPerRole: 10', 'Cannot exceed quota for PoliciesPerRole: 10', false],
    ['LimitExceeded', 'Cannot exceed quota for PolicyVersionsInUse: 10000', 'Cannot exceed quota for PolicyVersionsInUse: 10000', false],
    [
      'LimitExceededException',
      'A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.',
      undefined,
      true,
    ],
  ])('%s %s', (name, message, quota, race) => {
    expect(quotaExceeded(err(name, message))).toBe(quota);
    expect(isRace(err(name, message))).toBe(race);
  });

  it('names the quota and where to raise it', () => {
    expect(describeAwsError('iam:CreateRole r', err('LimitExceededException', 'Cannot exceed quota for ACLSizePerRole: 2048'))).toMatch(
      /^iam:CreateRole r exceeded an IAM quota of the account \(Cannot exceed quota for ACLSizePerRole: 2048\).*Service Quotas/,
    );
  });
});
