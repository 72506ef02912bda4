// Guards that stop a run before any write: the account, the partition, the permissions boundary's account, the
// trust policy's external ID (spec behaviour 13), and the action's policies attached to its role only. Pure.

import { ActionError } from './errors.js';
import { DEFAULT_TRUSTED_PRINCIPAL, type Inputs, type Mode, writes } from './inputs.js';
import { DIGEST_TAG_KEY, tagValue } from './ownership.js';
import type { PolicyDocument } from './policy.js';
import type { CallerIdentity, PolicyAttachments } from './read.js';
import { readRecord, requiresExternalId } from './record.js';

/** allowed-account-ids: a run in any other account stops before any write (spec input `allowed-account-ids`). */
export function checkAccount(allowed: string[], identity: CallerIdentity): void {
  if (allowed.length === 0 || allowed.includes(identity.account)) return;
  throw new ActionError(
    `The credentials belong to AWS account ${identity.account}, which is not in allowed-account-ids (${allowed.join(', ')}). ` +
      'Nothing was changed. Check the credentials (role-to-assume, or the earlier credentials step), or add the account to allowed-account-ids.',
  );
}

/**
 * Partitions (aws, aws-cn, aws-us-gov, ...) do not share principals or keys, and IAM rejects a trust
 * policy naming a principal that does not exist in the caller's partition. Checked before any write,
 * with the partition taken from the caller identity.
 */
export function checkPartition(
  inputs: Pick<Inputs, 'trustedPrincipals' | 'kmsKeyArns' | 'permissionsBoundary'>,
  identity: CallerIdentity,
): void {
  const { partition } = identity;
  const foreign = (arn: string) => arn.startsWith('arn:') && arn.split(':')[1] !== partition;
  if (inputs.trustedPrincipals.includes(DEFAULT_TRUSTED_PRINCIPAL) && partition !== 'aws') {
    throw new ActionError(
      `The credentials are in the ${partition} partition, where Activeloop's default backend role (${DEFAULT_TRUSTED_PRINCIPAL}, in aws) cannot be trusted. ` +
        `Nothing was changed. Set trusted-principals to the principal Activeloop gives you for ${partition}.`,
    );
  }
  const wrong = [
    ...inputs.trustedPrincipals.filter(foreign).map((p) => `trusted-principals: ${p}`),
    ...inputs.kmsKeyArns.filter(foreign).map((k) => `kms-key-arns: ${k}`),
    ...(inputs.permissionsBoundary && foreign(inputs.permissionsBoundary) ? [`permissions-boundary: ${inputs.permissionsBoundary}`] : []),
  ];
  if (wrong.length) {
    throw new ActionError(
      `The credentials are in the ${partition} partition, but these inputs name another partition: ${wrong.join('; ')}. Nothing was changed. ` +
        `ARNs must be of ${partition} (arn:${partition}:...); trusted-principals must be given for that partition.`,
    );
  }
}

/**
 * The permissions-boundary policy was not found: when its ARN names another account than the credentials', that
 * is the cause (a role can carry a boundary of its own account only), not a missing policy.
 */
export function missingBoundaryError(boundary: string, identity: CallerIdentity, roleToAssume: string | undefined): ActionError {
  const named = boundary.split(':')[4];
  if (named && named !== identity.account) {
    const assumed = roleToAssume ? ` (role-to-assume ${roleToAssume} is in account ${roleToAssume.split(':')[4]})` : '';
    return new ActionError(
      `Input 'permissions-boundary' names account ${named}, but the credentials belong to account ${identity.account} (${identity.arn})${assumed}. ` +
        'Nothing was changed. A role can carry a permissions boundary of its own account only: check which account the credentials are for (role-to-assume, or the earlier credentials step; allowed-account-ids stops such a run early), or fix the ARN.',
    );
  }
  return new ActionError(
    `Input 'permissions-boundary': the policy ${boundary} does not exist in account ${identity.account}. Nothing was changed. Create it first, or fix the ARN.`,
  );
}

/** The guard of spec behaviour 13 stopped the run; `drift` when the live trust policy had already lost the ID. */
export class ExternalIdGuardError extends ActionError {
  constructor(
    message: string,
    readonly drift: boolean,
    readonly roleArn: string,
  ) {
    super(message);
    this.name = 'ExternalIdGuardError';
  }
}

/**
 * Nothing weakens the trust policy silently (spec behaviour 13): an empty external-id against a role whose
 * trust policy requires sts:ExternalId (live, or as the action last recorded it) stops the run before any
 * write, unless `external-id: none` asks for the removal.
 */
export function checkExternalIdKept(
  inputs: Pick<Inputs, 'externalId' | 'removeExternalId' | 'roleName' | 'mode'>,
  role: { arn: string; trustPolicy: PolicyDocument; tags: Record<string, string> } | undefined,
): void {
  if (!role || inputs.externalId || inputs.removeExternalId || inputs.mode === 'destroy' || inputs.mode === 'plan-destroy') return;
  const live = requiresExternalId(role.trustPolicy);
  const state = readRecord(tagValue(role.tags, DIGEST_TAG_KEY));
  const recorded = state.kind === 'settings' && state.record.externalId === true;
  if (!live && !recorded) return;
  throw new ExternalIdGuardError(
    `Input 'external-id' is empty, but the role ${inputs.roleName} ${live ? 'requires an external ID (sts:ExternalId) in its trust policy' : 'was last written by this action with an external ID (sts:ExternalId), which has since been removed from its trust policy outside this action'}. ` +
      'Nothing was changed: an empty external-id would let the trusted principals assume the role without it. ' +
      "If external-id comes from a repository variable (such as vars.ACTIVELOOP_EXTERNAL_ID), check that the variable exists and is visible to this workflow; to remove the external ID on purpose, set 'external-id: none'.",
    !live,
    role.arn,
  );
}

/**
 * IAM's CreatePolicyVersion takes no condition key: whoever may write the action's policy decides what every
 * principal it is attached to may do. The action's policies must therefore be attached to its role only: a
 * plan warns, an apply (which would write them) refuses, naming the principals.
 */
export function checkPolicyAttachments(attachments: PolicyAttachments[] | { error: string }, roleName: string, mode: Mode): string[] {
  if (!Array.isArray(attachments)) {
    return [
      `Could not check that the action's policies are attached to ${roleName} only (${attachments.error}). Allow iam:ListEntitiesForPolicy on them to the credentials running the action.`,
    ];
  }
  const elsewhere = attachments.flatMap((a) => {
    const others = [
      ...a.roles.filter((r) => r !== roleName).map((r) => `role ${r}`),
      ...a.users.map((u) => `user ${u}`),
      ...a.groups.map((g) => `group ${g}`),
    ];
    return others.length ? [`${a.policyArn} is also attached to ${others.join(', ')}`] : [];
  });
  if (!elsewhere.length) return [];
  const why = `The action writes these policies (iam:CreatePolicyVersion takes no condition key), so its workflow would decide what those principals may do. Detach them there (the action's policies are for ${roleName} only), then run again.`;
  if (writes(mode)) throw new ActionError(`${elsewhere.join('; ')}. Nothing was changed. ${why}`);
  return [`${elsewhere.join('; ')}: an apply will refuse to write them. ${why}`];
}
