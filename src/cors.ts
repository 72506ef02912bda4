// The action's CORS rule for Activeloop's web app (input cors): which buckets need it written. Pure.
// The web app reads datasets straight from the bucket in the browser; Activeloop's docs ask for a rule
// allowing its origins to GET and HEAD. The bucket's other rules are kept exactly as they are.
import type { CORSRule } from '@aws-sdk/client-s3';
import type { Change } from './changes.js';
import { ActionError } from './errors.js';
import { CORS_RULE_ID } from './ownership.js';
import type { BucketCors } from './read.js';

export const WEB_APP_RULE: CORSRule = {
  ID: CORS_RULE_ID,
  AllowedOrigins: ['https://*.activeloop.ai'],
  AllowedMethods: ['GET', 'HEAD'],
  AllowedHeaders: ['*'],
};

// S3 allows at most 100 rules in a bucket's CORS configuration.
export const MAX_CORS_RULES = 100;

const sorted = (v: string[] | undefined) => [...(v ?? [])].sort().join(',');

/** Whether a rule says what the action's rule says. */
function same(a: CORSRule, b: CORSRule): boolean {
  return (
    sorted(a.AllowedOrigins) === sorted(b.AllowedOrigins) &&
    sorted(a.AllowedMethods) === sorted(b.AllowedMethods) &&
    sorted(a.AllowedHeaders) === sorted(b.AllowedHeaders) &&
    sorted(a.ExposeHeaders) === sorted(b.ExposeHeaders) &&
    a.MaxAgeSeconds === b.MaxAgeSeconds
  );
}

/**
 * A put-cors-rule change for each bucket whose rule is missing or edited. `kept` says the role records that
 * the action keeps the rule (a missing rule is then drift: someone removed it).
 */
export function planCors(buckets: BucketCors[], kept: boolean, partition: string): Change[] {
  const changes: Change[] = [];
  for (const { bucket, rules, error } of buckets) {
    if (error) throw new ActionError(`cors: true needs the bucket's CORS rules, to keep the others as they are: ${error}`);
    const index = rules.findIndex((r) => r.ID === CORS_RULE_ID);
    const ours = index === -1 ? undefined : rules[index];
    if (ours && same(ours, WEB_APP_RULE)) continue;
    const next = ours ? rules.map((r, i) => (i === index ? WEB_APP_RULE : r)) : [...rules, WEB_APP_RULE];
    if (next.length > MAX_CORS_RULES) {
      throw new ActionError(
        `Input 'cors': bucket ${bucket} has ${rules.length} CORS rules; S3 allows ${MAX_CORS_RULES}, so the web app's rule does not fit. Nothing was changed. Remove a rule from the bucket, or set cors: false.`,
      );
    }
    changes.push({
      action: 'put-cors-rule',
      resource: `arn:${partition}:s3:::${bucket}`,
      bucket,
      rules: next,
      previous: ours,
      reason: ours
        ? `the CORS rule ${CORS_RULE_ID} was changed outside this action`
        : kept
          ? `the CORS rule ${CORS_RULE_ID} was removed outside this action`
          : "Activeloop's web app needs a CORS rule to read the bucket",
      drift: ours !== undefined || kept,
    });
  }
  return changes;
}
