// IAM's quotas the plan must respect (IAM and AWS STS quotas, in the IAM User Guide).

/** Characters in a customer-managed policy document, whitespace not counted. */
export const MANAGED_POLICY_MAX_CHARS = 6144;

/** Managed policies attached to one role by default; the action suffixes -2 .. -10 to the policy name. */
export const MAX_MANAGED_POLICIES = 10;

/** Versions IAM keeps of one managed policy. */
export const MAX_POLICY_VERSIONS = 5;

/** The account's IAM quotas that bound the plan, as GetAccountSummary reports them. */
export interface AccountQuotas {
  /** Characters of a role's trust policy, whitespace not counted (ACLSizePerRole: 2,048 by default, up to 4,096). */
  trustPolicyChars: number;
  /** Managed policies attached to one role (10 by default, up to 20). */
  attachedPoliciesPerRole: number;
  /** Characters of a managed policy, whitespace not counted. */
  policyChars: number;
}

export const DEFAULT_QUOTAS: AccountQuotas = {
  trustPolicyChars: 2048,
  attachedPoliciesPerRole: MAX_MANAGED_POLICIES,
  policyChars: MANAGED_POLICY_MAX_CHARS,
};

/** What the plan would leave on the role, measured against the quotas. */
export interface QuotaUse {
  roleName: string;
  trustPolicyChars: number;
  /** The action's policies plus those of others already attached. */
  attachedPolicies: number;
  foreignAttached: number;
  largestPolicy?: { name: string; chars: number };
}

/** A quota the plan would exceed: IAM would answer LimitExceeded. Each names the quota, the size and the fix. */
export function quotaViolations(use: QuotaUse, quotas: AccountQuotas): string[] {
  const out: string[] = [];
  if (use.trustPolicyChars > quotas.trustPolicyChars) {
    out.push(
      `The trust policy of ${use.roleName} would be ${use.trustPolicyChars} characters; the account's quota (ACLSizePerRole, "Role trust policy length") is ${quotas.trustPolicyChars}. ` +
        'List fewer trusted-principals or use a shorter external-id, or ask AWS (Service Quotas, IAM) to raise the quota; it goes up to 4,096.',
    );
  }
  if (use.attachedPolicies > quotas.attachedPoliciesPerRole) {
    out.push(
      `The role ${use.roleName} would have ${use.attachedPolicies} managed policies attached (${use.foreignAttached} not managed by this action); the account's quota (AttachedPoliciesPerRoleQuota, "Managed policies per role") is ${quotas.attachedPoliciesPerRole}. ` +
        'Detach policies you no longer need, split the bucket list across roles, or ask AWS (Service Quotas, IAM) to raise the quota; it goes up to 20.',
    );
  }
  if (use.largestPolicy && use.largestPolicy.chars > quotas.policyChars) {
    out.push(
      `The managed policy ${use.largestPolicy.name} would be ${use.largestPolicy.chars} characters; the account's quota (PolicySizeQuota) is ${quotas.policyChars}. List fewer prefixes for its buckets.`,
    );
  }
  return out;
}
