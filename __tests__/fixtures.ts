// Hand-made desired and live states for the pure planner tests.
import { buildDesired, type DesiredState, policyDigest } from '../src/desired.js';
import { type Inputs, readInputs } from '../src/inputs.js';
import { DIGEST_TAG_KEY } from '../src/ownership.js';
import { desiredRecord } from '../src/plan.js';
import type { CallerIdentity, LivePolicy, LiveState } from '../src/read.js';
import { attachmentHashes } from '../src/record.js';

export const identity: CallerIdentity = { account: '123456789012', partition: 'aws', arn: 'arn:aws:iam::123456789012:user/ci' };

export function inputs(values: Record<string, string> = {}): Inputs {
  return readInputs((name) => values[name] ?? '', {});
}

export function desiredFor(values: Record<string, string> = {}, kmsKeys: string[] = []): DesiredState {
  return buildDesired(
    inputs({ buckets: 'ml-datasets', ...values }),
    identity,
    kmsKeys.map((keyArn) => ({ keyArn, buckets: [], crossAccount: false })),
  );
}

/** The live state a successful apply of `desired` leaves behind. */
export function liveAfterApply(desired: DesiredState, versions = 1, corsBuckets?: string[]): LiveState {
  const policies: LivePolicy[] = desired.policies.map((p) => ({
    arn: p.arn,
    name: p.name,
    path: '/',
    tags: { ...desired.policyTags, [DIGEST_TAG_KEY]: policyDigest(p.document) },
    defaultVersionId: `v${versions}`,
    document: structuredClone(p.document),
    versions: Array.from({ length: versions }, (_, i) => ({ id: `v${i + 1}`, isDefault: i === versions - 1, created: 1000 + i })),
  }));
  return {
    role: {
      name: desired.role.name,
      arn: desired.role.arn,
      path: desired.role.path,
      description: desired.role.description,
      maxSessionDuration: desired.role.maxSessionDuration,
      permissionsBoundary: desired.role.permissionsBoundary,
      trustPolicy: structuredClone(desired.role.trustPolicy),
      tags: {
        ...desired.role.tags,
        [DIGEST_TAG_KEY]: desiredRecord(desired, undefined, corsBuckets, attachmentHashes(desired.policies.map((p) => p.arn))),
      },
      attachedPolicyArns: desired.policies.map((p) => p.arn),
    },
    policies,
  };
}
