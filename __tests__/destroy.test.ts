import { describe, expect, it } from '@jest/globals';
import type { Change } from '../src/changes.js';
import { DestroyRefusedError, planDestroy } from '../src/destroy.js';
import type { BucketCors, LiveState } from '../src/read.js';
import { desiredFor, liveAfterApply } from './fixtures.js';

const desired = desiredFor({ buckets: 'ml-datasets\nraw-images' });
const roleArn = desired.role.arn;
const ours = { ID: 'activeloop-role-action', AllowedMethods: ['GET', 'HEAD'], AllowedOrigins: ['https://*.activeloop.ai'] };
const foreign = { ID: 'website', AllowedMethods: ['GET'], AllowedOrigins: ['https://example.com'] };
const noCors: BucketCors[] = [
  { bucket: 'ml-datasets', rules: [] },
  { bucket: 'raw-images', rules: [] },
];

function live(edit: (l: LiveState) => void = () => {}): LiveState {
  const l = liveAfterApply(desired, 3);
  l.dependents = { inlinePolicyNames: [], instanceProfileNames: [] };
  edit(l);
  return l;
}
const summary = (changes: Change[]) => changes.map((c) => [c.action, c.resource.split(/[/:]/).pop()]);
const plan = (l: LiveState, cors = noCors) => planDestroy({ live: l, cors, roleArn, partition: 'aws' });

describe('planDestroy', () => {
  it('detaches, removes the CORS rule, deletes the policy with its old versions, then the role', () => {
    const out = plan(live(), [
      { bucket: 'ml-datasets', rules: [foreign, ours] },
      { bucket: 'raw-images', rules: [ours] },
    ]);
    expect(summary(out.changes)).toEqual([
      ['detach-policy', 'activeloop-deeplake-access-s3'],
      ['remove-cors-rule', 'ml-datasets'],
      ['remove-cors-rule', 'raw-images'],
      ['delete-policy', 'activeloop-deeplake-access-s3'],
      ['delete-role', 'activeloop-deeplake-access'],
    ]);
    expect(out.changes[1]).toMatchObject({ keep: [foreign] });
    expect(out.changes[2]).toMatchObject({ keep: [] });
    expect(out.changes[3]).toMatchObject({ versionIds: ['v1', 'v2'] });
    expect(out.policyArns).toEqual([]);
    expect(out.roleArn).toBe(roleArn);
  });

  it.each([
    ['nothing exists', (l: LiveState) => Object.assign(l, { role: undefined, policies: [] }), []],
    [
      'the role is gone, its policy left',
      (l: LiveState) => Object.assign(l, { role: undefined }),
      [['delete-policy', 'activeloop-deeplake-access-s3']],
    ],
    [
      'the policy is gone, the role left',
      (l: LiveState) => Object.assign(l, { policies: [], role: { ...l.role, attachedPolicyArns: [] } }),
      [['delete-role', 'activeloop-deeplake-access']],
    ],
  ])('completes what is left when %s', (_what, edit, expected) => {
    expect(summary(plan(live(edit as (l: LiveState) => void)).changes)).toEqual(expected);
  });

  it('leaves a policy of that name it does not own, when nothing attaches it', () => {
    const out = plan(
      live((l) => {
        l.policies[0].tags = { team: 'other' };
        l.role!.attachedPolicyArns = [];
      }),
    );
    expect(summary(out.changes)).toEqual([['delete-role', 'activeloop-deeplake-access']]);
  });

  it('refuses a role it does not own, whatever adopt says, before listing anything', () => {
    expect(() => plan(live((l) => (l.role!.tags = { team: 'platform' })))).toThrow(DestroyRefusedError);
    expect(() => plan(live((l) => (l.role!.tags = {})))).toThrow(
      /is not managed by this action .*adopt does not apply.*Nothing was deleted/,
    );
  });

  it.each([
    [
      'a foreign managed policy',
      (l: LiveState) => l.role!.attachedPolicyArns.push('arn:aws:iam::aws:policy/ReadOnlyAccess'),
      'managed policy arn:aws:iam::aws:policy/ReadOnlyAccess: aws iam detach-role-policy --role-name activeloop-deeplake-access --policy-arn arn:aws:iam::aws:policy/ReadOnlyAccess',
    ],
    [
      'an inline policy',
      (l: LiveState) => l.dependents!.inlinePolicyNames.push('extra'),
      'inline policy extra: aws iam delete-role-policy --role-name activeloop-deeplake-access --policy-name extra',
    ],
    [
      'an instance profile',
      (l: LiveState) => l.dependents!.instanceProfileNames.push('ec2-profile'),
      'instance profile ec2-profile: aws iam remove-role-from-instance-profile --instance-profile-name ec2-profile --role-name activeloop-deeplake-access',
    ],
  ])('refuses while the role carries %s, naming it and how to remove it', (_what, edit, line) => {
    const error = (() => {
      try {
        plan(live(edit as (l: LiveState) => void));
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(DestroyRefusedError);
    expect(error?.message).toContain(`- ${line}`);
    expect(error?.message).toContain('Nothing was deleted');
  });
});

describe('planDestroy with tag keys in another case', () => {
  it('removes a role and policy whose ownership tag IAM shows as Managed-By', () => {
    const out = plan(
      live((l) => {
        for (const tags of [l.role!.tags, ...l.policies.map((p) => p.tags)]) {
          tags['Managed-By'] = tags['managed-by'];
          delete tags['managed-by'];
          tags['Activeloop-Role-Action:Digest'] = tags['activeloop-role-action:digest'];
          delete tags['activeloop-role-action:digest'];
        }
      }),
    );
    expect(out.changes.map((c) => c.action)).toEqual(['detach-policy', 'delete-policy', 'delete-role']);
  });
});
