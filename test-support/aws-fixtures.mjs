// @ts-check
// Seeds and reads back AWS state on the emulator, for end-to-end tests, the demo and the benchmark.
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListPolicyVersionsCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateBucketCommand, PutBucketEncryptionCommand, S3Client } from '@aws-sdk/client-s3';

/** @typedef {{ accessKeyId: string, secretAccessKey: string }} Credentials */

/** @param {string} endpoint @param {Credentials} [credentials] @param {string} [region] */
export function clients(endpoint, credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' }, region = 'us-east-1') {
  const config = { endpoint, region, credentials };
  return { iam: new IAMClient(config), s3: new S3Client({ ...config, forcePathStyle: true }), kms: new KMSClient(config) };
}

/** @param {string} endpoint @param {string} [alias] @param {string} [region] @returns {Promise<string>} */
export async function createKey(endpoint, alias, region) {
  const { kms } = clients(endpoint, undefined, region);
  const key = (await kms.send(new CreateKeyCommand({ Description: alias ?? 'test key' }))).KeyMetadata;
  if (!key?.KeyId || !key.Arn) throw new Error('CreateKey returned no key');
  if (alias) await kms.send(new CreateAliasCommand({ AliasName: `alias/${alias}`, TargetKeyId: key.KeyId }));
  return key.Arn;
}

/**
 * encryption: undefined (none), 'AES256', or { algorithm: 'aws:kms' | 'aws:kms:dsse', key: id/alias/ARN }.
 * @param {string} endpoint @param {string} name
 * @param {undefined | 'AES256' | { algorithm?: 'aws:kms' | 'aws:kms:dsse', key: string }} [encryption]
 * @param {string} [region] where the bucket lives (us-east-1 when not given)
 * @param {'BucketOwnerEnforced' | 'BucketOwnerPreferred' | 'ObjectWriter' | null} [ownership] Object Ownership; null: none,
 *   like a bucket made before April 2023. AWS gives every new bucket BucketOwnerEnforced since April 2023 (S3 User
 *   Guide, "Setting Object Ownership when you create a bucket"); moto gives none, so the fixture asks for it.
 */
export async function createBucket(endpoint, name, encryption, region = 'us-east-1', ownership = 'BucketOwnerEnforced') {
  const { s3 } = clients(endpoint, undefined, region);
  await s3.send(
    new CreateBucketCommand({
      Bucket: name,
      ...(ownership ? { ObjectOwnership: ownership } : {}),
      ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: /** @type {any} */ (region) } }),
    }),
  );
  if (!encryption) return;
  /** @type {import('@aws-sdk/client-s3').ServerSideEncryptionByDefault} */
  const rule =
    encryption === 'AES256'
      ? { SSEAlgorithm: 'AES256' }
      : { SSEAlgorithm: encryption.algorithm ?? 'aws:kms', KMSMasterKeyID: encryption.key };
  await s3.send(
    new PutBucketEncryptionCommand({
      Bucket: name,
      ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: rule }] },
    }),
  );
}

/** @param {string} doc */
function parse(doc) {
  try {
    return JSON.parse(doc);
  } catch {
    return JSON.parse(decodeURIComponent(doc));
  }
}

/** @param {unknown} e */
const isNoSuchEntity = (e) => ['NoSuchEntity', 'NoSuchEntityException'].includes(/** @type {Error} */ (e).name);

/**
 * The role as IAM holds it, or undefined.
 * @param {string} endpoint @param {string} roleName @param {Credentials} [credentials] @returns {Promise<any>}
 */
export async function readRole(endpoint, roleName, credentials) {
  const { iam } = clients(endpoint, credentials);
  try {
    const role = (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role;
    if (!role) return undefined;
    const attached = (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }))).AttachedPolicies ?? [];
    return {
      ...role,
      trust: parse(role.AssumeRolePolicyDocument ?? '{}'),
      tags: Object.fromEntries((role.Tags ?? []).map((t) => [t.Key, t.Value])),
      attached: attached.map((p) => p.PolicyArn).sort(),
    };
  } catch (e) {
    if (isNoSuchEntity(e)) return undefined;
    throw e;
  }
}

/**
 * A managed policy's default document, tags and versions, or undefined.
 * @param {string} endpoint @param {string} arn @param {Credentials} [credentials] @returns {Promise<any>}
 */
export async function readPolicy(endpoint, arn, credentials) {
  const { iam } = clients(endpoint, credentials);
  try {
    const policy = (await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy;
    if (!policy) return undefined;
    const version = (await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: policy.DefaultVersionId }))).PolicyVersion;
    const versions = (await iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn }))).Versions ?? [];
    return {
      ...policy,
      document: parse(version?.Document ?? '{}'),
      tags: Object.fromEntries((policy.Tags ?? []).map((t) => [t.Key, t.Value])),
      versions: versions.map((v) => v.VersionId),
    };
  } catch (e) {
    if (isNoSuchEntity(e)) return undefined;
    throw e;
  }
}

/**
 * Creates an IAM user with one inline policy and returns its access key, for tests that run the
 * action with narrow credentials while moto checks permissions.
 * @param {string} endpoint @param {string} userName @param {object} policy
 * @returns {Promise<{ AWS_ACCESS_KEY_ID: string, AWS_SECRET_ACCESS_KEY: string }>}
 */
export async function createUserWithPolicy(endpoint, userName, policy) {
  const { iam } = clients(endpoint);
  await iam.send(new CreateUserCommand({ UserName: userName }));
  await iam.send(
    new PutUserPolicyCommand({ UserName: userName, PolicyName: `${userName}-policy`, PolicyDocument: JSON.stringify(policy) }),
  );
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey;
  if (!key?.AccessKeyId || !key.SecretAccessKey) throw new Error('CreateAccessKey returned no key');
  return { AWS_ACCESS_KEY_ID: key.AccessKeyId, AWS_SECRET_ACCESS_KEY: key.SecretAccessKey };
}
