// The desired role and policies, built from the inputs and the KMS keys found. Pure.

import { ActionError } from './errors.js';
import type { Access, BucketGrant, Inputs } from './inputs.js';
import { CORS_TAG_KEY, DIGEST_TAG_KEY, OWNER_TAG_KEY, OWNER_TAG_VALUE, sameTagKey, tagValue } from './ownership.js';
import { canonical, digest, documentFacts, type PolicyDocument, policySize, type Statement } from './policy.js';
import { MANAGED_POLICY_MAX_CHARS, MAX_MANAGED_POLICIES } from './quotas.js';
import type { CallerIdentity, DiscoveredKey } from './read.js';

/** A KMS key the role is granted, and why. */
export interface KmsGrant extends DiscoveredKey {
  /** Buckets whose default encryption uses the key; empty for keys given in `kms-key-arns`. */
  buckets: string[];
  /** The key belongs to another account: its key policy must allow the role too. */
  crossAccount: boolean;
}

/** One piece of the permissions that moves between managed policies as a whole. */
export type GrantUnit = { key: string; kind: 'bucket'; grant: BucketGrant } | { key: string; kind: 'kms'; keyArn: string };

export interface DesiredPolicy {
  index: number;
  name: string;
  arn: string;
  document: PolicyDocument;
}

export interface DesiredRole {
  name: string;
  path: string;
  arn: string;
  description: string;
  maxSessionDuration: number;
  permissionsBoundary?: string;
  trustPolicy: PolicyDocument;
  /** The user's tags plus the ownership tag. */
  tags: Record<string, string>;
}

export interface DesiredState {
  identity: CallerIdentity;
  role: DesiredRole;
  policies: DesiredPolicy[];
  policyTags: Record<string, string>;
  /** The `tags` input as given (the record keeps a hash per key). */
  inputTags: Record<string, string>;
  kmsGrants: KmsGrant[];
}

const VERSION = '2012-10-17';

