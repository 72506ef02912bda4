import { describe, expect, it } from '@jest/globals';
import { type DesiredState, type GrantUnit, permissionsDocument } from '../src/desired.js';
import { DIGEST_TAG_KEY, OWNER_TAG_KEY, OwnershipError } from '../src/ownership.js';
import { desiredRecord, planChanges, trustWidening } from '../src/plan.js';
import type { LiveState } from '../src/read.js';
import { desiredFor, liveAfterApply } from './fixtures.js';

const empty: LiveState = { policies: [] };
const actions = (plan: { changes: { action: string }[] }) => plan.changes.map((c) => c.action);

describe('planChanges', () => {
  it('creates policy, role and attachment, in that order, on an empty account', () => {
    const plan = planChanges(desiredFor(), empty, { adopt: false });
    expect(actions(plan)).toEqual(['create-policy', 'create-role', 'attach-policy', 'tag-policy', 'tag-role']);
    expect(plan.changes.every((c) => !c.drift)).toBe(true);
    expect(plan.roleArn).toBe('arn:aws:iam::123456789012:role/activeloop-deeplake-access');
  });

  it('plans nothing when live matches desired', () => {
    const desired = desiredFor({ tags: 'team=ml', 'external-id': 'abc-123' }, ['arn:aws:kms:us-east-1:123456789012:key/k1']);
    expect(planChanges(desired, liveAfterApply(desired), { adopt: false }).changes).toEqual([]);
  });

  it('updates the policy in place when the bucket list changes, as an input change, not drift', () => {
    const before = desiredFor({ buckets: 'ml-datasets' });
    const after = desiredFor({ buckets: 'ml-datasets\nnew-bucket' });
    const plan = planChanges(after, liveAfterApply(before), { adopt: false });
    expect(actions(plan)).toEqual(['update-policy']);
    expect(plan.changes[0]).toMatchObject({ drift: false, reason: 'the bucket list or KMS keys changed' });
  });

  it('reports a hand edit of the policy as drift', () => {
    const desired = desiredFor();
    const live = liveAfterApply(desired);
    live.policies[0].document = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] };
    live.policies[0].defaultVersionId = 'v2';
    const plan = planChanges(desired, live, { adopt: false });
    expect(plan.changes[0]).toMatchObject({ action: 'update-policy', drift: true });
    expect(plan.changes[0].reason).toContain('changed outside this action');
  });

  it('prunes the oldest non-default version when five exist', () => {
    const before = desiredFor({ buckets: 'ml-datasets' });
    const live = liveAfterApply(before, 5);
    const plan = planChanges(desiredFor({ buckets: 'other-bucket' }), live, { adopt: false });
    expect(plan.changes[0]).toMatchObject({ action: 'update-policy', pruneVersionIds: ['v1'] });
  });

  it('repairs a trust policy widened by hand, and a detached policy, as drift', () => {
    const desired = desiredFor();
    const live = liveAfterApply(desired);
    live.role!.trustPolicy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }] };
    live.role!.attachedPolicyArns = [];
    const plan = planChanges(desired, live, { adopt: false });
    expect(plan.changes.map((c) => [c.action, c.drift])).toEqual([
      ['update-trust-policy', true],
      ['attach-policy', true],
    ]);
  });

  it('puts back a removed ownership tag, recognising the role by its digest tag', () => {
    const desired = desiredFor();
    const live = liveAfterApply(desired);
    delete live.role!.tags[OWNER_TAG_KEY];
    const plan = planChanges(desired, live, { adopt: false });
    expect(plan.changes).toMatchObject([{ action: 'tag-role', tags: { [OWNER_TAG_KEY]: 'activeloop-role-action' }, drift: true }]);
  });

  it('recreates a deleted policy of a role it owns as drift, and reattaches it', () => {
    const desired = desiredFor();
    const live = liveAfterApply(desired);
    live.policies = [];
    live.role!.attachedPolicyArns = [];
    const plan = planChanges(desired, live, { adopt: false });
    expect(plan.changes.map((c) => [c.action, c.drift])).toEqual([
      ['create-policy', true],
      ['attach-policy', false],
      ['tag-policy', false],
    ]);
    expect(plan.changes[0].reason).toBe('the permissions policy does not exist');
  });

  it('recreates a deleted role as drift when its policy, once attached, still exists', () => {
    const desired = desiredFor();
    const live = liveAfterApply(desired);
    delete live.role;
    const plan = planChanges(desired, live, { adopt: false });
    expect(plan.changes.map((c) => [c.action, c.drift])).toEqual([
      ['create-role', true],
      ['attach-policy', false],
      ['tag-role', false],
    ]);
  });

  it('creates the role of a policy never attached (a run stopped before the role) as an input change', () => {
    const desired = desiredFor();
    const live = liveAfterApply(desired);
    delete live.role;
    live.policies[0].tags['activeloop-role-action:attached'] = 'false';
    const plan = planChanges(desired, live, { adopt: false });
    expect(plan.changes.map((c) => [c.action, c.drift])).toEqual([
      ['create-role', false],
      ['attach-policy', false],
      ['tag-policy', false],
      ['tag-role', false],
    ]);
  });

  it('records the attachments only after them: a new role gets its record with none, then a tag write once attached', () => {
    const desired = desiredFor();
    const plan = planChanges(desired, { policies: [] }, { adopt: false });
    const created = plan.changes.find((c) => c.action === 'create-role');
    expect(created?.action === 'create-role' && created.tags[DIGEST_TAG_KEY]).toMatch(/ a=( |$)/);
    expect(plan.changes.at(-1)).toMatchObject({ action: 'tag-role', completes: true, drift: false });
    const last = plan.changes.at(-1);
    expect(last?.action === 'tag-role' && last.tags[DIGEST_TAG_KEY]).toMatch(/ a=[0-9a-f]{6}( |$)/);
  });

  it('finishes a role whose attachment a failed run never made as an input change, not drift', () => {
    const desired = desiredFor();
    const first = planChanges(desired, { policies: [] }, { adopt: false });
    const live = liveAfterApply(desired);
    const created = first.changes.find((c) => c.action === 'create-role');
    live.role!.tags = created?.action === 'create-role' ? { ...created.tags } : {};
    live.role!.attachedPolicyArns = [];
    const plan = planChanges(desired, live, { adopt: false });
    expect(plan.changes.map((c) => [c.action, c.drift])).toEqual([
      ['attach-policy', false],
      ['tag-role', false],
    ]);
    expect(plan.changes[0].reason).toBe('the policy is not attached to the role yet');
    expect(plan.changes[1]).toMatchObject({ completes: true });
  });

  it('keeps a record of an earlier version (no attachments in it) as it is while every policy is attached', () => {
    const desired = desiredFor();
    const live = liveAfterApply(desired);
    live.role!.tags[DIGEST_TAG_KEY] = desiredRecord(desired, undefined);
    expect(planChanges(desired, live, { adopt: false }).changes).toEqual([]);
    live.role!.attachedPolicyArns = [];
    expect(planChanges(desired, live, { adopt: false }).changes.map((c) => [c.action, c.drift])).toEqual([
      ['attach-policy', true],
      ['tag-role', false],
    ]);
  });

  it('refuses a role it does not own unless adopt is set, and then tags it', () => {
    const desired = desiredFor();
    const live = liveAfterApply(desired);
    live.role!.tags = { owner: 'someone' };
    expect(() => planChanges(desired, live, { adopt: false })).toThrow(OwnershipError);
    expect(() => planChanges(desired, live, { adopt: false })).toThrow('it has no tag managed-by=activeloop-role-action');
    expect(() => planChanges(desired, live, { adopt: false })).toThrow(/adopt: true/);
    const plan = planChanges(desired, live, { adopt: true });
    expect(plan.changes).toMatchObject([{ action: 'tag-role', tags: { [OWNER_TAG_KEY]: 'activeloop-role-action' } }]);
    expect(plan.changes[0].action === 'tag-role' && plan.changes[0].tags).not.toHaveProperty('owner');
  });

  it('refuses a role whose ownership tag has another value, naming that value (values compare exactly)', () => {
    const desired = desiredFor();
    const live = liveAfterApply(desired);
    live.role!.tags = { 'managed-by': 'Activeloop-Role-Action' };
    expect(() => planChanges(desired, live, { adopt: false })).toThrow(
      'its tag managed-by=Activeloop-Role-Action is not managed-by=activeloop-role-action: the value must be exactly activeloop-role-action, in lower case',
    );
  });

  it('refuses a same-named policy it does not own', () => {
    const desired = desiredFor();
    const live = liveAfterApply(desired);
    live.policies[0].tags = {};
    expect(() => planChanges(desired, live, { adopt: false })).toThrow(
      /policy arn:aws:iam::123456789012:policy\/activeloop-deeplake-access-s3 already exists/,
    );
  });

  it('leaves foreign policies attached and never plans to touch them', () => {
    const desired = desiredFor();
    const live = liveAfterApply(desired);
    live.role!.attachedPolicyArns.push(
      'arn:aws:iam::aws:policy/ReadOnlyAccess',
      'arn:aws:iam::123456789012:policy/activeloop-deeplake-access-s3-2',
    );
    const plan = planChanges(desired, live, { adopt: false });
    expect(plan.changes).toEqual([]);
  });

  it('detaches and deletes only its own surplus policies when the grants shrink', () => {
    const big = desiredFor({ buckets: Array.from({ length: 300 }, (_, i) => `bucket-${i}`).join('\n') });
    const live = liveAfterApply(big, 3);
    expect(big.policies.length).toBeGreaterThan(2);
    const plan = planChanges(desiredFor({ buckets: 'bucket-1' }), live, { adopt: false });
    const surplus = big.policies.slice(1).map((p) => p.arn);
    expect(plan.changes.filter((c) => c.action === 'detach-policy').map((c) => c.resource)).toEqual(surplus);
    expect(plan.changes.filter((c) => c.action === 'delete-policy').map((c) => c.resource)).toEqual(surplus);
    expect(plan.changes.find((c) => c.action === 'delete-policy')).toMatchObject({ versionIds: ['v1', 'v2'] });
    // Shrinking happens after the first policy took over the remaining grants.
    expect(actions(plan).indexOf('update-policy')).toBeLessThan(actions(plan).indexOf('detach-policy'));
  });

  it('keeps a permissions boundary it did not set, with a warning', () => {
    const desired = desiredFor();
    const live = liveAfterApply(desired);
    live.role!.permissionsBoundary = 'arn:aws:iam::aws:policy/PowerUserAccess';
    const plan = planChanges(desired, live, { adopt: false });
    expect(plan.changes.some((c) => c.action === 'set-permissions-boundary')).toBe(false);
    expect(plan.warnings.join()).toContain('left in place');
  });

  it('puts the boundary on a role taken over without one before any policy write (the policy reaches the role only once capped)', () => {
    const before = desiredFor({ buckets: 'old-bucket' });
    const after = desiredFor({ buckets: 'new-bucket', 'permissions-boundary': 'arn:aws:iam::123456789012:policy/boundary' });
    const plan = planChanges(after, liveAfterApply(before), { adopt: false });
    expect(actions(plan)[0]).toBe('set-permissions-boundary');
    expect(actions(plan)).toContain('update-policy');
    expect(actions(plan).filter((a) => a === 'set-permissions-boundary')).toHaveLength(1);
  });

  it('updates description, session duration and boundary, and records the new digest', () => {
    const before = desiredFor();
    const after = desiredFor({ 'max-session-duration': '7200', 'permissions-boundary': 'arn:aws:iam::123456789012:policy/boundary' });
    const plan = planChanges(after, liveAfterApply(before), { adopt: false });
    expect(actions(plan)).toEqual(['set-permissions-boundary', 'update-role', 'tag-role']);
    const tag = plan.changes[2];
    expect(tag.action === 'tag-role' && Object.keys(tag.tags)).toEqual([DIGEST_TAG_KEY]);
  });
});

