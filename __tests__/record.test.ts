// Drift per setting: what the action recorded when it last wrote the role tells a hand edit from an input change.
import { describe, expect, it } from '@jest/globals';
import type { Change } from '../src/changes.js';
import { roleDigest } from '../src/desired.js';
import { CORS_TAG_KEY, DIGEST_TAG_KEY } from '../src/ownership.js';
import { corsKept, planChanges, trustWidening } from '../src/plan.js';
import type { LiveState } from '../src/read.js';
import { drifted, readRecord, recordOf, writeRecord } from '../src/record.js';
import { renderReport } from '../src/report.js';
import { desiredFor, liveAfterApply } from './fixtures.js';

const BASE = { tags: 'team=ml', 'external-id': 'ext-123' };
const applied = () => liveAfterApply(desiredFor(BASE));
const plan = (values: Record<string, string>, live: LiveState) =>
  planChanges(desiredFor({ ...BASE, ...values }), live, { adopt: false }).changes;
const byAction = (changes: Change[]) => Object.fromEntries(changes.map((c) => [c.action, c]));
function handEdit(live: LiveState, edit: Partial<NonNullable<LiveState['role']>>): LiveState {
  return { ...live, role: { ...(live.role as NonNullable<LiveState['role']>), ...edit } };
}

describe('the record in the digest tag', () => {
  it('round-trips and fits in an IAM tag value (256 characters)', () => {
    const value = applied().role?.tags[DIGEST_TAG_KEY] as string;
    expect(value).toMatch(/^2 t=[0-9a-f]{8} e=1 d=[0-9a-f]{8} s=3600 b=[0-9a-f]{8} a=[0-9a-f]{6} g\.[0-9a-f]{6}=[0-9a-f]{8}$/);
    const state = readRecord(value);
    expect(state.kind === 'settings' && writeRecord(state.record)).toBe(value);
  });

  it('tells a record that attached nothing yet (a=) from one of an earlier version that does not say', () => {
    const none = readRecord('2 t=00000000 d=00000000 s=3600 b=00000000 a=');
    expect(none.kind === 'settings' && none.record.attached).toEqual([]);
    expect(none.kind === 'settings' && writeRecord(none.record)).toBe('2 t=00000000 d=00000000 s=3600 b=00000000 a=');
    const earlier = readRecord('2 t=00000000 d=00000000 s=3600 b=00000000');
    expect(earlier.kind === 'settings' && earlier.record.attached).toBeUndefined();
  });

  it('drops the tag hashes rather than exceed 256 characters', () => {
    const tags = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'v']));
    const record = recordOf(
      { trustPolicy: { Version: '2012-10-17', Statement: [] }, tags },
      { tagKeys: Object.keys(tags), partition: 'aws' },
    );
    expect(writeRecord(record).length).toBeLessThanOrEqual(256);
    expect(writeRecord(record)).not.toContain('g.');
  });

  it('says so in the plan when the record cannot keep a hash of each input tag, and not when it can', () => {
    const many = Array.from({ length: 20 }, (_, i) => `k${i}=v${i}`).join('\n');
    const warned = (tags: string) =>
      planChanges(desiredFor({ ...BASE, tags }), { policies: [] }, { adopt: false }).warnings.filter((w) =>
        w.includes('not reported as drift'),
      );
    expect(warned(many)).toEqual([expect.stringContaining('With 20 input tags')]);
    expect(warned('team=ml\nowner=me')).toEqual([]);
  });

  it('reads an older single digest as legacy and no tag as none', () => {
    expect(readRecord('0123456789abcdef0123456789abcdef')).toEqual({ kind: 'legacy', digest: '0123456789abcdef0123456789abcdef' });
    expect(readRecord(undefined)).toEqual({ kind: 'none' });
  });

  it('counts a setting nothing was recorded for (a tag just added) as no drift', () => {
    const live = recordOf(
      { trustPolicy: { Version: '2012-10-17', Statement: [] }, tags: { new: 'x' } },
      { tagKeys: ['new'], partition: 'aws' },
    );
    expect(drifted({ kind: 'settings', record: { tags: {} } }, live, 'tag:new', false)).toBe(false);
  });
});

