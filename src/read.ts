// Every AWS read past the sign-in (credentials.ts asks STS who the caller is). Nothing here writes; live.ts runs them.
import {
  GetAccountSummaryCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  type IAMClient,
  ListAttachedRolePoliciesCommand,
  ListEntitiesForPolicyCommand,
  ListInstanceProfilesForRoleCommand,
  ListPoliciesCommand,
  ListPolicyVersionsCommand,
  ListRolePoliciesCommand,
  type Policy,
  type Role,
  type Tag,
} from '@aws-sdk/client-iam';
import type { KMSClient } from '@aws-sdk/client-kms';
import {
  type CORSRule,
  GetBucketCorsCommand,
  GetBucketEncryptionCommand,
  GetBucketLocationCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketRequestPaymentCommand,
  type ObjectOwnership,
  type S3Client,
  type ServerSideEncryptionByDefault,
} from '@aws-sdk/client-s3';
import type { CallerRole } from './deployer.js';
import { ActionError, describeAwsError, errorName, httpStatus, isNoSuchEntity } from './errors.js';
import type { BucketGrant } from './inputs.js';
import { type PolicyDocument, parseDocument } from './policy.js';
import { type AccountQuotas, DEFAULT_QUOTAS } from './quotas.js';

/** Who the credentials are: the account and partition every ARN is built in. */
export interface CallerIdentity {
  account: string;
  partition: string;
  arn: string;
}

export interface LiveRole {
  name: string;
  arn: string;
  path: string;
  description?: string;
  maxSessionDuration: number;
  permissionsBoundary?: string;
  trustPolicy: PolicyDocument;
  tags: Record<string, string>;
  attachedPolicyArns: string[];
}

export interface LivePolicyVersion {
  id: string;
  isDefault: boolean;
  created: number;
}

export interface LivePolicy {
  arn: string;
  name: string;
  path: string;
  tags: Record<string, string>;
  defaultVersionId: string;
  document: PolicyDocument;
  versions: LivePolicyVersion[];
}

/** What else hangs on the role: IAM refuses DeleteRole while any of it is there. */
export interface RoleDependents {
  inlinePolicyNames: string[];
  instanceProfileNames: string[];
}

/** A bucket's CORS rules as S3 holds them; empty when it has none. */
export interface BucketCors {
  bucket: string;
  rules: CORSRule[];
  /** Why they could not be read: destroy and cors: true stop on it, the access check says unknown. */
  error?: string;
}

export interface LiveState {
  role?: LiveRole;
  /** Read only when the run may delete the role (destroy modes). */
  dependents?: RoleDependents;
  /** The policies that exist among the candidate names, in candidate order. */
  policies: LivePolicy[];
}

/** What the bucket's default encryption says, for the summary. */
export interface BucketEncryption {
  bucket: string;
  /** Where the bucket lives, when its location could be read (every bucket: the access check needs it too). */
  region?: string;
  algorithm: string;
  /** The key as configured on the bucket (id, alias or ARN). */
  configuredKey?: string;
  /** The key ARN granted, when the key is customer-managed. */
  grantedKeyArn?: string;
  /** The bucket uses an S3 Bucket Key: S3 then asks KMS with the bucket's ARN as encryption context, not the object's. */
  bucketKeyEnabled?: boolean;
  note: string;
}

/** A customer-managed key that is the default of some buckets. */
export interface DiscoveredKey {
  keyArn: string;
  buckets: string[];
}

export interface KmsDiscovery {
  /** Each granted key's key policy, when asked for (undefined: it could not be read). */
  keyPolicies: Map<string, PolicyDocument | undefined>;
  /** Keys to grant and the buckets that use them; main.ts marks those of other accounts. */
  grants: DiscoveredKey[];
  buckets: BucketEncryption[];
  warnings: string[];
}

export class BucketReadError extends ActionError {}

function tagMap(tags: Tag[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key) out[t.Key] = t.Value ?? '';
  return out;
}

