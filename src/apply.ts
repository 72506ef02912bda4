// The only module that writes to AWS: every mutating call the action can make is here (IAM, and a bucket's CORS rule).
// It executes a plan's changes in order. Race errors (a concurrent run) propagate unchanged:
// the caller re-reads, plans again and converges (spec behaviour 6).
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteRoleCommand,
  DetachRolePolicyCommand,
  type IAMClient,
  PutRolePermissionsBoundaryCommand,
  TagPolicyCommand,
  TagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
  waitUntilRoleExists,
} from '@aws-sdk/client-iam';
import { DeleteBucketCorsCommand, PutBucketCorsCommand, type S3Client } from '@aws-sdk/client-s3';
import { type Change, type ChangeAction, type ChangeOf, phaseOf } from './changes.js';
import { ActionError, awsCall, errorName, isNoSuchEntity, isRace, PartlyAppliedError } from './errors.js';
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
  /** Waits before each retry of a call IAM answers as if a change were not visible yet; swapped out in tests. */
  settleWaitsMs?: number[];
  sleep?: (ms: number) => Promise<void>;
}

// IAM is eventually consistent: a role or policy created moments ago can answer NoSuchEntity, and
// DeletePolicy right after a detach can answer DeleteConflict, for a few seconds (IAM User Guide,
// "Changes that I make are not always immediately visible"). Up to 15.5 s in all, then the error stands.
const SETTLE_WAITS_MS = [500, 1000, 2000, 4000, 8000];

/** Whether IAM may answer this error only because an earlier write of this run is not visible yet. */
function notSettled(error: unknown, change: Change, createdThisRun: Set<string>): boolean {
  if (change.action === 'delete-policy' && /^DeleteConflict/.test(errorName(error))) return true;
  if (!isNoSuchEntity(error)) return false;
  return createdThisRun.has(change.resource) || ('roleName' in change && createdThisRun.has(change.roleName));
}

/** The clients apply writes with: IAM for the role and policies, S3 for a bucket's CORS rule. */
export interface WriteClients {
  iam: IAMClient;
  s3: S3Client;
}

type Step<K extends ChangeAction> = (clients: WriteClients, change: ChangeOf<K>, options: ApplyOptions) => Promise<void>;

