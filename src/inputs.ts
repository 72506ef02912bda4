// Reads and validates every input before the first AWS call (spec behaviour 1).
// Pure: it takes a getter, so it is tested without a runner.
import { readFileSync } from 'node:fs';
import type { Env } from './aws.js';
import { ATTACHED_TAG_KEY, CORS_TAG_KEY, DIGEST_TAG_KEY, OWNER_TAG_KEY, sameTagKey } from './ownership.js';

export const DEFAULT_TRUSTED_PRINCIPAL = 'arn:aws:iam::597713067985:role/activeloop_backend';
export const DEFAULT_ROLE_NAME = 'activeloop-deeplake-access';
export const DEFAULT_ROLE_DESCRIPTION =
  'Lets Activeloop (Deep Lake) read and write datasets in the listed S3 buckets. Managed by activeloop-role-action.';

export type Mode = 'apply' | 'plan' | 'destroy' | 'plan-destroy';

/** What mode: auto picked and why, for the log (spec input `mode`). */
export interface ModeChoice {
  mode: Mode;
  /** `auto` when the event picked the mode; the mode itself when it was set. */
  requested: Mode | 'auto';
  reason: string;
}

/** The workflow's event, as the runner gives it (GITHUB_EVENT_NAME, and a workflow_dispatch's own `mode` input). */
export interface WorkflowEvent {
  name: string;
  /** The `mode` input of a workflow_dispatch run, when the workflow declares one. */
  dispatchMode?: string;
}

const CHOSEN_MODES: Mode[] = ['apply', 'plan', 'destroy', 'plan-destroy'];

/**
 * mode: auto by event. Pull requests (and merge queues) plan: their OIDC token can only assume the plan
 * role, and a PR must never apply its own change. A push applies; a scheduled run reconciles (applies,
 * and reports drift); a manual run does what its `mode` input says, apply when it has none.
 */
export function autoMode(event: WorkflowEvent): ModeChoice {
  const requested = 'auto' as const;
  switch (event.name) {
    case 'pull_request':
    case 'pull_request_target':
    case 'merge_group':
      return { mode: 'plan', requested, reason: `the event is ${event.name}: a change under review is planned, never applied` };
    case 'push':
      return { mode: 'apply', requested, reason: 'the event is push: the merged configuration is applied' };
    case 'schedule':
      return { mode: 'apply', requested, reason: 'the event is schedule: the role is reconciled (drift is repaired and reported)' };
    case 'workflow_dispatch': {
      // Exactly one of the choices: the workflow's own `if:` compares it as written, so a "destroy " trimmed here
      // would destroy outside the offboard job and its environment.
      const asked = event.dispatchMode ?? '';
      if (asked === '' || asked === 'auto') {
        const how = asked ? 'with its mode input set to auto' : 'without a mode input';
        return { mode: 'apply', requested, reason: `the event is workflow_dispatch ${how}: apply` };
      }
      if ((CHOSEN_MODES as string[]).includes(asked)) {
        return { mode: asked as Mode, requested, reason: `the event is workflow_dispatch with its mode input set to ${asked}` };
      }
      throw new InputError(
        'mode',
        asked,
        `mode is auto, and the workflow_dispatch event's own 'mode' input must be exactly one of auto, ${CHOSEN_MODES.join(', ')}, as written (no spaces)`,
      );
    }
    default:
      throw new InputError(
        'mode',
        'auto',
        `auto picks the mode by the workflow's event, and knows pull_request, pull_request_target, merge_group, push, schedule and workflow_dispatch, not ${event.name || '(no GITHUB_EVENT_NAME)'}; set mode to apply, plan, destroy or plan-destroy for this workflow`,
      );
  }
}

/** Modes that write to AWS; the others only read. */
export function writes(mode: Mode): boolean {
  return mode === 'apply' || mode === 'destroy';
}