export const S3_ACTIONS: Record<Access, { bucket: string[]; object: string[] }> = {
  // Deep Lake uploads large chunks in parts and aborts a failed upload; s3:*Object* matches neither multipart action.
  'read-write': {
    bucket: ['s3:ListBucket', 's3:GetBucketLocation'],
    object: ['s3:*Object*', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
  },
  'read-only': { bucket: ['s3:ListBucket', 's3:GetBucketLocation'], object: ['s3:GetObject', 's3:GetObjectVersion'] },
};

export const KMS_ACTIONS: Record<Access, string[]> = {
  'read-write': ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
  'read-only': ['kms:Decrypt', 'kms:DescribeKey'],
};

export function policyName(base: string, index: number): string {
  return index === 0 ? base : `${base}-${index + 1}`;
}

export function policyArn(identity: CallerIdentity, path: string, name: string): string {
  return `arn:${identity.partition}:iam::${identity.account}:policy${path}${name}`;
}

export function roleArn(identity: CallerIdentity, path: string, name: string): string {
  return `arn:${identity.partition}:iam::${identity.account}:role${path}${name}`;
}

/** The trust policy: Activeloop's backend may assume the role, with the external ID when one is set. */
export function trustPolicy(principals: string[], partition: string, externalId?: string): PolicyDocument {
  const aws = principals.map((p) => (/^\d{12}$/.test(p) ? `arn:${partition}:iam::${p}:root` : p));
  const statement: Statement = {
    Sid: 'AllowAssumeRoleFromActiveloopSaaS',
    Effect: 'Allow',
    Principal: { AWS: aws.length === 1 ? aws[0] : aws },
    Action: 'sts:AssumeRole',
  };
  if (externalId) statement.Condition = { StringEquals: { 'sts:ExternalId': externalId } };
  return { Version: VERSION, Statement: [statement] };
}

/**
 * A principal of another account trusted without an external ID: AWS's guidance for third-party access
 * (IAM User Guide, "The confused deputy problem") is to require the external ID the third party gives.
 */
export function confusedDeputyWarnings(inputs: Pick<Inputs, 'trustedPrincipals' | 'externalId'>, identity: CallerIdentity): string[] {
  if (inputs.externalId) return [];
  const accountOf = (p: string) => (/^\d{12}$/.test(p) ? p : p.split(':')[4]);
  const foreign = inputs.trustedPrincipals.filter((p) => accountOf(p) && accountOf(p) !== identity.account);
  if (foreign.length === 0) return [];
  return [
    `The role trusts ${foreign.join(', ')} of another account without external-id. AWS advises an external ID for third-party access ` +
      "(the confused deputy problem: https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html). Set external-id to the ID Activeloop's connect wizard gives you.",
  ];
}

/** The ARNs the action's policies would have (one per possible managed policy) at the inputs' path. */
export function candidatePolicyArns(inputs: Pick<Inputs, 'rolePath' | 'policyName'>, identity: CallerIdentity): string[] {
  return Array.from({ length: MAX_MANAGED_POLICIES }, (_, i) => policyArn(identity, inputs.rolePath, policyName(inputs.policyName, i)));
}

/** Renders the permissions document for a set of units (buckets and KMS keys). */
export function permissionsDocument(units: GrantUnit[], access: Access, partition: string): PolicyDocument {
  const actions = S3_ACTIONS[access];
  const s3 = `arn:${partition}:s3:::`;
  const whole: string[] = [];
  const prefixed: BucketGrant[] = [];
  const keys: string[] = [];
  for (const unit of units) {
    if (unit.kind === 'kms') keys.push(unit.keyArn);
    else if (unit.grant.prefixes.length === 0) whole.push(unit.grant.bucket);
    else prefixed.push(unit.grant);
  }
  const out: Statement[] = [];
  if (whole.length) {
    // The seed's shape: bucket- and object-level actions on the bucket and its objects.
    out.push({
      Sid: 'DeepLakeBuckets',
      Effect: 'Allow',
      Action: [...actions.bucket, ...actions.object],
      Resource: whole.flatMap((b) => [`${s3}${b}`, `${s3}${b}/*`]),
    });
  }
  if (prefixed.length) {
    out.push({
      Sid: 'DeepLakePrefixObjects',
      Effect: 'Allow',
      Action: actions.object,
      Resource: prefixed.flatMap((g) => g.prefixes.map((p) => `${s3}${g.bucket}/${p}/*`)),
    });
    out.push({
      Sid: 'DeepLakePrefixBucketLocation',
      Effect: 'Allow',
      Action: 's3:GetBucketLocation',
      Resource: prefixed.map((g) => `${s3}${g.bucket}`),
    });
    // One statement per bucket: a shared s3:prefix condition would let one bucket's prefixes be listed in another.
    prefixed.forEach((g, i) => {
      out.push({
        Sid: `DeepLakeListPrefixes${i + 1}`,
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: `${s3}${g.bucket}`,
        Condition: { StringLike: { 's3:prefix': g.prefixes.flatMap((p) => [p, `${p}/*`]) } },
      });
    });
  }
  if (keys.length) {
    out.push({ Sid: 'DeepLakeKmsKeys', Effect: 'Allow', Action: KMS_ACTIONS[access], Resource: keys });
  }
  return { Version: VERSION, Statement: out };
}

export function grantUnits(buckets: BucketGrant[], kmsGrants: KmsGrant[]): GrantUnit[] {
  const units: GrantUnit[] = buckets.map((grant) => ({ key: `bucket:${grant.bucket}`, kind: 'bucket', grant }));
  for (const k of kmsGrants) units.push({ key: `kms:${k.keyArn}`, kind: 'kms', keyArn: k.keyArn });
  return units;
}

/** Which policy index each unit lives in now, read from the live documents (index = position in the list). */
export function liveAssignment(liveDocuments: (PolicyDocument | undefined)[]): Map<string, number> {
  const where = new Map<string, number>();
  liveDocuments.forEach((doc, index) => {
    if (!doc) return;
    const facts = documentFacts(doc);
    const buckets = new Set([...facts.buckets, ...facts.objectResources.map((r) => r.replace(/^arn:[\w-]+:s3:::([^/]+)\/.*$/, '$1'))]);
    for (const b of buckets) if (!where.has(`bucket:${b}`)) where.set(`bucket:${b}`, index);
    for (const k of facts.kmsKeys) if (!where.has(`kms:${k}`)) where.set(`kms:${k}`, index);
  });
  return where;
}

export class PolicySizeError extends ActionError {}

/**
 * Packs units into as few documents as fit IAM's size quota. Units stay where they live now
 * when they still fit, so adding a bucket rewrites one policy rather than all of them.
 */
export function packUnits(
  units: GrantUnit[],
  render: (units: GrantUnit[]) => PolicyDocument,
  current: Map<string, number>,
  maxChars = MANAGED_POLICY_MAX_CHARS,
): GrantUnit[][] {
  const fits = (bin: GrantUnit[]) => policySize(render(bin)) <= maxChars;
  const bins: GrantUnit[][] = [];
  const pending: GrantUnit[] = [];
  for (const unit of units) {
    const index = current.get(unit.key);
    if (index === undefined || index >= MAX_MANAGED_POLICIES) {
      pending.push(unit);
      continue;
    }
    while (bins.length <= index) bins.push([]);
    bins[index].push(unit);
  }
  // A policy that no longer fits (say, its buckets grew prefixes) gives up units from its end.
  for (const bin of bins) {
    while (bin.length && !fits(bin)) pending.unshift(bin.pop() as GrantUnit);
  }
  for (const unit of pending) {
    if (!fits([unit])) {
      const what = unit.kind === 'kms' ? `KMS key ${unit.keyArn}` : `bucket ${unit.grant.bucket}`;
      throw new PolicySizeError(
        `The grant for ${what} alone exceeds IAM's ${maxChars}-character managed policy quota; list fewer prefixes for it.`,
      );
    }
    const home = bins.find((bin) => fits([...bin, unit]));
    if (home) home.push(unit);
    else bins.push([unit]);
  }
  // Close gaps: a policy emptied in the middle takes over the last policy's units, so names stay dense.
  for (let i = 0; i < bins.length; i++) {
    if (bins[i].length === 0) {
      let last = bins.length - 1;
      while (last > i && bins[last].length === 0) last--;
      if (last > i) bins[i] = bins.splice(last, 1, [])[0];
    }
  }
  while (bins.length > 1 && bins[bins.length - 1].length === 0) bins.pop();
  // Fewer policies when possible: the last policy goes when all its units fit in the others (no partial moves,
  // which would rewrite two policies without saving one).
  while (bins.length > 1) {
    const trial = bins.slice(0, -1).map((bin) => [...bin]);
    const placed = bins[bins.length - 1].every((unit) => {
      const home = trial.find((bin) => fits([...bin, unit]));
      if (home) home.push(unit);
      return home !== undefined;
    });
    if (!placed) break;
    bins.splice(0, bins.length, ...trial);
  }
  const order = new Map(units.map((u, i) => [u.key, i]));
  return bins.map((bin) => [...bin].sort((a, b) => (order.get(a.key) ?? 0) - (order.get(b.key) ?? 0)));
}

/** The role settings the action writes, as IAM shows them (live) or the inputs ask for them (desired). */
export interface RoleSettings {
  trustPolicy: PolicyDocument;
  description?: string;
  maxSessionDuration?: number;
  permissionsBoundary?: string;
  tags: Record<string, string>;
}

/**
 * The digest of the role settings this action writes, stored in a tag to tell drift from input changes.
 * Tags count only for the keys the inputs name that the role has: adding a tag to the inputs is not drift;
 * changing or removing one by hand is.
 */
export function roleDigest(role: RoleSettings, tagKeys: string[]): string {
  const tags = tagKeys
    .filter((k) => !sameTagKey(k, OWNER_TAG_KEY) && !sameTagKey(k, DIGEST_TAG_KEY) && tagValue(role.tags, k) !== undefined)
    .sort()
    .map((k) => [k, tagValue(role.tags, k)]);
  return digest(
    JSON.stringify([
      canonical(role.trustPolicy),
      role.description ?? '',
      role.maxSessionDuration ?? 3600,
      role.permissionsBoundary ?? '',
      tags,
    ]),
  );
}

export function policyDigest(document: PolicyDocument): string {
  return digest(canonical(document));
}

/**
 * Builds the desired state. `currentDocuments[i]` is the live document of the i-th policy name
 * (when the action owns it), used to keep units in place.
 */
export function buildDesired(
  inputs: Inputs,
  identity: CallerIdentity,
  kmsGrants: KmsGrant[],
  currentDocuments: (PolicyDocument | undefined)[] = [],
): DesiredState {
  const units = grantUnits(inputs.buckets, kmsGrants);
  const render = (bin: GrantUnit[]) => permissionsDocument(bin, inputs.access, identity.partition);
  const bins = packUnits(units, render, liveAssignment(currentDocuments));
  if (bins.length > MAX_MANAGED_POLICIES) {
    throw new PolicySizeError(
      `The grants for ${inputs.buckets.length} buckets and ${kmsGrants.length} KMS keys need ${bins.length} managed policies of ` +
        `${MANAGED_POLICY_MAX_CHARS} characters; IAM attaches at most ${MAX_MANAGED_POLICIES} to a role by default. ` +
        'Split the bucket list across several roles (one step per role-name).',
    );
  }
  const ownerTags = { [OWNER_TAG_KEY]: OWNER_TAG_VALUE };
  const policies = bins.map((bin, index) => {
    const name = policyName(inputs.policyName, index);
    return { index, name, arn: policyArn(identity, inputs.rolePath, name), document: render(bin) };
  });
  return {
    identity,
    role: {
      name: inputs.roleName,
      path: inputs.rolePath,
      arn: roleArn(identity, inputs.rolePath, inputs.roleName),
      description: inputs.roleDescription,
      maxSessionDuration: inputs.maxSessionDuration,
      permissionsBoundary: inputs.permissionsBoundary,
      trustPolicy: trustPolicy(inputs.trustedPrincipals, identity.partition, inputs.externalId),
      // The role records that the action keeps its CORS rule, so a rule removed later is drift.
      tags: { ...inputs.tags, ...ownerTags, ...(inputs.cors ? { [CORS_TAG_KEY]: 'true' } : {}) },
    },
    policies,
    policyTags: { ...inputs.tags, ...ownerTags },
    inputTags: inputs.tags,
    kmsGrants,
  };
}