/** Runs `task` over `items` with at most `limit` at once, keeping result order. */
// KMS loads on a run's first key (a bundle chunk of its own): runs without keys never load it.
const kmsCommands = () => import('@aws-sdk/client-kms');

export async function mapBounded<T, R>(items: T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

// Enough parallel bucket reads that a few hundred buckets take a couple of round trips.
export const BUCKET_CONCURRENCY = 64;

interface KeyDescription {
  arn: string;
  account: string;
  customerManaged: boolean;
}

/** The region S3 names for a bucket's LocationConstraint (none: us-east-1; EU: eu-west-1, its old name). */
export function bucketRegion(locationConstraint: string | undefined): string {
  if (!locationConstraint) return 'us-east-1';
  return locationConstraint === 'EU' ? 'eu-west-1' : locationConstraint;
}

/** The region a key ARN names, if the key is given as an ARN. */
function arnRegion(keyId: string): string | undefined {
  return /^arn:[\w-]+:kms:([^:]+):\d{12}:/.exec(keyId)?.[1];
}

/**
 * Finds each bucket's default-encryption key and keeps the customer-managed ones (spec behaviour 4).
 * S3 requires a bucket's default key to be in the bucket's region, so each key id or alias is resolved
 * with a KMS client of that region: an alias of the same name in the action's region is another key.
 * Each bucket's region is read with its encryption, at once; each key is described once, however many
 * buckets use it. Failures are collected for all buckets.
 */
export async function discoverKmsKeys(
  s3: S3Client,
  kmsIn: (region: string) => KMSClient,
  buckets: BucketGrant[],
  { keyPolicies = false }: { keyPolicies?: boolean } = {},
): Promise<KmsDiscovery> {
  const descriptions = new Map<string, Promise<KeyDescription | Error>>();
  // Key policies (for the access check) are read as soon as each key is known: with a key ID or ARN at the
  // same time as DescribeKey, with an alias right after it; never after the whole discovery.
  const policyReads = new Map<string, Promise<PolicyDocument | undefined>>();
  const readKeyPolicy = (keyId: string, region: string) => {
    const cacheKey = `${region} ${keyId}`;
    let known = policyReads.get(cacheKey);
    if (!known) {
      known = kmsCommands()
        .then(({ GetKeyPolicyCommand }) => kmsIn(region).send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' })))
        .then(
          (out) => (out.Policy ? parseDocument(out.Policy) : undefined),
          () => undefined,
        );
      policyReads.set(cacheKey, known);
    }
    return known;
  };
  const keyPolicyOf = new Map<string, Promise<PolicyDocument | undefined>>();
  const describe = (keyId: string, region: string) => {
    const cacheKey = `${region} ${keyId}`;
    let known = descriptions.get(cacheKey);
    if (!known) {
      known = kmsCommands()
        .then(({ DescribeKeyCommand }) => kmsIn(region).send(new DescribeKeyCommand({ KeyId: keyId })))
        .then(
          (out) => ({
            arn: out.KeyMetadata?.Arn ?? keyId,
            account: out.KeyMetadata?.AWSAccountId ?? '',
            customerManaged: out.KeyMetadata?.KeyManager !== 'AWS',
          }),
          (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
        );
      descriptions.set(cacheKey, known);
    }
    return known;
  };

  const failures: string[] = [];
  const warnings: string[] = [];
  // The first denial, kept as the error's cause: a deployer role's run then gets the stack's hint.
  let denied: unknown;
  const encryptionOf = async (bucket: string, regionP: Promise<string | Error>): Promise<BucketEncryption> => {
    let rule: ServerSideEncryptionByDefault | undefined;
    let bucketKeyEnabled: boolean | undefined;
    try {
      const out = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
      rule = out.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault;
      bucketKeyEnabled = out.ServerSideEncryptionConfiguration?.Rules?.[0]?.BucketKeyEnabled;
    } catch (error) {
      const name = errorName(error);
      if (name === 'ServerSideEncryptionConfigurationNotFoundError') {
        return { bucket, algorithm: 'none', note: 'no default encryption configured (S3 uses SSE-S3): no KMS key needed' };
      }
      if (name === 'NoSuchBucket') failures.push(`${bucket}: the bucket does not exist (NoSuchBucket)`);
      else if (name === 'AccessDenied' || httpStatus(error) === 403) {
        denied ??= error;
        failures.push(
          `${bucket}: access denied reading its default encryption (AccessDenied); allow s3:GetEncryptionConfiguration on it, or set detect-kms: false and list keys in kms-key-arns`,
        );
      } else failures.push(`${bucket}: ${name}: ${error instanceof Error ? error.message : String(error)}`);
      return { bucket, algorithm: 'unknown', note: 'could not be read' };
    }
    const algorithm = rule?.SSEAlgorithm ?? 'AES256';
    const configuredKey = rule?.KMSMasterKeyID;
    if (algorithm !== 'aws:kms' && algorithm !== 'aws:kms:dsse') {
      return { bucket, algorithm, note: 'SSE-S3: no KMS key needed' };
    }
    if (!configuredKey || /(^|:)alias\/aws\/s3$/.test(configuredKey)) {
      return { bucket, algorithm, configuredKey, note: 'AWS-managed key aws/s3: no grant needed' };
    }
    const region = arnRegion(configuredKey) ?? (await regionP);
    if (region instanceof Error) {
      failures.push(
        `${bucket}: could not read its region (s3:GetBucketLocation: ${errorName(region)}), which its KMS key ${configuredKey} lives in; allow s3:GetBucketLocation on it, or list the key ARN in kms-key-arns and set detect-kms: false`,
      );
      return { bucket, algorithm, configuredKey, note: 'region could not be read' };
    }
    const early = keyPolicies && !/(^|:)alias\//.test(configuredKey) ? readKeyPolicy(configuredKey, region) : undefined;
    const key = await describe(configuredKey, region);
    if (key instanceof Error) {
      if (/^arn:[\w-]+:kms:[^:]+:\d{12}:key\//.test(configuredKey)) {
        warnings.push(
          `Bucket ${bucket}: could not describe its KMS key ${configuredKey} (${errorName(key)}); granting the key ARN as configured. Check that it is customer-managed and that its key policy allows the role.`,
        );
        return {
          bucket,
          algorithm,
          configuredKey,
          grantedKeyArn: configuredKey,
          bucketKeyEnabled,
          note: 'key could not be described; granted as configured',
        };
      }
      failures.push(
        `${bucket}: could not resolve its KMS key ${configuredKey} (${errorName(key)}); allow kms:DescribeKey on it, or list the key ARN in kms-key-arns and set detect-kms: false`,
      );
      return { bucket, algorithm, configuredKey, note: 'key could not be resolved' };
    }
    if (!key.customerManaged) return { bucket, algorithm, configuredKey, note: 'AWS-managed key: no grant needed' };
    if (keyPolicies && !keyPolicyOf.has(key.arn)) keyPolicyOf.set(key.arn, early ?? readKeyPolicy(key.arn, arnRegion(key.arn) ?? region));
    return { bucket, region, algorithm, configuredKey, grantedKeyArn: key.arn, bucketKeyEnabled, note: 'customer-managed key: granted' };
  };
  const results = await mapBounded(buckets, BUCKET_CONCURRENCY, async ({ bucket }): Promise<BucketEncryption> => {
    // The region is read at the same time as the encryption: a KMS bucket's key lives there, and the access check
    // needs every bucket's (one location read a bucket in a run).
    const regionP = s3.send(new GetBucketLocationCommand({ Bucket: bucket })).then(
      (out) => bucketRegion(out.LocationConstraint),
      (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
    );
    const found = await encryptionOf(bucket, regionP);
    const region = found.region ?? (await regionP);
    return region instanceof Error ? found : { ...found, region };
  });

  if (failures.length) {
    // A bucket that is missing or unreadable is a problem of the bucket list, not of KMS: say so first.
    const unreadable = failures.filter((f) => /\((NoSuchBucket)\)$|: access denied reading/.test(f)).length;
    const lead =
      unreadable === failures.length
        ? `Input 'buckets': ${failures.length} bucket(s) could not be read (does each exist, in this account, and may the credentials read it?)`
        : `Could not inspect ${failures.length} bucket(s) for KMS encryption`;
    throw new BucketReadError(`${lead}:\n- ${failures.join('\n- ')}`, denied === undefined ? undefined : { cause: denied });
  }
  const byKey = new Map<string, DiscoveredKey>();
  for (const r of results) {
    if (!r.grantedKeyArn) continue;
    const grant = byKey.get(r.grantedKeyArn) ?? { keyArn: r.grantedKeyArn, buckets: [] };
    grant.buckets.push(r.bucket);
    byKey.set(r.grantedKeyArn, grant);
  }
  const policies = new Map(await Promise.all([...keyPolicyOf].map(async ([arn, p]) => [arn, await p] as const)));
  return { grants: [...byKey.values()], buckets: results, warnings, keyPolicies: policies };
}

export async function readPolicyVersions(iam: IAMClient, arn: string): Promise<LivePolicyVersion[]> {
  const out = await iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn }));
  return (out.Versions ?? []).map((v) => ({
    id: v.VersionId ?? '',
    isDefault: v.IsDefaultVersion === true,
    created: v.CreateDate?.getTime() ?? 0,
  }));
}

async function readPolicy(iam: IAMClient, arn: string): Promise<LivePolicy | undefined> {
  let policy: Policy | undefined;
  try {
    policy = (await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy;
  } catch (error) {
    if (isNoSuchEntity(error)) return undefined;
    throw error;
  }
  if (!policy?.DefaultVersionId) return undefined;
  const [version, versions] = await Promise.all([
    iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: policy.DefaultVersionId })),
    readPolicyVersions(iam, arn),
  ]);
  return {
    arn,
    name: policy.PolicyName ?? '',
    path: policy.Path ?? '/',
    tags: tagMap(policy.Tags),
    defaultVersionId: policy.DefaultVersionId,
    document: parseDocument(version.PolicyVersion?.Document ?? '{"Statement":[]}'),
    versions,
  };
}