/** Modes that remove what the action made, rather than create or update it. */
export function removes(mode: Mode): boolean {
  return mode === 'destroy' || mode === 'plan-destroy';
}
export type Access = 'read-write' | 'read-only';
export type AccessCheck = 'warn' | 'fail' | 'off';

/** One bucket the role may use: the whole bucket, or only some prefixes of it. */
export interface BucketGrant {
  bucket: string;
  /** Empty: the whole bucket. Otherwise normalised prefixes without leading or trailing slash. */
  prefixes: string[];
}

export interface Inputs {
  buckets: BucketGrant[];
  roleName: string;
  policyName: string;
  mode: Mode;
  /** How the mode was chosen (mode: auto picks by the event). */
  modeChoice: ModeChoice;
  access: Access;
  accessCheck: AccessCheck;
  /** Keep the action's CORS rule for Activeloop's web app on every listed bucket. */
  cors: boolean;
  /** The team uses Activeloop's web app: the access check tells whether each bucket's CORS rule lets it read. */
  webApp: boolean;
  trustedPrincipals: string[];
  externalId?: string;
  /** `external-id: none`: the run may remove a live sts:ExternalId condition (spec behaviour 13). */
  removeExternalId: boolean;
  detectKms: boolean;
  kmsKeyArns: string[];
  roleToAssume?: string;
  audience: string;
  region: string;
  rolePath: string;
  roleDescription: string;
  maxSessionDuration: number;
  permissionsBoundary?: string;
  tags: Record<string, string>;
  adopt: boolean;
  failOnDrift: boolean;
  prComment: boolean;
  githubToken: string;
  maskAccountId: boolean;
  /** Empty: any account. */
  allowedAccountIds: string[];
}

/** A bad input value. The message names the input and the value; no AWS call has been made. */
export class InputError extends Error {
  constructor(
    readonly input: string,
    readonly value: string,
    reason: string,
  ) {
    super(`Input '${input}': ${reason} (got ${quote(value)})`);
    this.name = 'InputError';
  }
}

function quote(value: string): string {
  const shown = value.length > 120 ? `${value.slice(0, 117)}...` : value;
  return JSON.stringify(shown);
}

export type InputGetter = (name: string) => string;

const PARTITION = '(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f|aws-eusc)';
const IAM_NAME = /^[\w+=,.@-]+$/;
const IAM_PATH = /^\/([\x21-\x7E]{0,510}\/)?$/;
const ROLE_ARN = new RegExp(`^arn:${PARTITION}:iam::\\d{12}:role/([\\x21-\\x7E]{0,510}/)?[\\w+=,.@-]{1,64}$`);
const PRINCIPAL_ARN = new RegExp(`^arn:${PARTITION}:iam::\\d{12}:(root|(role|user)/([\\x21-\\x7E]{0,510}/)?[\\w+=,.@-]{1,64})$`);
const ACCOUNT_ID = /^\d{12}$/;
const MANAGED_POLICY_ARN = new RegExp(`^arn:${PARTITION}:iam::(\\d{12}|aws):policy/([\\x21-\\x7E]{0,510}/)?[\\w+=,.@-]{1,128}$`);
const KMS_KEY_ARN = new RegExp(
  `^arn:${PARTITION}:kms:[a-z]{2,4}(-[a-z]+)+-\\d+:\\d{12}:key/(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`,
);
// Region names of every partition the SDK knows: us-east-1, cn-north-1, us-gov-west-1, us-isob-east-1, eusc-de-east-1, ...
export const REGION = /^[a-z]{2,4}(-[a-z]+)+-\d+$/;