describe('drift per setting', () => {
  it('calls every input change an input change: trust, external ID, description, session, tags, boundary', () => {
    const changes = plan(
      {
        'external-id': 'ext-456',
        'role-description': 'Another description',
        'max-session-duration': '7200',
        tags: 'team=data\nowner=me',
        'permissions-boundary': 'arn:aws:iam::123456789012:policy/b',
      },
      applied(),
    );
    // The boundary goes on before any other change, policy writes included (docs/bootstrap.md).
    expect(changes.map((c) => c.action)).toEqual([
      'set-permissions-boundary',
      'tag-policy',
      'update-trust-policy',
      'update-role',
      'tag-role',
    ]);
    expect(changes.filter((c) => c.drift)).toEqual([]);
    expect(changes.map((c) => c.reason).join(' ')).not.toContain('outside this action');
  });

  it('calls a hand edit drift, and the one hand edit does not make a later input change drift', () => {
    // Someone edited the description by hand; a plan-only run did not repair it. Then the external ID changes in the inputs.
    const live = handEdit(applied(), { description: 'edited in the console' });
    const changes = byAction(plan({ 'external-id': 'ext-456' }, live));
    expect(changes['update-role']).toMatchObject({ drift: true, reason: 'the description was changed outside this action' });
    expect(changes['update-trust-policy']).toMatchObject({ drift: false, reason: 'the trust policy differs from the inputs' });
  });

  it('calls a hand-changed tag drift and a tag added to the inputs not, whatever the key case', () => {
    const live = applied();
    const role = live.role as NonNullable<LiveState['role']>;
    const edited = handEdit(live, { tags: { ...role.tags, team: 'someone-else' } });
    expect(byAction(plan({}, edited))['tag-role']).toMatchObject({ drift: true });
    expect(byAction(plan({ tags: 'team=ml\ncost=42' }, live))['tag-role']).toMatchObject({ drift: false });
    expect(byAction(plan({ tags: 'TEAM=ml2' }, live))['tag-role']).toMatchObject({ drift: false });
  });

  it('rewrites only the record, as no drift, when the inputs followed a hand edit', () => {
    const live = handEdit(applied(), { description: 'edited in the console' });
    const changes = plan({ 'role-description': 'edited in the console' }, live);
    expect(changes).toMatchObject([
      { action: 'tag-role', drift: false, reason: 'records what the action wrote, per setting, to tell later drift from input changes' },
    ]);
    expect(Object.keys((changes[0] as Extract<Change, { action: 'tag-role' }>).tags)).toEqual([DIGEST_TAG_KEY]);
  });

  it('completes an apply that stopped before its record write without calling it drift', () => {
    // The trust policy was written with the new external ID, the record was not.
    const before = applied();
    const after = liveAfterApply(desiredFor({ ...BASE, 'external-id': 'ext-456' }));
    const halfWay = handEdit(after, { tags: before.role?.tags });
    const changes = plan({ 'external-id': 'ext-456' }, halfWay);
    expect(changes.map((c) => [c.action, c.drift])).toEqual([['tag-role', false]]);
  });

  it('judges a role with the earlier single digest as a whole, then records it per setting', () => {
    const live = applied();
    const role = live.role as NonNullable<LiveState['role']>;
    const desired = desiredFor(BASE);
    const legacy = handEdit(live, { tags: { ...role.tags, [DIGEST_TAG_KEY]: roleDigest(desired.role, Object.keys(desired.role.tags)) } });
    // In sync: the record is rewritten per setting, as no drift.
    expect(plan({}, legacy).map((c) => [c.action, c.drift])).toEqual([['tag-role', false]]);
    // An input change is not drift; a hand edit is.
    expect(plan({ 'role-description': 'new' }, legacy).find((c) => c.action === 'update-role')?.drift).toBe(false);
    const edited = handEdit(legacy, { description: 'edited in the console' });
    expect(plan({}, edited).find((c) => c.action === 'update-role')?.drift).toBe(true);
  });
});

describe('corsKept: a missing CORS rule is drift only on the bucket list the action kept it on', () => {
  const kept = (buckets: string[], recordedOn: string[]) => {
    const live = liveAfterApply(desiredFor({ buckets: recordedOn.join('\n'), cors: 'true' }), 1, recordedOn);
    return corsKept(live.role, buckets);
  };
  it.each([
    [['a-bucket', 'b-bucket'], ['b-bucket', 'a-bucket'], true],
    [['a-bucket', 'new-bucket'], ['a-bucket'], false],
  ])('buckets %j, recorded on %j → %s', (buckets, recordedOn, expected) => {
    expect(kept(buckets, recordedOn)).toBe(expected);
  });
  it('is false when the role does not keep the rule', () => {
    const live = applied();
    expect(live.role?.tags[CORS_TAG_KEY]).toBeUndefined();
    expect(corsKept(live.role, ['ml-datasets'])).toBe(false);
  });
});

describe('a trust policy that lets more in says so', () => {
  it('names an added principal and a dropped external ID, in the change and the headline', () => {
    const changes = plan(
      {
        'external-id': 'none',
        'trusted-principals': 'arn:aws:iam::597713067985:role/activeloop_backend\narn:aws:iam::111122223333:role/other',
      },
      applied(),
    );
    const trust = changes.find((c) => c.action === 'update-trust-policy');
    expect(trust?.action === 'update-trust-policy' && trust.widens).toEqual([
      'adds the trusted principal arn:aws:iam::111122223333:role/other',
      'removes the condition StringEquals sts:ExternalId',
    ]);
    const desired = desiredFor(BASE);
    const body = renderReport({
      mode: 'plan',
      roleName: 'r',
      roleArn: 'arn:r',
      policyArns: [],
      changes,
      desired,
      buckets: [],
      warnings: [],
    });
    expect(body).toContain(
      '⚠️ This plan widens the trust policy: it adds the trusted principal arn:aws:iam::111122223333:role/other; removes the condition StringEquals sts:ExternalId.',
    );
  });

  it('says nothing when the trust policy only narrows', () => {
    expect(trustWidening(desiredFor().role.trustPolicy, desiredFor(BASE).role.trustPolicy)).toEqual([]);
  });
});
