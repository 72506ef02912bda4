import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  IAMClient,
  TagPolicyCommand,
} from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { applyChanges } from '../src/apply.js';
import type { Change } from '../src/changes.js';
import { ActionError } from '../src/errors.js';
import { planChanges } from '../src/plan.js';
import { desiredFor, liveAfterApply } from './fixtures.js';

const iamMock = mockClient(IAMClient);
const iam = new IAMClient({ region: 'us-east-1' });
const targets = { iam, s3: new S3Client({ region: 'us-east-1' }) };
const options = { roleWaitSeconds: 5 };

function awsError(name: string, status = 400) {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });
}

const commandNames = () => iamMock.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name);

beforeEach(() => {
  iamMock.reset();
  iamMock.onAnyCommand().resolves({});
  iamMock.on(GetRoleCommand).resolves({ Role: { RoleName: 'r', Arn: 'arn', Path: '/', RoleId: 'x', CreateDate: new Date() } });
});

describe('applyChanges', () => {
  it('creates the policy, then the role (waiting until it reads back), then attaches', async () => {
    const plan = planChanges(desiredFor(), { policies: [] }, { adopt: false });
    const done = await applyChanges(targets, plan.changes, options);
    expect(done).toHaveLength(5);
    expect(commandNames()).toEqual([
      'CreatePolicyCommand',
      'CreateRoleCommand',
      'GetRoleCommand',
      'AttachRolePolicyCommand',
      'TagPolicyCommand',
      'TagRoleCommand',
    ]);
    const createRole = iamMock.commandCalls(CreateRoleCommand)[0].args[0].input;
    expect(createRole.Tags).toContainEqual({ Key: 'managed-by', Value: 'activeloop-role-action' });
    expect(JSON.parse(createRole.AssumeRolePolicyDocument!).Statement[0].Principal.AWS).toBe(
      'arn:aws:iam::597713067985:role/activeloop_backend',
    );
    const createPolicy = iamMock.commandCalls(CreatePolicyCommand)[0].args[0].input;
    // Compact JSON: IAM's quota counts characters.
    expect(createPolicy.PolicyDocument).not.toMatch(/\s/);
  });

  it('deletes the oldest non-default version before adding a sixth, then records the digest', async () => {
    const live = liveAfterApply(desiredFor({ buckets: 'ml-datasets' }), 5);
    const plan = planChanges(desiredFor({ buckets: 'ml-datasets\nsecond-bucket' }), live, { adopt: false });
    await applyChanges(targets, plan.changes, options);
    expect(commandNames()).toEqual(['DeletePolicyVersionCommand', 'CreatePolicyVersionCommand', 'TagPolicyCommand']);
    expect(iamMock.commandCalls(DeletePolicyVersionCommand)[0].args[0].input.VersionId).toBe('v1');
    expect(iamMock.commandCalls(CreatePolicyVersionCommand)[0].args[0].input.SetAsDefault).toBe(true);
    expect(iamMock.commandCalls(TagPolicyCommand)[0].args[0].input.Tags?.map((t) => t.Key)).toEqual(['activeloop-role-action:digest']);
  });

  it('counts a new default version as made when only its tag write fails, and still fails the run', async () => {
    const live = liveAfterApply(desiredFor({ buckets: 'ml-datasets' }));
    const plan = planChanges(desiredFor({ buckets: 'ml-datasets\nsecond-bucket' }), live, { adopt: false });
    iamMock.on(TagPolicyCommand).rejects(awsError('AccessDenied', 403));
    const done: { action: string }[] = [];
    const error = await applyChanges(targets, plan.changes, options, done as never).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /^The new version of activeloop-deeplake-access-s3 was made the default, but then: iam:TagPolicy/,
    );
    expect(done.map((c) => c.action)).toEqual(['update-policy']);
  });

  it('treats a version or policy already gone as done (a concurrent run deleted it)', async () => {
    const big = desiredFor({ buckets: Array.from({ length: 300 }, (_, i) => `bucket-${i}`).join('\n') });
    const plan = planChanges(desiredFor({ buckets: 'bucket-1' }), liveAfterApply(big, 2), { adopt: false });
    iamMock.on(DeletePolicyVersionCommand).rejects(awsError('NoSuchEntity', 404));
    iamMock.on(DetachRolePolicyCommand).rejects(awsError('NoSuchEntity', 404));
    iamMock.on(DeletePolicyCommand).rejects(awsError('NoSuchEntity', 404));
    const done = await applyChanges(targets, plan.changes, options);
    expect(done.map((c) => c.action)).toContain('delete-policy');
  });

  it('lets race errors through unchanged so the caller can re-plan, keeping what was done', async () => {
    const plan = planChanges(desiredFor(), { policies: [] }, { adopt: false });
    iamMock.on(CreateRoleCommand).rejects(awsError('EntityAlreadyExists', 409));
    const done: unknown[] = [];
    await expect(applyChanges(targets, plan.changes, options, done as never)).rejects.toMatchObject({ name: 'EntityAlreadyExists' });
    expect(done).toHaveLength(1);
    expect(iamMock.commandCalls(AttachRolePolicyCommand)).toHaveLength(0);
  });

  it('writes independent policies at once, all before the role, and attaches them at once after it', async () => {
    const desired = desiredFor({ buckets: Array.from({ length: 300 }, (_, i) => `bucket-${i}`).join('\n') });
    const plan = planChanges(desired, { policies: [] }, { adopt: false });
    let inFlight = 0;
    let most = 0;
    iamMock.on(CreatePolicyCommand).callsFake(async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return {};
    });
    await applyChanges(targets, plan.changes, options);
    const names = commandNames();
    const policies = desired.policies.length;
    expect(most).toBe(policies);
    expect(names.lastIndexOf('CreatePolicyCommand')).toBeLessThan(names.indexOf('CreateRoleCommand'));
    expect(names.indexOf('AttachRolePolicyCommand')).toBeGreaterThan(names.indexOf('GetRoleCommand'));
    expect(names.filter((n) => n === 'AttachRolePolicyCommand')).toHaveLength(policies);
  });

  it('keeps what the rest of a phase did when one change in it fails', async () => {
    const desired = desiredFor({ buckets: Array.from({ length: 300 }, (_, i) => `bucket-${i}`).join('\n') });
    const plan = planChanges(desired, { policies: [] }, { adopt: false });
    iamMock.on(CreatePolicyCommand, { PolicyName: 'activeloop-deeplake-access-s3-2' }).rejects(awsError('AccessDenied', 403));
    const done: unknown[] = [];
    await expect(applyChanges(targets, plan.changes, options, done as never)).rejects.toThrow(/s3-2 was denied/);
    expect(done).toHaveLength(desired.policies.length - 1);
    expect(iamMock.commandCalls(CreateRoleCommand)).toHaveLength(0);
  });

  it('turns AccessDenied into a sentence naming the call and the fix', async () => {
    const plan = planChanges(desiredFor(), { policies: [] }, { adopt: false });
    iamMock.on(CreatePolicyCommand).rejects(awsError('AccessDenied', 403));
    const error = await applyChanges(targets, plan.changes, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ActionError);
    expect((error as Error).message).toMatch(/^iam:CreatePolicy activeloop-deeplake-access-s3 was denied \(AccessDenied/);
    expect((error as Error).message).toContain('Permissions the action needs');
    expect(iamMock.commandCalls(CreateRoleCommand)).toHaveLength(0);
  });

  it('finishes a policy write that adds grants before a write that only removes begins', async () => {
    const doc = { Version: '2012-10-17', Statement: [] };
    const update = (name: string, addsGrants: boolean): Change => ({
      action: 'update-policy',
      resource: `arn:aws:iam::123456789012:policy/${name}`,
      name,
      document: doc,
      previous: doc,
      pruneVersionIds: [],
      tags: {},
      addsGrants,
      reason: 'test',
      drift: false,
    });
    const events: string[] = [];
    iamMock.on(CreatePolicyVersionCommand).callsFake(async (input: { PolicyArn: string }) => {
      const name = input.PolicyArn.split('/').pop();
      events.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, 5));
      events.push(`end ${name}`);
      return {};
    });
    await applyChanges(targets, [update('gains-a', true), update('gains-b', true), update('loses', false)], options);
    expect(events.indexOf('start loses')).toBeGreaterThan(events.indexOf('end gains-a'));
    expect(events.indexOf('start loses')).toBeGreaterThan(events.indexOf('end gains-b'));
    // The two adding writes are independent: they run at once.
    expect(events.indexOf('start gains-b')).toBeLessThan(events.indexOf('end gains-a'));
  });

  it('waits out NoSuchEntity on a policy this run just created, then attaches (IAM is eventually consistent)', async () => {
    const plan = planChanges(desiredFor(), { policies: [] }, { adopt: false });
    iamMock.on(AttachRolePolicyCommand).rejectsOnce(awsError('NoSuchEntity', 404)).rejectsOnce(awsError('NoSuchEntity', 404)).resolves({});
    const waits: number[] = [];
    const done = await applyChanges(targets, plan.changes, { ...options, sleep: async (ms) => void waits.push(ms) });
    expect(done.map((c) => c.action)).toEqual(['create-policy', 'create-role', 'attach-policy', 'tag-policy', 'tag-role']);
    expect(iamMock.commandCalls(AttachRolePolicyCommand)).toHaveLength(3);
    expect(waits).toEqual([500, 1000]);
  });

  it('gives up after bounded waits, and does not wait for something it did not create', async () => {
    const plan = planChanges(desiredFor(), { policies: [] }, { adopt: false });
    iamMock.on(AttachRolePolicyCommand).rejects(awsError('NoSuchEntity', 404));
    const waits: number[] = [];
    const sleep = async (ms: number) => void waits.push(ms);
    await expect(applyChanges(targets, plan.changes, { ...options, sleep, settleWaitsMs: [1, 2, 3] })).rejects.toMatchObject({
      name: 'NoSuchEntity',
    });
    expect(waits).toEqual([1, 2, 3]);
    // An attachment to a role that existed before the run: NoSuchEntity there is a concurrent change, passed on at once.
    const live = liveAfterApply(desiredFor());
    live.role!.attachedPolicyArns = [];
    waits.length = 0;
    const reattach = planChanges(desiredFor(), live, { adopt: false });
    await expect(applyChanges(targets, reattach.changes, { ...options, sleep })).rejects.toMatchObject({ name: 'NoSuchEntity' });
    expect(waits).toEqual([]);
  });

  it('retries DeletePolicy while it still sees the detached attachment (DeleteConflict)', async () => {
    const big = desiredFor({ buckets: Array.from({ length: 300 }, (_, i) => `bucket-${i}`).join('\n') });
    const plan = planChanges(desiredFor({ buckets: 'bucket-1' }), liveAfterApply(big), { adopt: false });
    iamMock.on(DeletePolicyCommand).rejectsOnce(awsError('DeleteConflict', 409)).resolves({});
    const waits: number[] = [];
    const done = await applyChanges(targets, plan.changes, { ...options, sleep: async (ms) => void waits.push(ms) });
    expect(done.filter((c) => c.action === 'delete-policy').length).toBeGreaterThan(0);
    expect(waits).toEqual([500]);
  });
});