async function allPages<T>(page: (marker?: string) => Promise<{ items: T[]; marker?: string }>): Promise<T[]> {
  const items: T[] = [];
  let marker: string | undefined;
  do {
    const out = await page(marker);
    items.push(...out.items);
    marker = out.marker;
  } while (marker);
  return items;
}

function readAttachedPolicyArns(iam: IAMClient, roleName: string): Promise<string[]> {
  return allPages(async (Marker) => {
    const out = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName, Marker }));
    return {
      items: (out.AttachedPolicies ?? []).flatMap((p) => (p.PolicyArn ? [p.PolicyArn] : [])),
      marker: out.IsTruncated ? out.Marker : undefined,
    };
  });
}

async function readRole(iam: IAMClient, roleName: string): Promise<LiveRole | undefined> {
  let role: Role | undefined;
  let attached: string[];
  try {
    [role, attached] = await Promise.all([
      iam.send(new GetRoleCommand({ RoleName: roleName })).then((out) => out.Role),
      readAttachedPolicyArns(iam, roleName),
    ]);
  } catch (error) {
    if (isNoSuchEntity(error)) return undefined;
    throw error;
  }
  if (!role) return undefined;
  return {
    name: role.RoleName ?? roleName,
    arn: role.Arn ?? '',
    path: role.Path ?? '/',
    description: role.Description,
    maxSessionDuration: role.MaxSessionDuration ?? 3600,
    permissionsBoundary: role.PermissionsBoundary?.PermissionsBoundaryArn,
    trustPolicy: parseDocument(role.AssumeRolePolicyDocument ?? '{"Statement":[]}'),
    tags: tagMap(role.Tags),
    attachedPolicyArns: attached,
  };
}