describe('update-role names every setting it changes', () => {
  it.each([
    [{ 'role-description': 'Datasets for ML' }, 'the description differs from the inputs'],
    [{ 'max-session-duration': '7200' }, 'the maximum session duration differs from the inputs'],
    [
      { 'role-description': 'Datasets for ML', 'max-session-duration': '7200' },
      'the description differs from the inputs; the maximum session duration differs from the inputs',
    ],
  ])('%j → %s', (inputs, reason) => {
    const plan = planChanges(desiredFor(inputs), liveAfterApply(desiredFor()), { adopt: false });
    expect(plan.changes.find((c) => c.action === 'update-role')?.reason).toBe(reason);
  });
});

describe('tag drift', () => {
  it('calls a tag value changed by hand drift', () => {
    const desired = desiredFor({ tags: 'team=ml' });
    const live = liveAfterApply(desired);
    live.role!.tags.team = 'hacked';
    const plan = planChanges(desired, live, { adopt: false });
    expect(plan.changes).toMatchObject([{ action: 'tag-role', drift: true, reason: 'tags were changed outside this action (team=ml)' }]);
  });

  it('calls a tag added to the inputs an input change', () => {
    const live = liveAfterApply(desiredFor({ tags: 'team=ml' }));
    const plan = planChanges(desiredFor({ tags: 'team=ml\ncost=42' }), live, { adopt: false });
    expect(plan.changes).toMatchObject([
      { action: 'tag-policy', drift: false, tags: { cost: '42' } },
      { action: 'tag-role', drift: false, reason: 'tags differ from the inputs (cost=42)' },
    ]);
  });
});

