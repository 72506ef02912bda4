// The only module that writes to AWS: every mutating call the action can make is here.
// It executes a plan's changes in order. Race errors (a concurrent run) propagate unchanged:
// the caller re-reads, plans again and converges (spec behaviour 6).
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DetachRolePolicyCommand,
  type IAMClient,
  PutRolePermissionsBoundaryCommand,
  TagPolicyCommand,
  TagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
  waitUntilRoleExists,
} from '@aws-sdk/client-iam';
import { awsCall, isNoSuchEntity } from './errors.js';
import type { Change } from './plan.js';
import { serialize } from './policy.js';

function tagList(tags: Record<string, string>) {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** Deleting what is already gone is success: a concurrent run got there first. */
async function ignoreMissing(call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (!isNoSuchEntity(error)) throw error;
  }
}

/** Deletes non-default policy versions, oldest first. */
async function deleteVersions(iam: IAMClient, policyName: string, policyArn: string, versionIds: string[]): Promise<void> {
  for (const versionId of versionIds) {
    await ignoreMissing(() =>
      awsCall(`iam:DeletePolicyVersion ${policyName} ${versionId}`, () =>
        iam.send(new DeletePolicyVersionCommand({ PolicyArn: policyArn, VersionId: versionId })),
      ),
    );
  }
}

export interface ApplyOptions {
  /** How long to wait for a new role to become readable (IAM is eventually consistent). */
  roleWaitSeconds: number;
}

async function applyChange(iam: IAMClient, change: Change, options: ApplyOptions): Promise<void> {
  switch (change.action) {
    case 'create-policy':
      await awsCall(`iam:CreatePolicy ${change.name}`, () =>
        iam.send(
          new CreatePolicyCommand({
            PolicyName: change.name,
            Path: change.path,
            PolicyDocument: serialize(change.document),
            Description: 'S3 and KMS access for Activeloop (Deep Lake). Managed by activeloop-role-action.',
            Tags: tagList(change.tags),
          }),
        ),
      );
      return;
    case 'update-policy':
      await deleteVersions(iam, change.name, change.resource, change.pruneVersionIds);
      await awsCall(`iam:CreatePolicyVersion ${change.name}`, () =>
        iam.send(
          new CreatePolicyVersionCommand({ PolicyArn: change.resource, PolicyDocument: serialize(change.document), SetAsDefault: true }),
        ),
      );
      if (Object.keys(change.tags).length) {
        await awsCall(`iam:TagPolicy ${change.name}`, () =>
          iam.send(new TagPolicyCommand({ PolicyArn: change.resource, Tags: tagList(change.tags) })),
        );
      }
      return;
    case 'tag-policy':
      await awsCall(`iam:TagPolicy ${change.resource}`, () =>
        iam.send(new TagPolicyCommand({ PolicyArn: change.resource, Tags: tagList(change.tags) })),
      );
      return;
    case 'create-role':
      await awsCall(`iam:CreateRole ${change.name}`, () =>
        iam.send(
          new CreateRoleCommand({
            RoleName: change.name,
            Path: change.path,
            AssumeRolePolicyDocument: serialize(change.trustPolicy),
            Description: change.description,
            MaxSessionDuration: change.maxSessionDuration,
            PermissionsBoundary: change.permissionsBoundary,
            Tags: tagList(change.tags),
          }),
        ),
      );
      // IAM is eventually consistent: wait until the role reads back, so a later step can use role-arn.
      await awsCall(`waiting for role ${change.name} to become readable`, () =>
        waitUntilRoleExists(
          { client: iam, maxWaitTime: Math.max(2, options.roleWaitSeconds), minDelay: 1, maxDelay: 5 },
          { RoleName: change.name },
        ),
      );
      return;
    case 'update-trust-policy':
      await awsCall(`iam:UpdateAssumeRolePolicy ${change.roleName}`, () =>
        iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: change.roleName, PolicyDocument: serialize(change.document) })),
      );
      return;
    case 'update-role':
      await awsCall(`iam:UpdateRole ${change.roleName}`, () =>
        iam.send(
          new UpdateRoleCommand({
            RoleName: change.roleName,
            Description: change.description,
            MaxSessionDuration: change.maxSessionDuration,
          }),
        ),
      );
      return;
    case 'set-permissions-boundary':
      await awsCall(`iam:PutRolePermissionsBoundary ${change.roleName}`, () =>
        iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: change.roleName, PermissionsBoundary: change.boundaryArn })),
      );
      return;
    case 'tag-role':
      await awsCall(`iam:TagRole ${change.roleName}`, () =>
        iam.send(new TagRoleCommand({ RoleName: change.roleName, Tags: tagList(change.tags) })),
      );
      return;
    case 'attach-policy':
      await awsCall(`iam:AttachRolePolicy ${change.resource}`, () =>
        iam.send(new AttachRolePolicyCommand({ RoleName: change.roleName, PolicyArn: change.resource })),
      );
      return;
    case 'detach-policy':
      await ignoreMissing(() =>
        awsCall(`iam:DetachRolePolicy ${change.resource}`, () =>
          iam.send(new DetachRolePolicyCommand({ RoleName: change.roleName, PolicyArn: change.resource })),
        ),
      );
      return;
    case 'delete-policy':
      await deleteVersions(iam, change.name, change.resource, change.versionIds);
      await ignoreMissing(() =>
        awsCall(`iam:DeletePolicy ${change.name}`, () => iam.send(new DeletePolicyCommand({ PolicyArn: change.resource }))),
      );
      return;
  }
}

/**
 * Which changes may run at once: writes to different policies, attachments, detachments, deletions.
 * Changes to the role itself run one at a time (one entity: IAM answers ConcurrentModification).
 * Policy writes that add grants form their own phase before those that only remove.
 */
function phase(change: Change, addsGrants: boolean): string {
  switch (change.action) {
    case 'create-policy':
    case 'update-policy':
    case 'tag-policy':
      return addsGrants ? 'policies-adding' : 'policies';
    case 'attach-policy':
    case 'detach-policy':
    case 'delete-policy':
      return change.action;
    default:
      return `role:${change.action}`;
  }
}

/**
 * Executes the changes in the plan's order, running each phase's independent changes concurrently,
 * and returns those done. On an error, `done` holds everything that was applied, and the first error is thrown.
 */
export async function applyChanges(
  iam: IAMClient,
  changes: Change[],
  options: ApplyOptions,
  done: Change[] = [],
  addsGrants: (change: Change) => boolean = () => false,
): Promise<Change[]> {
  let i = 0;
  while (i < changes.length) {
    const key = phase(changes[i], addsGrants(changes[i]));
    let end = i + 1;
    while (end < changes.length && !key.startsWith('role:') && phase(changes[end], addsGrants(changes[end])) === key) end++;
    const group = changes.slice(i, end);
    const results = await Promise.allSettled(group.map((change) => applyChange(iam, change, options)));
    results.forEach((r, j) => {
      if (r.status === 'fulfilled') done.push(group[j]);
    });
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    i = end;
  }
  return done;
}