/**
 * Reads the role, its attachments and every candidate policy (the policy name and its -2 .. -10
 * siblings) at once, so the reads take three round trips whatever is there.
 */
export async function readLiveState(iam: IAMClient, roleName: string, candidatePolicyArns: Promise<string[]>): Promise<LiveState> {
  const [role, policies] = await Promise.all([
    readRole(iam, roleName),
    candidatePolicyArns.then((arns) => Promise.all(arns.map((arn) => readPolicy(iam, arn)))),
  ]);
  return { role, policies: policies.filter((p): p is LivePolicy => p !== undefined) };
}

/** The role's inline policies and instance profiles; none when the role does not exist. */
export async function readRoleDependents(iam: IAMClient, roleName: string): Promise<RoleDependents> {
  try {
    const [inlinePolicyNames, instanceProfileNames] = await Promise.all([
      allPages(async (Marker) => {
        const out = await iam.send(new ListRolePoliciesCommand({ RoleName: roleName, Marker }));
        return { items: out.PolicyNames ?? [], marker: out.IsTruncated ? out.Marker : undefined };
      }),
      allPages(async (Marker) => {
        const out = await iam.send(new ListInstanceProfilesForRoleCommand({ RoleName: roleName, Marker }));
        return {
          items: (out.InstanceProfiles ?? []).map((p) => p.InstanceProfileName ?? ''),
          marker: out.IsTruncated ? out.Marker : undefined,
        };
      }),
    ]);
    return { inlinePolicyNames, instanceProfileNames };
  } catch (error) {
    if (isNoSuchEntity(error)) return { inlinePolicyNames: [], instanceProfileNames: [] };
    throw error;
  }
}