describe('grants first', () => {
  const bucket = (name: string, prefixes: string[] = []): GrantUnit => ({
    key: `bucket:${name}`,
    kind: 'bucket',
    grant: { bucket: name, prefixes },
  });
  /** A desired state with these policies, as the packer makes them when one policy is full. */
  const withPolicies = (...units: GrantUnit[][]): DesiredState => {
    const base = desiredFor();
    return {
      ...base,
      policies: units.map((u, index) => {
        const name = index === 0 ? base.policies[0].name : `${base.policies[0].name}-${index + 1}`;
        return {
          index,
          name,
          arn: `${base.policies[0].arn.replace(/[^/]+$/, '')}${name}`,
          document: permissionsDocument(u, 'read-write', 'aws'),
        };
      }),
    };
  };

  it('orders a policy write that adds grants before one that only removes, whatever the policy order', () => {
    const live = liveAfterApply(withPolicies([bucket('alpha-bucket'), bucket('beta-bucket')], [bucket('gamma-bucket')]));
    // Wanted: beta goes (policy 1 only loses a grant); gamma narrows to a prefix (policy 2 gains a new object resource).
    const plan = planChanges(withPolicies([bucket('alpha-bucket')], [bucket('gamma-bucket', ['datasets'])]), live, { adopt: false });
    expect(plan.changes.map((c) => [c.action, c.resource.split('/').pop(), c.action === 'update-policy' && c.addsGrants])).toEqual([
      ['update-policy', 'activeloop-deeplake-access-s3-2', true],
      ['update-policy', 'activeloop-deeplake-access-s3', false],
    ]);
  });
});