/** A region of each partition, for a run that names none: the partition's implicit global region in the SDK. */
export const PARTITION_HOME_REGION: Record<string, string> = {
  aws: 'us-east-1',
  'aws-cn': 'cn-northwest-1',
  'aws-us-gov': 'us-gov-west-1',
  'aws-iso': 'us-iso-east-1',
  'aws-iso-b': 'us-isob-east-1',
  'aws-iso-e': 'eu-isoe-west-1',
  'aws-iso-f': 'us-isof-south-1',
  'aws-eusc': 'eusc-de-east-1',
};
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
// Printable characters IAM accepts in a role description.
const DESCRIPTION = /^[\t\n\r\x20-\x7E\xA1-\xFF]*$/;
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
// Characters a prefix may hold: S3's "safe" key characters minus the IAM wildcards * and ?,
// and no $ (IAM policy variables), so nothing in the input can widen a Resource. No comma: it separates entries.
const PREFIX_CHARS = /^[A-Za-z0-9!_.'()/=+@:~-]+$/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const BUCKET_RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const BUCKET_RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

/** Splits a list input on newlines and commas, trimming and dropping blanks and `#` comments. */
export function splitList(raw: string): string[] {
  return raw
    .split(/\r?\n/)
    .map((line) => line.replace(/(^|\s)#.*$/, ''))
    .flatMap((line) => line.split(','))
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function bool(input: string, raw: string, fallback: boolean): boolean {
  const value = raw.trim();
  if (value === '') return fallback;
  if (['true', 'True', 'TRUE'].includes(value)) return true;
  if (['false', 'False', 'FALSE'].includes(value)) return false;
  throw new InputError(input, raw, 'must be true or false');
}

function oneOf<T extends string>(input: string, raw: string, allowed: readonly T[], fallback: T): T {
  const value = raw.trim();
  if (value === '') return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new InputError(input, raw, `must be one of ${allowed.join(', ')}`);
}

function iamName(input: string, raw: string, maxLength: number): string {
  if (raw.length > maxLength) throw new InputError(input, raw, `must be at most ${maxLength} characters`);
  if (!IAM_NAME.test(raw)) {
    throw new InputError(input, raw, 'may contain only letters, digits and + = , . @ _ -');
  }
  return raw;
}

export function validateBucketName(input: string, entry: string, name: string): void {
  const fail = (reason: string): never => {
    throw new InputError(input, entry, `bucket name ${JSON.stringify(name)} ${reason}`);
  };
  if (name.length < 3 || name.length > 63) fail('must be 3 to 63 characters long');
  if (!BUCKET_NAME.test(name)) {
    fail('may contain only lowercase letters, digits, dots and hyphens, and must begin and end with a letter or digit');
  }
  if (name.includes('..')) fail('must not contain two adjacent dots');
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) fail('must not be formatted as an IP address');
  for (const prefix of BUCKET_RESERVED_PREFIXES) {
    if (name.startsWith(prefix)) fail(`must not start with the reserved prefix ${prefix}`);
  }
  for (const suffix of BUCKET_RESERVED_SUFFIXES) {
    if (name.endsWith(suffix)) fail(`must not end with the reserved suffix ${suffix}`);
  }
}

/** Parses one `buckets` entry: `name`, `s3://name` or `arn:<partition>:s3:::name`, each with an optional `/prefix`. */
export function parseBucketEntry(entry: string): BucketGrant {
  const input = 'buckets';
  let rest: string;
  const arn = new RegExp(`^arn:${PARTITION}:s3:::(.*)$`).exec(entry);
  if (arn) rest = arn[2];
  else if (entry.startsWith('s3://')) rest = entry.slice('s3://'.length);
  else if (/^[a-z][a-z0-9+.-]*:/i.test(entry)) {
    throw new InputError(input, entry, 'each entry must be a bucket name, s3://bucket[/prefix] or arn:aws:s3:::bucket[/prefix]');
  } else rest = entry;

  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  validateBucketName(input, entry, bucket);
  const rawPrefix = slash === -1 ? '' : rest.slice(slash + 1);
  const prefix = rawPrefix.replace(/\/+$/, '');
  if (prefix === '') return { bucket, prefixes: [] };
  if (prefix.length > 1024) throw new InputError(input, entry, 'a prefix must be at most 1024 characters');
  if (!PREFIX_CHARS.test(prefix)) {
    throw new InputError(
      input,
      entry,
      "a prefix may contain only letters, digits, '/' and ! _ . ' ( ) = + @ : ~ - (no wildcards * or ?, no $, no spaces)",
    );
  }
  const segments = prefix.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new InputError(input, entry, "a prefix must not start with '/' or contain empty, '.' or '..' segments");
  }
  return { bucket, prefixes: [prefix] };
}

/** True when `inner` lies inside `outer` (same prefix or a sub-folder of it). */
function prefixCovers(outer: string, inner: string): boolean {
  return inner === outer || inner.startsWith(`${outer}/`);
}

/**
 * Merges entries of one bucket: a whole-bucket entry wins over its prefixes, and a prefix
 * covers its sub-prefixes. The result is sorted by bucket name, so input order does not matter.
 */
export function mergeBucketGrants(grants: BucketGrant[]): BucketGrant[] {
  const byBucket = new Map<string, BucketGrant>();
  for (const grant of grants) {
    const known = byBucket.get(grant.bucket);
    if (!known) {
      byBucket.set(grant.bucket, { bucket: grant.bucket, prefixes: [...grant.prefixes] });
    } else if (known.prefixes.length === 0 || grant.prefixes.length === 0) {
      known.prefixes = [];
    } else {
      known.prefixes.push(...grant.prefixes);
    }
  }
  for (const grant of byBucket.values()) {
    const sorted = [...new Set(grant.prefixes)].sort();
    grant.prefixes = sorted.filter((p) => !sorted.some((other) => other !== p && prefixCovers(other, p)));
  }
  return [...byBucket.values()].sort((a, b) => (a.bucket < b.bucket ? -1 : a.bucket > b.bucket ? 1 : 0));
}

function parsePrincipal(entry: string): string {
  if (ACCOUNT_ID.test(entry)) return entry;
  if (PRINCIPAL_ARN.test(entry)) return entry;
  throw new InputError(
    'trusted-principals',
    entry,
    'each principal must be an IAM role or user ARN (arn:aws:iam::123456789012:role/name), an account root ARN or a 12-digit account ID; wildcards are not allowed',
  );
}

export function parseTags(raw: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const line of raw.split(/\r?\n/)) {
    const entry = line.trim();
    if (entry === '' || entry.startsWith('#')) continue;
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new InputError('tags', entry, 'each line must be key=value');
    const key = entry.slice(0, eq).trim();
    const value = entry.slice(eq + 1).trim();
    if (key.length > 128) throw new InputError('tags', entry, 'a tag key must be at most 128 characters');
    if (value.length > 256) throw new InputError('tags', entry, 'a tag value must be at most 256 characters');
    if (entry.includes(',')) {
      throw new InputError('tags', entry, 'tags are one key=value per line; a comma does not separate tags (IAM allows no comma in a tag)');
    }
    if (!TAG_CHARS.test(key) || !TAG_CHARS.test(value)) {
      throw new InputError('tags', entry, 'tags may contain only letters, digits, spaces and _ . : / = + - @');
    }
    if (key.toLowerCase().startsWith('aws:')) throw new InputError('tags', entry, "tag keys starting with 'aws:' are reserved by AWS");
    const reserved = [OWNER_TAG_KEY, DIGEST_TAG_KEY, CORS_TAG_KEY, ATTACHED_TAG_KEY].find((k) => sameTagKey(k, key));
    if (reserved) throw new InputError('tags', entry, `the tag key '${key}' is reserved for this action's marker '${reserved}'`);
    const given = Object.keys(tags).find((k) => sameTagKey(k, key));
    if (given === key) throw new InputError('tags', entry, `the tag key '${key}' is given twice`);
    if (given !== undefined) {
      // IAM refuses the write half-way through the run (InvalidInput: Duplicate tag keys found); refuse it now.
      throw new InputError(
        'tags',
        entry,
        `the tag keys '${given}' and '${key}' differ only in case, and IAM tag keys are case-insensitive: keep one`,
      );
    }
    tags[key] = value;
  }
  // IAM allows 50 tags per resource; two are ours.
  if (Object.keys(tags).length > 48) throw new InputError('tags', raw, 'at most 48 tags may be given (IAM allows 50; the action sets 2)');
  return tags;
}

/** The run's event from the runner's variables; the payload file is read only for a workflow_dispatch's inputs. */
export function readWorkflowEvent(env: Env): WorkflowEvent {
  const name = env.GITHUB_EVENT_NAME ?? '';
  if (name !== 'workflow_dispatch' || !env.GITHUB_EVENT_PATH) return { name };
  try {
    const payload = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as { inputs?: { mode?: unknown } };
    const mode = payload.inputs?.mode;
    return { name, dispatchMode: typeof mode === 'string' ? mode : undefined };
  } catch {
    return { name };
  }
}

/** Reads and validates all inputs. Throws InputError on the first bad value. */
export function readInputs(get: InputGetter, env: Env = process.env, event: WorkflowEvent = readWorkflowEvent(env)): Inputs {
  const rawBuckets = get('buckets');
  const bucketEntries = splitList(rawBuckets);
  if (bucketEntries.length === 0) {
    throw new InputError('buckets', rawBuckets, 'list at least one bucket, one per line or comma-separated');
  }
  const buckets = mergeBucketGrants(bucketEntries.map(parseBucketEntry));

  const roleName = iamName('role-name', get('role-name').trim() || DEFAULT_ROLE_NAME, 64);
  const rawPolicyName = get('policy-name').trim() || `${roleName}-s3`;
  // Leave room for the "-10" suffix of a tenth policy.
  const policyName = iamName('policy-name', rawPolicyName, 125);

  const requestedMode = oneOf<Mode | 'auto'>('mode', get('mode'), [...CHOSEN_MODES, 'auto'], 'apply');
  const modeChoice: ModeChoice =
    requestedMode === 'auto' ? autoMode(event) : { mode: requestedMode, requested: requestedMode, reason: 'set by the mode input' };
  const mode = modeChoice.mode;
  const access = oneOf<Access>('access', get('access'), ['read-write', 'read-only'], 'read-write');
  const accessCheck = oneOf<AccessCheck>('access-check', get('access-check'), ['warn', 'fail', 'off'], 'warn');

  const rawPrincipals = get('trusted-principals');
  const principalEntries = splitList(rawPrincipals);
  const trustedPrincipals = principalEntries.length ? [...new Set(principalEntries.map(parsePrincipal))] : [DEFAULT_TRUSTED_PRINCIPAL];

  const givenExternalId = get('external-id').trim();
  // `none` removes the external ID on purpose; other casings look like a typo, or an ID, so they are refused.
  const removeExternalId = givenExternalId === 'none';
  if (!removeExternalId && givenExternalId.toLowerCase() === 'none') {
    throw new InputError('external-id', givenExternalId, "write 'none' (lower case) to remove the external ID on purpose");
  }
  const rawExternalId = removeExternalId ? '' : givenExternalId;
  if (rawExternalId !== '' && !EXTERNAL_ID.test(rawExternalId)) {
    throw new InputError('external-id', rawExternalId, 'must be 2 to 1224 characters of letters, digits and + = , . @ : / _ -');
  }

  const kmsKeyArns = [...new Set(splitList(get('kms-key-arns')))];
  for (const arn of kmsKeyArns) {
    if (!KMS_KEY_ARN.test(arn)) {
      throw new InputError(
        'kms-key-arns',
        arn,
        'each entry must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key-id>); aliases are not accepted',
      );
    }
  }

  const roleToAssume = get('role-to-assume').trim();
  // arn:aws:iam:::role/...: the workflow derived the ARN from an account variable that is empty.
  if (/^arn:[\w-]+:iam:::role\//.test(roleToAssume)) {
    throw new InputError(
      'role-to-assume',
      roleToAssume,
      "the ARN has no account ID, most likely because the repository variable ACTIVELOOP_AWS_ACCOUNT_ID is not set (Settings → Secrets and variables → Actions → Variables; the deployer stack's output RepositoryVariableCommand sets it)",
    );
  }
  if (roleToAssume !== '' && !ROLE_ARN.test(roleToAssume)) {
    throw new InputError('role-to-assume', roleToAssume, 'must be an IAM role ARN (arn:aws:iam::123456789012:role/name)');
  }

  const audience = get('audience').trim() || 'sts.amazonaws.com';

  const rawRegion = get('aws-region').trim();
  // Without a region, one of role-to-assume's partition: a China or GovCloud role is not reachable from us-east-1.
  const homeRegion = PARTITION_HOME_REGION[roleToAssume.split(':')[1] ?? 'aws'] ?? 'us-east-1';
  const region = rawRegion || env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || homeRegion;
  if (!REGION.test(region)) {
    throw new InputError(rawRegion ? 'aws-region' : 'aws-region (from AWS_REGION)', region, 'must be an AWS region such as us-east-1');
  }

  const rolePath = get('role-path').trim() || '/';
  if (rolePath.length > 512 || !IAM_PATH.test(rolePath)) {
    throw new InputError(
      'role-path',
      rolePath,
      "must be '/' or start and end with '/' (for example /activeloop/), at most 512 printable ASCII characters",
    );
  }

  const rawDescription = get('role-description');
  const roleDescription = rawDescription.trim() || DEFAULT_ROLE_DESCRIPTION;
  if (roleDescription.length > 1000 || !DESCRIPTION.test(roleDescription)) {
    throw new InputError('role-description', rawDescription, 'must be at most 1000 printable characters');
  }

  const rawDuration = get('max-session-duration').trim() || '3600';
  const maxSessionDuration = Number(rawDuration);
  if (!/^\d+$/.test(rawDuration) || maxSessionDuration < 3600 || maxSessionDuration > 43200) {
    throw new InputError('max-session-duration', rawDuration, 'must be a whole number of seconds from 3600 to 43200');
  }

  const permissionsBoundary = get('permissions-boundary').trim();
  if (permissionsBoundary !== '' && !MANAGED_POLICY_ARN.test(permissionsBoundary)) {
    throw new InputError(
      'permissions-boundary',
      permissionsBoundary,
      'must be a managed policy ARN (arn:aws:iam::123456789012:policy/name)',
    );
  }

  const allowedAccountIds = [...new Set(splitList(get('allowed-account-ids')))];
  for (const id of allowedAccountIds) {
    if (!ACCOUNT_ID.test(id)) throw new InputError('allowed-account-ids', id, 'each entry must be a 12-digit AWS account ID');
  }

  return {
    buckets,
    roleName,
    policyName,
    mode,
    modeChoice,
    access,
    accessCheck,
    cors: bool('cors', get('cors'), false),
    webApp: bool('web-app', get('web-app'), true),
    trustedPrincipals,
    externalId: rawExternalId || undefined,
    removeExternalId,
    detectKms: bool('detect-kms', get('detect-kms'), true),
    kmsKeyArns,
    roleToAssume: roleToAssume || undefined,
    audience,
    region,
    rolePath,
    roleDescription,
    maxSessionDuration,
    permissionsBoundary: permissionsBoundary || undefined,
    tags: parseTags(get('tags')),
    adopt: bool('adopt', get('adopt'), false),
    failOnDrift: bool('fail-on-drift', get('fail-on-drift'), false),
    prComment: bool('pr-comment', get('pr-comment'), true),
    githubToken: get('github-token').trim(),
    maskAccountId: bool('mask-account-id', get('mask-account-id'), false),
    allowedAccountIds,
  };
}