/** Each bucket's CORS rules (none when it has no configuration, with the error when unreadable), read in parallel like the encryption reads. */
export async function readBucketCors(s3: S3Client, buckets: string[]): Promise<BucketCors[]> {
  return mapBounded(buckets, BUCKET_CONCURRENCY, async (bucket) => {
    try {
      const out = await s3.send(new GetBucketCorsCommand({ Bucket: bucket }));
      return { bucket, rules: out.CORSRules ?? [] };
    } catch (error) {
      if (errorName(error) === 'NoSuchCORSConfiguration') return { bucket, rules: [] };
      return { bucket, rules: [], error: describeAwsError(`s3:GetBucketCors ${bucket} (reading its CORS rules)`, error) };
    }
  });
}

/** The account's IAM quotas (GetAccountSummary); IAM's defaults for any it does not report. */
export async function readAccountQuotas(iam: IAMClient): Promise<AccountQuotas> {
  const map = (await iam.send(new GetAccountSummaryCommand({}))).SummaryMap ?? {};
  return {
    trustPolicyChars: map.AssumeRolePolicySizeQuota ?? DEFAULT_QUOTAS.trustPolicyChars,
    attachedPoliciesPerRole: map.AttachedPoliciesPerRoleQuota ?? DEFAULT_QUOTAS.attachedPoliciesPerRole,
    policyChars: map.PolicySizeQuota ?? DEFAULT_QUOTAS.policyChars,
  };
}

/**
 * The customer-managed policy with this name at any path, if there is one: names are unique per account,
 * across paths, case-insensitively.
 */
export async function findPolicyByName(iam: IAMClient, name: string): Promise<string | undefined> {
  const wanted = name.toLowerCase();
  let marker: string | undefined;
  do {
    const out = await iam.send(new ListPoliciesCommand({ Scope: 'Local', Marker: marker }));
    const found = (out.Policies ?? []).find((p) => p.PolicyName?.toLowerCase() === wanted);
    if (found?.Arn) return found.Arn;
    marker = out.IsTruncated ? out.Marker : undefined;
  } while (marker);
  return undefined;
}

