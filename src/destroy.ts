// Offboarding (mode destroy and plan-destroy, spec behaviour 8): the changes that remove what the action
// made for a role, and nothing else. Pure: it decides from what read.ts found.
import type { Change } from './changes.js';
import { ActionError } from './errors.js';
import { CORS_RULE_ID, OWNER_TAG_KEY, OWNER_TAG_VALUE, owned } from './ownership.js';
import type { ChangeSet } from './plan.js';
import type { BucketCors, LiveState } from './read.js';

/** Destroy would remove someone else's work: nothing is deleted. */
export class DestroyRefusedError extends ActionError {
  constructor(message: string) {
    super(message);
    this.name = 'DestroyRefusedError';
  }
}

export interface DestroyInput {
  live: LiveState;
  cors: BucketCors[];
  /** The ARN the role has or would have, for the outputs when it does not exist. */
  roleArn: string;
  partition: string;
}

/** What hangs on the role that the action did not put there, each with the command that removes it. */
function foreignItems(live: LiveState): string[] {
  const role = live.role;
  if (!role) return [];
  const ours = new Set(live.policies.filter((p) => owned(p.tags)).map((p) => p.arn));
  const items: string[] = [];
  for (const arn of role.attachedPolicyArns.filter((a) => !ours.has(a))) {
    items.push(`managed policy ${arn}: aws iam detach-role-policy --role-name ${role.name} --policy-arn ${arn}`);
  }
  for (const name of live.dependents?.inlinePolicyNames ?? []) {
    items.push(`inline policy ${name}: aws iam delete-role-policy --role-name ${role.name} --policy-name ${name}`);
  }
  for (const name of live.dependents?.instanceProfileNames ?? []) {
    items.push(
      `instance profile ${name}: aws iam remove-role-from-instance-profile --instance-profile-name ${name} --role-name ${role.name}`,
    );
  }
  return items;
}

/**
 * The changes that remove the action's policies, its CORS rule on each listed bucket and the role, in an
 * order where every state in between is harmless: Activeloop loses access first, the role goes last.
 * Throws before listing anything when the role is not the action's, or carries anything it did not make.
 */
export function planDestroy({ live, cors, roleArn, partition }: DestroyInput): ChangeSet {
  const role = live.role;
  if (role && !owned(role.tags)) {
    throw new DestroyRefusedError(
      `The role ${role.arn} is not managed by this action (it has no tag ${OWNER_TAG_KEY}=${OWNER_TAG_VALUE}); destroy removes only what the action made, and adopt does not apply to it. Nothing was deleted.`,
    );
  }
  const foreign = foreignItems(live);
  if (role && foreign.length) {
    throw new DestroyRefusedError(
      `The role ${role.name} carries ${foreign.length} thing(s) this action did not make; deleting the role would destroy them. Nothing was deleted. ` +
        `Remove them (or move them to another role), then run destroy again:\n- ${foreign.join('\n- ')}`,
    );
  }
  const unreadable = cors.find((c) => c.error);
  if (unreadable)
    throw new ActionError(`destroy removes the action's CORS rule, so it must read the bucket's rules first: ${unreadable.error}`);
  const ours = live.policies.filter((p) => owned(p.tags));
  const roleName = role?.name ?? '';
  const detach: Change[] = ours
    .filter((p) => role?.attachedPolicyArns.includes(p.arn))
    .map((p) => ({
      action: 'detach-policy',
      resource: p.arn,
      roleName,
      reason: 'destroy: Activeloop loses access to the buckets first',
      drift: false,
    }));
  const corsRemovals: Change[] = cors
    .filter((c) => c.rules.some((r) => r.ID === CORS_RULE_ID))
    .map((c) => {
      const keep = c.rules.filter((r) => r.ID !== CORS_RULE_ID);
      return {
        action: 'remove-cors-rule',
        resource: `arn:${partition}:s3:::${c.bucket}`,
        bucket: c.bucket,
        keep,
        reason: `destroy: the action's CORS rule ${CORS_RULE_ID}${keep.length ? ` (the bucket's ${keep.length} other rule(s) stay)` : ''}`,
        drift: false,
      };
    });
  const deletions: Change[] = ours.map((p) => ({
    action: 'delete-policy',
    resource: p.arn,
    name: p.name,
    versionIds: p.versions.filter((v) => !v.isDefault).map((v) => v.id),
    reason: 'destroy: created by this action',
    drift: false,
  }));
  const deleteRole: Change[] = role
    ? [
        {
          action: 'delete-role',
          resource: role.arn,
          roleName: role.name,
          reason: 'destroy: the role goes last, once nothing is attached',
          drift: false,
        },
      ]
    : [];
  return {
    changes: [...detach, ...corsRemovals, ...deletions, ...deleteRole],
    warnings: [],
    policyArns: [],
    roleArn: role?.arn ?? roleArn,
  };
}
