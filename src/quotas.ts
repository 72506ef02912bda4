// IAM's quotas the plan must respect (IAM and AWS STS quotas, in the IAM User Guide).

/** Characters in a customer-managed policy document, whitespace not counted. */
export const MANAGED_POLICY_MAX_CHARS = 6144;

/** Managed policies attached to one role by default; the action suffixes -2 .. -10 to the policy name. */
export const MAX_MANAGED_POLICIES = 10;

/** Versions IAM keeps of one managed policy. */
export const MAX_POLICY_VERSIONS = 5;