/**
 * The key policies of the keys listed in kms-key-arns (for the access check), each read in its own region;
 * undefined for a key whose policy could not be read (the check then says unknown).
 */
export async function readKeyPolicies(
  kmsIn: (region: string) => KMSClient,
  keyArns: string[],
): Promise<Map<string, PolicyDocument | undefined>> {
  const read = await mapBounded(keyArns, BUCKET_CONCURRENCY, async (arn) => {
    try {
      const { GetKeyPolicyCommand } = await kmsCommands();
      const out = await kmsIn(arnRegion(arn) ?? 'us-east-1').send(new GetKeyPolicyCommand({ KeyId: arn, PolicyName: 'default' }));
      return [arn, out.Policy ? parseDocument(out.Policy) : undefined] as const;
    } catch {
      return [arn, undefined] as const;
    }
  });
  return new Map(read);
}

/** A bucket's policy: the document, none, or why it could not be read (the access check then says unknown). */
export interface BucketPolicyRead {
  bucket: string;
  document?: PolicyDocument;
  error?: string;
}

/** Each bucket's policy, read in parallel like the encryption reads. */
export function readBucketPolicies(s3: S3Client, buckets: string[]): Promise<BucketPolicyRead[]> {
  return mapBounded(buckets, BUCKET_CONCURRENCY, async (bucket) => {
    try {
      const out = await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }));
      return { bucket, document: out.Policy ? parseDocument(out.Policy) : undefined };
    } catch (error) {
      if (errorName(error) === 'NoSuchBucketPolicy') return { bucket };
      return { bucket, error: `s3:GetBucketPolicy: ${errorName(error)}` };
    }
  });
}

/** A managed policy's default document, or undefined when the policy does not exist. */
export async function readManagedPolicyDocument(iam: IAMClient, arn: string): Promise<PolicyDocument | undefined> {
  let versionId: string | undefined;
  try {
    versionId = (await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy?.DefaultVersionId;
  } catch (error) {
    if (isNoSuchEntity(error)) return undefined;
    throw error;
  }
  const version = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: versionId }));
  return parseDocument(version.PolicyVersion?.Document ?? '{"Statement":[]}');
}

/**
 * The caller's own role (name, path, tags), when the credentials are an assumed role that may read itself
 * (the deployer template's roles may); undefined otherwise (credentials made some other way).
 */
