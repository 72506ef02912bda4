// The KMS keys the role is granted (those found on the buckets' default encryption and those in kms-key-arns), and
// the warning a key of another account needs (spec behaviour 4). Pure.

import type { KmsGrant } from './desired.js';
import type { Access } from './inputs.js';
import type { CallerIdentity, KmsDiscovery } from './read.js';

/** The keys found on the buckets and those in kms-key-arns, each marked when it belongs to another account. */
export function kmsGrants(kmsKeyArns: string[], identity: CallerIdentity, discovery: Pick<KmsDiscovery, 'grants'>): KmsGrant[] {
  const found = new Map(discovery.grants.map((g) => [g.keyArn, g.buckets]));
  const arns = new Set([...found.keys(), ...kmsKeyArns]);
  return [...arns]
    .sort()
    .map((keyArn) => ({ keyArn, buckets: found.get(keyArn) ?? [], crossAccount: keyArn.split(':')[4] !== identity.account }));
}

/** A warning per key of another account: its own key policy must allow the role too (spec behaviour 4). */
export function crossAccountKeyWarnings(grants: KmsGrant[], access: Access): string[] {
  return grants
    .filter((k) => k.crossAccount)
    .map(
      (g) =>
        `KMS key ${g.keyArn} belongs to another account: its key policy must also allow the role (kms:Decrypt${access === 'read-write' ? ', kms:GenerateDataKey*' : ''}) for Activeloop to use it.`,
    );
}