describe('tag keys on the role in another case (IAM compares keys case-insensitively)', () => {
  it('is in sync when the role carries an input tag under another case of its key', () => {
    const desired = desiredFor({ tags: 'Environment=prod' });
    const live = liveAfterApply(desiredFor({ tags: 'environment=prod' }));
    expect(planChanges(desired, live, { adopt: false }).changes).toEqual([]);
  });

  it('calls a new value under another case of the key an input change, not drift', () => {
    const live = liveAfterApply(desiredFor({ tags: 'environment=prod' }));
    const plan = planChanges(desiredFor({ tags: 'Environment=dev' }), live, { adopt: false });
    expect(plan.changes.find((c) => c.action === 'tag-role')).toMatchObject({
      drift: false,
      reason: 'tags differ from the inputs (Environment=dev)',
    });
  });

  it('recognises its role by an ownership tag IAM shows as Managed-By', () => {
    const desired = desiredFor();
    const live = liveAfterApply(desired);
    for (const tags of [live.role!.tags, live.policies[0].tags]) {
      tags['Managed-By'] = tags[OWNER_TAG_KEY];
      delete tags[OWNER_TAG_KEY];
    }
    expect(planChanges(desired, live, { adopt: false }).changes).toEqual([]);
  });
});

describe('a trusted principal IAM shows by its unique ID', () => {
  const backend = 'arn:aws:iam::597713067985:role/activeloop_backend';
  const showById = (live: LiveState, id: string) => {
    live.role!.trustPolicy = JSON.parse(JSON.stringify(live.role!.trustPolicy).replace(backend, id));
  };

  it('says the principal was deleted and that apply puts its ARN back', () => {
    const desired = desiredFor();
    const live = liveAfterApply(desired);
    showById(live, 'AROAYBACKENDEXAMPLE01');
    const plan = planChanges(desired, live, { adopt: false });
    expect(plan.changes).toHaveLength(1);
    expect(plan.changes[0].action).toBe('update-trust-policy');
    expect(plan.changes[0].reason).toBe(
      `a trusted principal was deleted: IAM shows it by its unique ID AROAYBACKENDEXAMPLE01. Apply puts the ARN ${backend} back; IAM accepts it only once that principal exists again`,
    );
  });

  it('says apply removes the ID when the inputs no longer name the principal', () => {
    const ops = 'arn:aws:iam::111122223333:user/ops';
    const live = liveAfterApply(desiredFor({ 'trusted-principals': `${backend}\n${ops}` }));
    live.role!.trustPolicy = JSON.parse(JSON.stringify(live.role!.trustPolicy).replace(ops, 'AIDAOPSUSEREXAMPLE01'));
    const plan = planChanges(desiredFor({ 'trusted-principals': backend }), live, { adopt: false });
    expect(plan.changes[0].reason).toBe(
      'a trusted principal was deleted: IAM shows it by its unique ID AIDAOPSUSEREXAMPLE01. Apply removes the ID',
    );
  });

  it('does not claim the inputs once named an ID added by hand next to the right ARN', () => {
    const desired = desiredFor();
    const live = liveAfterApply(desired);
    live.role!.trustPolicy = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: backend }, Action: 'sts:AssumeRole' },
        { Effect: 'Allow', Principal: { AWS: 'AROAYSTRANGEREXAMPLE1' }, Action: 'sts:AssumeRole' },
      ],
    };
    const reason = planChanges(desired, live, { adopt: false }).changes[0].reason;
    expect(reason).toBe('a trusted principal was deleted: IAM shows it by its unique ID AROAYSTRANGEREXAMPLE1. Apply removes the ID');
  });

  it('also names a condition added by hand to a trust policy that shows a deleted principal by its ID', () => {
    const desired = desiredFor();
    const live = liveAfterApply(desired);
    live.role!.trustPolicy = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: 'AROAYBACKENDEXAMPLE01' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'sts:ExternalId': 'zzz' } },
        },
      ],
    };
    const [change] = planChanges(desired, live, { adopt: false }).changes;
    expect(change).toMatchObject({ action: 'update-trust-policy', drift: true });
    expect(change.reason).toContain('IAM shows it by its unique ID AROAYBACKENDEXAMPLE01');
    expect(change.reason).toContain(
      'The trust policy was also changed outside this action: it has the condition StringEquals sts:ExternalId = zzz, which the inputs do not',
    );
  });
});