export async function readCallerRole(iam: IAMClient, identity: CallerIdentity): Promise<CallerRole | undefined> {
  // arn:<partition>:sts::<account>:assumed-role/<role name>/<session>
  const roleName = /^arn:[\w-]+:sts::\d{12}:assumed-role\/([^/]+)\/.+$/.exec(identity.arn)?.[1];
  if (!roleName) return undefined;
  try {
    const role = (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role;
    return role ? { name: role.RoleName ?? roleName, path: role.Path ?? '/', tags: tagMap(role.Tags) } : undefined;
  } catch {
    return undefined;
  }
}

/** Where a managed policy is attached: the names of the roles, users and groups (iam:ListEntitiesForPolicy). */
export interface PolicyAttachments {
  policyArn: string;
  roles: string[];
  users: string[];
  groups: string[];
}

/** Where each policy is attached, or the reason it could not be read; a policy that does not exist has none. */
export async function readPolicyAttachments(iam: IAMClient, policyArns: string[]): Promise<PolicyAttachments[] | { error: string }> {
  try {
    return await Promise.all(
      policyArns.map(async (policyArn) => {
        const out: PolicyAttachments = { policyArn, roles: [], users: [], groups: [] };
        let marker: string | undefined;
        do {
          const page = await iam.send(new ListEntitiesForPolicyCommand({ PolicyArn: policyArn, Marker: marker }));
          out.roles.push(...(page.PolicyRoles ?? []).flatMap((r) => (r.RoleName ? [r.RoleName] : [])));
          out.users.push(...(page.PolicyUsers ?? []).flatMap((u) => (u.UserName ? [u.UserName] : [])));
          out.groups.push(...(page.PolicyGroups ?? []).flatMap((g) => (g.GroupName ? [g.GroupName] : [])));
          marker = page.IsTruncated ? page.Marker : undefined;
        } while (marker);
        return out;
      }),
    );
  } catch (error) {
    return { error: describeAwsError('iam:ListEntitiesForPolicy', error) };
  }
}

/** The bucket settings the access check needs beyond its policies: region, Object Ownership, Requester Pays. */
export interface BucketSettingsRead {
  bucket: string;
  /** Undefined when GetBucketLocation failed. */
  region?: string;
  /** 'none': the bucket has no ownership controls (OwnershipControlsNotFoundError), which S3 treats as ObjectWriter. */
  objectOwnership?: ObjectOwnership | 'none';
  ownershipError?: string;
  requestPayer?: 'Requester' | 'BucketOwner';
  /** The bucket belongs to another account than `account` (known only from the Requester Pays read). */
  otherAccount?: boolean;
  requestPaymentError?: string;
}

/**
 * Each bucket's region, Object Ownership and Requester Pays setting, for the access check. GetBucketRequestPayment
 * is asked with ExpectedBucketOwner (the account): S3 answers 403 when another account owns the bucket
 * (S3 User Guide, "Verifying bucket ownership with bucket owner condition"), so a second ask without it tells
 * a bucket of another account from a denied read. `ownerOnly`: that read alone; `region: false`: no location read.
 */
export function readBucketSettings(
  s3: S3Client,
  buckets: string[],
  account: string,
  { ownerOnly = false, region: readRegion = true }: { ownerOnly?: boolean; region?: boolean } = {},
): Promise<BucketSettingsRead[]> {
  return mapBounded(buckets, BUCKET_CONCURRENCY, async (bucket): Promise<BucketSettingsRead> => {
    // ownerOnly: the Requester Pays read alone, for the bucket's owner (the deployer stack's ceiling needs no more).
    // region: false when the KMS discovery reads each bucket's location already.
    const regionP =
      ownerOnly || !readRegion
        ? undefined
        : s3.send(new GetBucketLocationCommand({ Bucket: bucket })).then(
            (out) => bucketRegion(out.LocationConstraint),
            () => undefined,
          );
    const ownershipP = ownerOnly
      ? {}
      : s3.send(new GetBucketOwnershipControlsCommand({ Bucket: bucket })).then(
          (out) => ({ objectOwnership: out.OwnershipControls?.Rules?.[0]?.ObjectOwnership ?? ('none' as const) }),
          (error: unknown) =>
            errorName(error) === 'OwnershipControlsNotFoundError'
              ? { objectOwnership: 'none' as const }
              : { ownershipError: `s3:GetBucketOwnershipControls: ${errorName(error)}` },
        );
    const payerOf = (out: { Payer?: string }): 'Requester' | 'BucketOwner' => (out.Payer === 'Requester' ? 'Requester' : 'BucketOwner');
    const paymentP = s3.send(new GetBucketRequestPaymentCommand({ Bucket: bucket, ExpectedBucketOwner: account })).then(
      (out) => ({ requestPayer: payerOf(out), otherAccount: false }),
      async (error: unknown) => {
        if (httpStatus(error) !== 403) return { requestPaymentError: `s3:GetBucketRequestPayment: ${errorName(error)}` };
        try {
          return { requestPayer: payerOf(await s3.send(new GetBucketRequestPaymentCommand({ Bucket: bucket }))), otherAccount: true };
        } catch (again) {
          return { requestPaymentError: `s3:GetBucketRequestPayment: ${errorName(again)}` };
        }
      },
    );
    const [region, ownership, payment] = await Promise.all([regionP, ownershipP, paymentP]);
    return { bucket, region, ...ownership, ...payment };
  });
}
