import { describe, expect, it } from '@jest/globals';
import { ActionError } from '../src/errors.js';
import {
  checkAccount,
  checkExternalIdKept,
  checkPartition,
  checkPolicyAttachments,
  ExternalIdGuardError,
  missingBoundaryError,
} from '../src/guards.js';
import { crossAccountKeyWarnings, kmsGrants } from '../src/kms-grants.js';
import { rolePathFor } from '../src/live.js';
import { DIGEST_TAG_KEY } from '../src/ownership.js';
import { desiredFor, identity, inputs, liveAfterApply } from './fixtures.js';

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

describe('checkExternalIdKept (spec behaviour 13)', () => {
  const withId = liveAfterApply(desiredFor({ 'external-id': 'ext-123' })).role;
  const withoutId = liveAfterApply(desiredFor()).role;
  // The trust policy lost its external ID by hand; the record still says the action wrote one.
  const handRemoved = withoutId && withId && { ...withoutId, tags: { ...withoutId.tags, [DIGEST_TAG_KEY]: withId.tags[DIGEST_TAG_KEY] } };
  const run = (values: Record<string, string>, role: typeof withId) => () =>
    checkExternalIdKept(inputs({ buckets: 'ml-datasets', ...values }), role);

  it('stops an empty external-id against a live sts:ExternalId, naming the input and external-id: none', () => {
    expect(run({}, withId)).toThrow(ExternalIdGuardError);
    expect(run({}, withId)).toThrow(
      /^Input 'external-id' is empty, but the role activeloop-deeplake-access requires an external ID.*Nothing was changed.*'external-id: none'/,
    );
  });

  it.each([
    ['the external ID is given', { 'external-id': 'ext-123' }, withId],
    ['a new ID replaces it', { 'external-id': 'ext-456' }, withId],
    ['external-id: none asks for the removal', { 'external-id': 'none' }, withId],
    ['the role never had one', {}, withoutId],
    ['the role does not exist', {}, undefined],
    ['destroy removes the role anyway', { mode: 'destroy' }, withId],
  ] as const)('lets the run go on when %s', (_what, values, role) => {
    expect(run(values, role)).not.toThrow();
  });

  it('stops when the action recorded an external ID that was removed by hand since, and calls that drift', () => {
    let error: unknown;
    try {
      run({}, handRemoved)();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ExternalIdGuardError);
    expect((error as ExternalIdGuardError).drift).toBe(true);
    expect((error as Error).message).toMatch(/removed from its trust policy outside this action/);
  });

  it('refuses other casings of none as a typo', () => {
    expect(() => inputs({ buckets: 'ml-datasets', 'external-id': 'None' })).toThrow(/^Input 'external-id': write 'none' \(lower case\)/);
  });
});

describe('missingBoundaryError', () => {
  it('names the account when the boundary is of another account than the credentials, not a missing policy', () => {
    const boundary = 'arn:aws:iam::111111111111:policy/activeloop-role-action-deployer/activeloop-boundary';
    const wrong = { account: '222222222222', partition: 'aws', arn: 'arn:aws:sts::222222222222:assumed-role/ci/run' };
    const message = missingBoundaryError(boundary, wrong, 'arn:aws:iam::222222222222:role/ci').message;
    expect(message).toContain(
      "Input 'permissions-boundary' names account 111111111111, but the credentials belong to account 222222222222",
    );
    expect(message).toContain('role-to-assume arn:aws:iam::222222222222:role/ci is in account 222222222222');
    expect(message).not.toContain('does not exist');
    expect(message).not.toContain('Create it first');
  });
  it("says the policy does not exist when it names the credentials' account", () => {
    const message = missingBoundaryError('arn:aws:iam::123456789012:policy/gone', identity, undefined).message;
    expect(message).toContain('does not exist in account 123456789012');
  });
});

describe('checkPolicyAttachments', () => {
  const arn = 'arn:aws:iam::123456789012:policy/activeloop-deeplake-access-s3';
  const only = [{ policyArn: arn, roles: ['activeloop-deeplake-access'], users: [], groups: [] }];
  const elsewhere = [{ policyArn: arn, roles: ['activeloop-deeplake-access', 'admin'], users: ['ci'], groups: ['ops'] }];
  it("passes policies attached to the action's role only", () => {
    expect(checkPolicyAttachments(only, 'activeloop-deeplake-access', 'apply')).toEqual([]);
  });
  it('warns in plan, naming the principals', () => {
    const [warning] = checkPolicyAttachments(elsewhere, 'activeloop-deeplake-access', 'plan');
    expect(warning).toContain(`${arn} is also attached to role admin, user ci, group ops`);
    expect(warning).toContain('iam:CreatePolicyVersion takes no condition key');
    expect(warning).toContain('an apply will refuse');
  });
  it('refuses an apply before any write', () => {
    expect(() => checkPolicyAttachments(elsewhere, 'activeloop-deeplake-access', 'apply')).toThrow(
      /also attached to role admin.*Nothing was changed/,
    );
  });
  it('warns when the attachments cannot be read', () => {
    expect(checkPolicyAttachments({ error: 'iam:ListEntitiesForPolicy was denied' }, 'r', 'apply')).toEqual([
      expect.stringContaining('Allow iam:ListEntitiesForPolicy'),
    ]);
  });
});