describe('trustWidening: only what lets more in', () => {
  const BACKEND = 'arn:aws:iam::597713067985:role/activeloop_backend';
  const trust = (condition?: Record<string, Record<string, string | string[]>>, principals: string[] = [BACKEND]) => ({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow' as const,
        Principal: { AWS: principals },
        Action: 'sts:AssumeRole',
        ...(condition ? { Condition: condition } : {}),
      },
    ],
  });
  const externalId = (value: string | string[]) => trust({ StringEquals: { 'sts:ExternalId': value } });

  it('a rotated external ID (a new value for the same key and operator) is not widening', () => {
    expect(trustWidening(externalId('ext-111'), externalId('ext-222'))).toEqual([]);
  });

  it('a removed external ID condition is widening', () => {
    expect(trustWidening(externalId('ext-111'), trust())).toEqual(['removes the condition StringEquals sts:ExternalId']);
  });

  it('a second accepted external ID is widening', () => {
    expect(trustWidening(externalId('ext-111'), externalId(['ext-111', 'ext-222']))).toEqual([
      'accepts 2 values instead of 1 for the condition StringEquals sts:ExternalId',
    ]);
  });

  it('the same key under another operator removes the old condition', () => {
    expect(trustWidening(externalId('ext-111'), trust({ StringLike: { 'sts:ExternalId': 'ext-*' } }))).toEqual([
      'removes the condition StringEquals sts:ExternalId',
    ]);
  });

  it('an added principal is widening; a key spelled in another case is the same key', () => {
    expect(
      trustWidening(
        externalId('ext-111'),
        trust({ StringEquals: { 'STS:externalid': 'ext-111' } }, [BACKEND, 'arn:aws:iam::111122223333:root']),
      ),
    ).toEqual(['adds the trusted principal arn:aws:iam::111122223333:root']);
  });

  it('a plan that rotates the external ID names no widening in its change', () => {
    const before = desiredFor({ 'external-id': 'ext-111' });
    const plan = planChanges(desiredFor({ 'external-id': 'ext-222' }), liveAfterApply(before), { adopt: false });
    const change = plan.changes.find((c) => c.action === 'update-trust-policy');
    expect(change?.action === 'update-trust-policy' && change.widens).toEqual([]);
  });
});