/** Each kind's write. The mapped type makes a kind without a step a compile error. */
const STEPS: { [K in ChangeAction]: Step<K> } = {
  'create-policy': async ({ iam }, change) => {
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
  },
  'update-policy': async ({ iam }, change) => {
    await deleteVersions(iam, change.name, change.resource, change.pruneVersionIds);
    await awsCall(`iam:CreatePolicyVersion ${change.name}`, () =>
      iam.send(
        new CreatePolicyVersionCommand({ PolicyArn: change.resource, PolicyDocument: serialize(change.document), SetAsDefault: true }),
      ),
    );
    if (Object.keys(change.tags).length) {
      try {
        await awsCall(`iam:TagPolicy ${change.name}`, () =>
          iam.send(new TagPolicyCommand({ PolicyArn: change.resource, Tags: tagList(change.tags) })),
        );
      } catch (error) {
        if (isRace(error)) throw error;
        // The new document is already the default version: the change was made, only its record was not.
        throw new PartlyAppliedError(`The new version of ${change.name} was made the default`, error);
      }
    }
  },
  'tag-policy': async ({ iam }, change) => {
    await awsCall(`iam:TagPolicy ${change.resource}`, () =>
      iam.send(new TagPolicyCommand({ PolicyArn: change.resource, Tags: tagList(change.tags) })),
    );
  },
  'create-role': async ({ iam }, change, options) => {
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
  },
  'update-trust-policy': async ({ iam }, change) => {
    await awsCall(`iam:UpdateAssumeRolePolicy ${change.roleName}`, () =>
      iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: change.roleName, PolicyDocument: serialize(change.document) })),
    );
  },
  'update-role': async ({ iam }, change) => {
    await awsCall(`iam:UpdateRole ${change.roleName}`, () =>
      iam.send(
        new UpdateRoleCommand({
          RoleName: change.roleName,
          Description: change.description,
          MaxSessionDuration: change.maxSessionDuration,
        }),
      ),
    );
  },
  'set-permissions-boundary': async ({ iam }, change) => {
    await awsCall(`iam:PutRolePermissionsBoundary ${change.roleName}`, () =>
      iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: change.roleName, PermissionsBoundary: change.boundaryArn })),
    );
  },
  'tag-role': async ({ iam }, change) => {
    await awsCall(`iam:TagRole ${change.roleName}`, () =>
      iam.send(new TagRoleCommand({ RoleName: change.roleName, Tags: tagList(change.tags) })),
    );
  },
  'attach-policy': async ({ iam }, change) => {
    await awsCall(`iam:AttachRolePolicy ${change.resource}`, () =>
      iam.send(new AttachRolePolicyCommand({ RoleName: change.roleName, PolicyArn: change.resource })),
    );
  },
  'detach-policy': async ({ iam }, change) => {
    await ignoreMissing(() =>
      awsCall(`iam:DetachRolePolicy ${change.resource}`, () =>
        iam.send(new DetachRolePolicyCommand({ RoleName: change.roleName, PolicyArn: change.resource })),
      ),
    );
  },
  'delete-policy': async ({ iam }, change) => {
    await deleteVersions(iam, change.name, change.resource, change.versionIds);
    await ignoreMissing(() =>
      awsCall(`iam:DeletePolicy ${change.name}`, () => iam.send(new DeletePolicyCommand({ PolicyArn: change.resource }))),
    );
  },
  'remove-cors-rule': async ({ s3 }, change) => {
    // S3 replaces the whole configuration: the other rules go back exactly as read; none left, none kept.
    if (change.keep.length) {
      await awsCall(`s3:PutBucketCors ${change.bucket}`, () =>
        s3.send(new PutBucketCorsCommand({ Bucket: change.bucket, CORSConfiguration: { CORSRules: change.keep } })),
      );
    } else {
      await awsCall(`s3:DeleteBucketCors ${change.bucket}`, () => s3.send(new DeleteBucketCorsCommand({ Bucket: change.bucket })));
    }
  },
  'put-cors-rule': async ({ s3 }, change) => {
    // S3 replaces the whole configuration: the other rules go back exactly as read, with the action's rule.
    await awsCall(`s3:PutBucketCors ${change.bucket}`, () =>
      s3.send(new PutBucketCorsCommand({ Bucket: change.bucket, CORSConfiguration: { CORSRules: change.rules } })),
    );
  },
  'delete-role': async ({ iam }, change) => {
    await ignoreMissing(() =>
      awsCall(`iam:DeleteRole ${change.roleName}`, () => iam.send(new DeleteRoleCommand({ RoleName: change.roleName }))),
    );
  },
};

/** Runs a change's step, retrying with bounded waits while IAM has not caught up with this run's earlier writes. */
async function applyChange(clients: WriteClients, change: Change, options: ApplyOptions, createdThisRun: Set<string>): Promise<void> {
  const waits = options.settleWaitsMs ?? SETTLE_WAITS_MS;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 0; ; attempt++) {
    try {
      return await (STEPS[change.action] as Step<ChangeAction>)(clients, change as never, options);
    } catch (error) {
      const cause = error instanceof ActionError && error.cause !== undefined ? error.cause : error;
      if (attempt >= waits.length || !notSettled(cause, change, createdThisRun)) throw error;
      await sleep(waits[attempt]);
    }
  }
}

/** Names and ARNs of what this run has created so far. */
function created(done: Change[]): Set<string> {
  const out = new Set<string>();
  for (const c of done) {
    if (c.action === 'create-policy' || c.action === 'create-role') {
      out.add(c.resource);
      out.add(c.name);
    }
  }
  return out;
}

/**
 * Executes the changes in the plan's order, running each phase's independent changes concurrently
 * (see CHANGE_KINDS), and returns those done. On an error, `done` holds everything that was applied,
 * and the first error is thrown.
 */
export async function applyChanges(
  clients: WriteClients,
  changes: Change[],
  options: ApplyOptions,
  done: Change[] = [],
): Promise<Change[]> {
  let i = 0;
  while (i < changes.length) {
    const key = phaseOf(changes[i], i);
    let end = i + 1;
    while (end < changes.length && phaseOf(changes[end], end) === key) end++;
    const group = changes.slice(i, end);
    const createdThisRun = created(done);
    const results = await Promise.allSettled(group.map((change) => applyChange(clients, change, options, createdThisRun)));
    results.forEach((r, j) => {
      if (r.status === 'fulfilled' || r.reason instanceof PartlyAppliedError) done.push(group[j]);
    });
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    i = end;
  }
  return done;
}
