// What marks a role or policy as the action's own (spec behaviour 7), and the digest tag that tells
// drift (someone else's edit) from an input change.
import { ActionError } from './errors.js';

export const OWNER_TAG_KEY = 'managed-by';
export const OWNER_TAG_VALUE = 'activeloop-role-action';
export const DIGEST_TAG_KEY = 'activeloop-role-action:digest';
/** The ID of the action's own CORS rule on a bucket; the bucket's other rules are never touched. */
export const CORS_RULE_ID = 'activeloop-role-action';
/** On the role when the action keeps its CORS rule on the buckets (cors: true): a missing rule is then drift. */
export const CORS_TAG_KEY = 'activeloop-role-action:cors';
/** On a policy: `false` from its creation until the action has attached it, then `true`; absent on earlier versions' policies. */
export const ATTACHED_TAG_KEY = 'activeloop-role-action:attached';

/** Whether two tag keys are the same key to IAM, which refuses keys on one resource that differ only in case. */
export function sameTagKey(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** How `key` is spelled on a resource: exactly, else in another case (IAM's keys are case-insensitive); undefined when absent. */
export function tagKeyOn(tags: Record<string, string>, key: string): string | undefined {
  if (key in tags) return key;
  return Object.keys(tags).find((k) => sameTagKey(k, key));
}

/** The value of tag `key` on a resource, whatever the case of the key there. */
export function tagValue(tags: Record<string, string>, key: string): string | undefined {
  const onResource = tagKeyOn(tags, key);
  return onResource === undefined ? undefined : tags[onResource];
}

/** The action owns a resource that carries its ownership tag, or its digest tag (the ownership tag was removed by hand). */
export function owned(tags: Record<string, string>): boolean {
  return tagValue(tags, OWNER_TAG_KEY) === OWNER_TAG_VALUE || tagKeyOn(tags, DIGEST_TAG_KEY) !== undefined;
}

/** An existing role or policy this action does not own; refused unless `adopt: true` (spec behaviour 7). */
export class OwnershipError extends ActionError {
  /** `tags`: the resource's tags, to name a near-miss ownership tag (the value is compared exactly). */
  constructor(kind: 'role' | 'policy', arn: string, tags: Record<string, string> = {}) {
    const value = tagValue(tags, OWNER_TAG_KEY);
    const has =
      value === undefined
        ? `it has no tag ${OWNER_TAG_KEY}=${OWNER_TAG_VALUE}`
        : `its tag ${tagKeyOn(tags, OWNER_TAG_KEY)}=${value} is not ${OWNER_TAG_KEY}=${OWNER_TAG_VALUE}: the value must be exactly ${OWNER_TAG_VALUE}, in lower case`;
    super(
      `The ${kind} ${arn} already exists and is not managed by this action (${has}). ` +
        `Nothing was changed. To let the action take it over, set adopt: true; to leave it alone, choose another ${kind === 'role' ? 'role-name' : 'policy-name'}.`,
    );
    this.name = 'OwnershipError';
  }
}
