import { describe, expect, it } from '@jest/globals';
import type { Change } from '../src/changes.js';
import { checkAccount, checkPartition, crossAccountKeyWarnings, driftFailure, kmsGrants, rolePathFor } from '../src/decisions.js';
import { ActionError } from '../src/errors.js';
import { planChanges } from '../src/plan.js';
import { desiredFor, identity, liveAfterApply } from './fixtures.js';

describe('checkAccount (allowed-account-ids)', () => {
  it.each([
    [[], true],
    [['123456789012'], true],
    [['111111111111', '123456789012'], true],
    [['111111111111'], false],
  ])('allowed %j: passes = %s', (allowed, passes) => {
    const check = () => checkAccount(allowed, identity);
    if (passes) expect(check).not.toThrow();
    else expect(check).toThrow(ActionError);
  });

  it('names the account and the input', () => {
    expect(() => checkAccount(['111111111111'], identity)).toThrow(
      /account 123456789012, which is not in allowed-account-ids \(111111111111\)\. Nothing was changed/,
    );
  });
});

describe('rolePathFor', () => {
  it.each([
    ['/', undefined, '/', false],
    ['/', '/', '/', false],
    ['/activeloop/', '/activeloop/', '/activeloop/', false],
    ['/new/', '/old/', '/old/', true],
    ['/', '/old/', '/old/', true],
  ])('input %s, role at %s: stays at %s (warns: %s)', (input, live, path, warns) => {
    const out = rolePathFor(input, live);
    expect(out.rolePath).toBe(path);
    expect(out.warning !== undefined).toBe(warns);
    if (warns) expect(out.warning).toContain(`exists at path ${live}, not ${input}`);
  });
});

describe('kmsGrants and their warnings', () => {
  const own = 'arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111';
  const other = 'arn:aws:kms:us-east-1:999999999999:key/22222222-2222-2222-2222-222222222222';

  it('merges found keys with kms-key-arns, sorted, marking other accounts', () => {
    const grants = kmsGrants([other, own], identity, { grants: [{ keyArn: own, buckets: ['a', 'b'] }] });
    expect(grants).toEqual([
      { keyArn: own, buckets: ['a', 'b'], crossAccount: false },
      { keyArn: other, buckets: [], crossAccount: true },
    ]);
  });

  it.each([
    ['read-write', 'kms:Decrypt, kms:GenerateDataKey*'],
    ['read-only', 'kms:Decrypt)'],
  ] as const)('warns once per key of another account (%s)', (access, actions) => {
    const warnings = crossAccountKeyWarnings(kmsGrants([other, own], identity, { grants: [] }), access);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(other);
    expect(warnings[0]).toContain(actions);
  });
});

describe('driftFailure (fail-on-drift)', () => {
  const inSync = liveAfterApply(desiredFor({ buckets: 'ml-datasets' }));
  const inputChange = planChanges(desiredFor({ buckets: 'ml-datasets\nnew-bucket' }), inSync, { adopt: false }).changes;
  const fresh = planChanges(desiredFor(), { policies: [] }, { adopt: false }).changes;
  const drifted: Change[] = inputChange.map((c) => ({ ...c, drift: true }));

  it.each([
    ['plan', false, 'an input change', inputChange, false],
    ['plan', true, 'nothing', [], false],
    ['plan', true, 'a new role', fresh, true],
    ['plan', true, 'an input change', inputChange, true],
    // Apply: creating what did not exist is not drift.
    ['apply', true, 'a new role', fresh, false],
    // Apply: a change to something that existed fails, drift-flagged or not (as the README says).
    ['apply', true, 'an input change', inputChange, true],
    ['apply', true, 'repaired drift', drifted, true],
    ['apply', false, 'repaired drift', drifted, false],
  ] as const)('%s, fail-on-drift %s, %s: fails = %s', (mode, on, _what, changes, fails) => {
    expect(inputChange.every((c) => !c.drift)).toBe(true);
    const message = driftFailure(mode, on, 'r', changes as Change[]);
    expect(message !== undefined).toBe(fails);
    if (message) expect(message).toMatch(/^fail-on-drift: the role r /);
  });
});

describe('checkPartition', () => {
  const cn = { account: '123456789012', partition: 'aws-cn', arn: 'arn:aws-cn:iam::123456789012:user/ci' };
  const base = { trustedPrincipals: ['arn:aws-cn:iam::111122223333:role/backend'], kmsKeyArns: [], permissionsBoundary: undefined };

  it.each([
    [
      'aws, the default principal',
      identity,
      { ...base, trustedPrincipals: ['arn:aws:iam::597713067985:role/activeloop_backend'] },
      undefined,
    ],
    ['aws-cn, principals of aws-cn', cn, base, undefined],
    ['aws-cn, an account ID', cn, { ...base, trustedPrincipals: ['111122223333'] }, undefined],
    [
      'aws-cn, the default principal',
      cn,
      { ...base, trustedPrincipals: ['arn:aws:iam::597713067985:role/activeloop_backend'] },
      /in the aws-cn partition, where Activeloop's default backend role .* cannot be trusted.*Set trusted-principals/,
    ],
    [
      'aws-cn, a key of aws',
      cn,
      { ...base, kmsKeyArns: ['arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111'] },
      /kms-key-arns: arn:aws:kms.*trusted-principals must be given for that partition/,
    ],
    [
      'aws, a boundary of aws-us-gov',
      identity,
      { ...base, trustedPrincipals: ['111122223333'], permissionsBoundary: 'arn:aws-us-gov:iam::123456789012:policy/b' },
      /permissions-boundary: arn:aws-us-gov/,
    ],
  ])('%s', (_what, who, inputs, error) => {
    const check = () => checkPartition(inputs, who);
    if (error) expect(check).toThrow(error);
    else expect(check).not.toThrow();
  });
});
