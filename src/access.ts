// Whether Activeloop can really use each bucket (input access-check, output access): the requests Deep Lake
// makes, with the request context those calls carry, decided by the repository's IAM evaluator (src/iam/)
// against the bucket policy, the KMS key policy and the permissions boundary. Pure.
//
// What the action cannot see (SCPs, RCPs, a condition key it cannot value) makes a verdict "unknown", never
// "allowed"; an unknown names the condition key that decides it and the value that would let Deep Lake through.
import type { CORSRule } from '@aws-sdk/client-s3';
import {
  authorize,
  type Decider,
  type Decision,
  type KeyValue,
  type NamedPolicy,
  PUBLIC_ADDRESS,
  parseOperator,
  type RequestContext,
  type UnknownValue,
} from './iam/index.js';
import { parseDate } from './iam/operators/date.js';
import { literalPattern, type Pattern, patternText, resolve } from './iam/variables.js';
import { arnMatches, arnWitness, globWitness } from './iam/wildcard.js';
import type { Access } from './inputs.js';
import type { PolicyDocument } from './policy.js';

export type AccessState = 'allowed' | 'blocked' | 'unknown' | 'not-applicable';

export interface Verdict {
  state: AccessState;
  reason: string;
  /** For blocked and unknown: which policy, which statement, and the fix in one sentence. */
  policy?: string;
  statement?: string;
  fix?: string;
  /** For unknown: the condition key that decides it, and the value of it that lets Deep Lake's request through. */
  decidingKey?: string;
  passesWhen?: string;
  /** When the verdict changes by itself: a date condition of a policy (aws:CurrentTime, aws:EpochTime) flips it then. */
  changesAt?: string;
  changesTo?: AccessState;
  /** For a verdict a bucket setting decides rather than a policy: the setting (Object Ownership, Requester Pays, Region). */
  setting?: string;
}

export type Capability = 'list' | 'read' | 'write' | 'kms' | 'web-app';
export const CAPABILITIES: Capability[] = ['list', 'read', 'write', 'kms', 'web-app'];
/** What Deep Lake itself needs; the web app's readiness (CORS) is a concern of its own. */
export const DATA_CAPABILITIES: Capability[] = ['list', 'read', 'write', 'kms'];

export interface BucketAccess {
  bucket: string;
  /** The prefixes the role is limited to (empty or none: the whole bucket). */
  prefixes?: string[];
  verdicts: Record<Capability, Verdict>;
}

/** What the check knows about one bucket. */
export interface BucketFacts {
  bucket: string;
  /** Empty: the whole bucket. */
  prefixes: string[];
  region: string;
  /** The bucket policy; undefined when the bucket has none. */
  policy?: PolicyDocument;
  /** Why the bucket policy could not be read (its verdicts are then unknown). */
  policyError?: string;
  cors: CORSRule[];
  /** Why the CORS rules could not be read (the web app's verdict is then unknown). */
  corsError?: string;
  /** The bucket's default KMS key, when it is customer-managed, with its key policy (undefined: not readable). */
  key?: { arn: string; policy?: PolicyDocument; bucketKeyEnabled?: boolean };
  /** Object Ownership; 'none': no ownership controls, which S3 treats as ObjectWriter; undefined: not read. */
  objectOwnership?: 'BucketOwnerEnforced' | 'BucketOwnerPreferred' | 'ObjectWriter' | 'none';
  ownershipError?: string;
  /** Who pays for requests; and whether the bucket belongs to another account than the role's. */
  requestPayer?: 'Requester' | 'BucketOwner';
  otherAccount?: boolean;
  requestPaymentError?: string;
}

export interface AccessInput {
  access: Access;
  roleArn: string;
  account: string;
  partition: string;
  /** The role's tags as they will be (aws:PrincipalTag/...). */
  roleTags: Record<string, string>;
  /**
   * The permissions boundary, when the role has one, with its document (undefined: it could not be read), and by
   * bucket the fix of a block by it when the caller knows a better one (a deployer stack's update).
   */
  boundary?: { arn: string; document?: PolicyDocument; fixes?: Record<string, string> };
  /** The web app's CORS rule will be kept by this run (cors: true). */
  corsManaged: boolean;
  /** The keys listed in kms-key-arns, with their key policies (undefined: not readable): objects may be written with them in any bucket. */
  listedKeys?: { arn: string; policy?: PolicyDocument }[];
  /** Whether the team uses Activeloop's web app (input web-app); false: its CORS readiness is not checked. Default true. */
  webApp?: boolean;
  /** The time that values aws:CurrentTime and aws:EpochTime (default: now); injectable for tests. */
  now?: Date;
}

// Keys the action cannot value for Deep Lake's requests; every other key it does not set is absent from them.
const UNKNOWN_KEYS = [
  'aws:PrincipalOrgID',
  'aws:PrincipalOrgPaths',
  'aws:userid',
  'aws:TokenIssueTime',
  'aws:MultiFactorAuthPresent',
  'aws:MultiFactorAuthAge',
  'aws:UserAgent',
  'aws:Referer',
  'aws:SourceIdentity',
  'aws:ResourceOrgID',
  'aws:ResourceOrgPaths',
  'aws:ResourceAccount',
  'aws:ResourceTag/',
  'aws:PrincipalTag/',
  's3:ExistingObjectTag/',
  's3:signatureAge',
  's3:x-amz-content-sha256',
  's3:delimiter',
  's3:max-keys',
  's3:ResourceAccount',
  'kms:',
];

// KMS keys S3's calls for Deep Lake never carry: S3's encryption context holds only aws:s3:arn, and Decrypt and
// GenerateDataKey are no grant operations ("AWS KMS condition keys"; S3 User Guide, "Using server-side encryption with AWS KMS keys").
const ABSENT_KEYS = [
  'kms:EncryptionContext:',
  'kms:GrantIsForAWSResource',
  'kms:GrantOperations',
  'kms:GrantConstraintType',
  'kms:GranteePrincipal',
  'kms:RetiringPrincipal',
];

/** Deep Lake uses TLS 1.2 or later: 1.2 or 1.3, which one the action cannot know. */
const TLS_VERSIONS: UnknownValue = { unknown: true, candidates: ['1.2', '1.3'] };

/**
 * Activeloop's backend reaches S3 from a public address (which one the action cannot know), or through a VPC
 * endpoint of its own, and then the request has no aws:SourceIp ("AWS global condition context keys",
 * aws:SourceIp: not present for requests through a VPC endpoint). Never from the customer's private network.
 */
const SOURCE_IPS: UnknownValue = { unknown: true, candidates: [PUBLIC_ADDRESS, undefined] };

/** The request context of a call Deep Lake makes with the role: TLS, the role's identity and tags, not through a VPC endpoint, not from the customer's network, no encryption header. */
function contextFor(
  input: AccessInput,
  region: string,
  action: string,
  resource: string,
  extra: Record<string, KeyValue | UnknownValue>,
): RequestContext {
  const tags = Object.fromEntries(Object.entries(input.roleTags).map(([k, v]) => [`aws:PrincipalTag/${k}`, v]));
  return {
    action,
    resource,
    principal: { partition: input.partition, account: input.account, roleArn: input.roleArn },
    keys: {
      'aws:SecureTransport': 'true',
      'aws:PrincipalArn': input.roleArn,
      'aws:PrincipalAccount': input.account,
      'aws:PrincipalType': 'AssumedRole',
      'aws:PrincipalIsAWSService': 'false',
      'aws:CurrentTime': (input.now ?? new Date()).toISOString().replace(/\.\d+Z$/, 'Z'),
      'aws:EpochTime': String(Math.floor((input.now ?? new Date()).getTime() / 1000)),
      'aws:ViaAWSService': 'false',
      'aws:RequestedRegion': region,
      's3:TlsVersion': TLS_VERSIONS,
      's3:authType': 'REST-HEADER',
      's3:signatureversion': 'AWS4-HMAC-SHA256',
      'aws:SourceIp': SOURCE_IPS,
      ...tags,
      ...extra,
    },
    unknownKeys: UNKNOWN_KEYS,
    absentKeys: ABSENT_KEYS,
  };
}

const ok = (reason: string): Verdict => ({ state: 'allowed', reason });
const na = (reason: string): Verdict => ({ state: 'not-applicable', reason });

/** The sentence that says which value of the deciding key lets the request through. */
function passing(decider: Decider | undefined, denying: boolean): string | undefined {
  if (!decider) return undefined;
  // A Deny lets the request through when its condition fails; a needed Allow, when its condition holds.
  const known = denying ? decider.failsWhen : decider.holdsWhen;
  if (known !== undefined) return `${decider.key} is ${known}`;
  const values = decider.values.join(', ');
  if (/^Null/.test(decider.operator)) {
    const holdsWhenAbsent = decider.values.some((v) => v.toLowerCase() === 'true');
    return `${decider.key} is ${holdsWhenAbsent === denying ? 'present' : 'absent'}`;
  }
  const negated = /Not/.test(decider.operator);
  return (denying ? negated : !negated)
    ? `${decider.key} matches ${values} (${decider.operator})`
    : `${decider.key} does not match ${values} (${decider.operator})`;
}

/** The path of Activeloop's requests that lets them through an aws:SourceIp condition, in words. */
function pathPassing(text: string | undefined): string | undefined {
  if (text === 'aws:SourceIp is a public address') return 'Activeloop reaches S3 from a public address, not through a VPC endpoint';
  if (text === 'aws:SourceIp is (absent)') return 'Activeloop reaches S3 through a VPC endpoint (no aws:SourceIp)';
  return text;
}

/** A Decision as a capability's verdict. */
function verdictOf(decision: Decision, action: string, fixes: Record<string, string>, input: AccessInput): Verdict | undefined {
  if (decision.decision === 'allowed') return undefined;
  const policy = decision.policy;
  const name = policy?.name ?? 'policy';
  if (decision.decision === 'unknown') {
    const decider = decision.statement?.decider;
    const sourceIp = decider?.key.toLowerCase() === 'aws:sourceip';
    const passesWhen = sourceIp
      ? pathPassing(passing(decider, decision.unknownSide !== 'allow'))
      : passing(decider, decision.unknownSide !== 'allow');
    // Only the path decides when every public address gives the same answer; otherwise the address does too.
    const byPath = decider?.holdsWhen === 'a public address' || decider?.failsWhen === 'a public address';
    const cause = sourceIp
      ? byPath
        ? 'its condition on aws:SourceIp depends on how Activeloop reaches S3: from a public address, or through a VPC endpoint (then the request has no aws:SourceIp)'
        : "its condition on aws:SourceIp depends on Activeloop's public address, which the action cannot see, and on whether it comes through a VPC endpoint (then without aws:SourceIp)"
      : decider
        ? `its condition on ${decider.key} depends on what the action cannot see`
        : 'it depends on what the action cannot see';
    return {
      state: 'unknown',
      reason: `${action} may be denied by the ${name}: ${cause}`,
      policy: name,
      statement: decision.statement?.label,
      fix: `Check that statement for requests from Activeloop with the role ${input.roleArn}${passesWhen ? `: it lets them through when ${passesWhen}` : ''}.`,
      decidingKey: decider?.key,
      passesWhen,
    };
  }
  if (decision.decision === 'explicit-deny') {
    return {
      state: 'blocked',
      reason: `${action} is denied by the ${name}`,
      policy: name,
      statement: decision.statement?.label,
      fix: fixes[policy?.kind ?? 'resource'],
    };
  }
  return {
    state: 'blocked',
    reason:
      policy?.kind === 'key'
        ? `the ${name} allows ${action} neither to the role nor to the account (IAM policies cannot grant the key without that)`
        : `the ${name} does not allow ${action}`,
    policy: name,
    fix: fixes[policy?.kind ?? 'resource'],
  };
}

interface Requests {
  action: string;
  resource: string;
  extra?: Record<string, KeyValue | UnknownValue>;
}

/** One capability: every request it needs, through the policies that apply to it; the first that is not allowed decides. */
function decide(
  requests: Requests[],
  input: AccessInput,
  region: string,
  policies: NamedPolicy[],
  allowedReason: string,
  boundaryFix?: string,
): Verdict {
  const fixes: Record<string, string> = {
    resource: `Exempt the role ${input.roleArn} from that statement, for example with an aws:PrincipalArn condition, or remove it.`,
    boundary: 'Allow it in the permissions boundary, or set another permissions-boundary.',
  };
  let unknown: Verdict | undefined;
  for (const r of requests) {
    const context = contextFor(input, region, r.action, r.resource, r.extra ?? {});
    const keyPolicy = policies.find((p) => p.kind === 'key');
    if (keyPolicy) {
      fixes.key = `Add a statement to the ${keyPolicy.name} allowing ${r.action} to ${input.roleArn}, or the default statement that lets IAM policies of the account grant the key.`;
    }
    if (input.boundary)
      fixes.boundary = boundaryFix ?? `Allow ${r.action} in the permissions boundary, or set another permissions-boundary.`;
    const verdict = verdictOf(authorize(context, policies), r.action, fixes, input);
    if (verdict?.state === 'blocked') return verdict;
    if (verdict) unknown ??= verdict;
  }
  return unknown ?? ok(allowedReason);
}

/** Whether a CORS configuration lets Activeloop's web app GET from the bucket. */
export function webAppCanRead(rules: CORSRule[]): boolean {
  const origin = 'https://app.activeloop.ai';
  const matches = (pattern: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\?]/g, '\\$&').replace(/\*/g, '.*')}$`).test(origin);
  return rules.some((r) => (r.AllowedMethods ?? []).includes('GET') && (r.AllowedOrigins ?? []).some(matches));
}

function webAppVerdict(b: BucketFacts, input: AccessInput): Verdict {
  if (input.webApp === false) return na('the web app is not used (web-app: false)');
  if (b.corsError) {
    return {
      state: 'unknown',
      reason: `the CORS rules could not be read (${b.corsError})`,
      policy: 'CORS configuration',
      fix: 'Allow s3:GetBucketCORS on the bucket to the credentials running the action.',
    };
  }
  if (input.corsManaged) return ok('this run keeps the CORS rule for the web app');
  if (webAppCanRead(b.cors)) return ok('a CORS rule lets the web app read');
  return {
    state: 'blocked',
    reason: "no CORS rule lets Activeloop's web app (https://*.activeloop.ai) GET from the bucket",
    policy: 'CORS configuration',
    fix: "Set cors: true: the action then keeps such a rule and leaves the bucket's other rules as they are. Or set web-app: false if you do not use the web app.",
  };
}

/** A verdict that is not blocked becomes unknown when a policy that decides it could not be read. */
const withUnknown = (verdict: Verdict, unknown: Verdict | undefined) => (verdict.state === 'blocked' || !unknown ? verdict : unknown);

/** The object Deep Lake reads and writes under a prefix (a chunk of a dataset). */
const objectUnder = (s3: string, prefix: string) => `${s3}/${prefix ? `${prefix}/` : ''}deeplake-dataset/chunks/0`;

const statementsOf = (doc: PolicyDocument | undefined) => (doc ? (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]) : []);
const listOf = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/** A policy's text as the evaluator reads it: variables replaced in a 2012-10-17 policy, literal in an older one. */
function patternIn(doc: PolicyDocument, text: string, context: RequestContext): Pattern | undefined {
  const r = resolve(text, doc.Version === '2012-10-17' ? context : { ...context, literalVariables: true });
  return r.kind === 'pattern' ? r.pattern : undefined;
}

/** The object space of an entry, `arn:<partition>:s3:::<bucket>/<prefix>/*`, as a pattern. */
const objectSpace = (s3: string, prefix: string): Pattern => [
  ...literalPattern(`${s3}/${prefix ? `${prefix}/` : ''}`, false),
  { wild: '*' },
];

/**
 * The parts of an entry's object space that a Deny of the policies singles out, each with an object of its own:
 * for a Resource pattern, an object it matches (the intersection of the two wildcard patterns); for a
 * NotResource, a Deep Lake object it does not match. The representative object is checked on its own.
 */
function objectParts(
  docs: PolicyDocument[],
  space: Pattern,
  representative: string,
  context: RequestContext,
): { part: string; object: string }[] {
  const parts = new Map<string, string>();
  const base = patternText(space).slice(0, -1);
  const deepLakeObjects = [`${base}deeplake-dataset/dataset_meta.json`, `${base}deeplake-dataset/version_control_info.json`, `${base}x`];
  for (const doc of docs) {
    for (const st of statementsOf(doc)) {
      if (st.Effect !== 'Deny') continue;
      for (const text of listOf(st.Resource)) {
        const pattern = text === '*' ? undefined : patternIn(doc, text, context);
        const object = pattern && arnWitness(pattern, space);
        if (object && object !== representative && !parts.has(text)) parts.set(text, object);
      }
      const spared = listOf(st.NotResource).map((text) => (text === '*' ? undefined : patternIn(doc, text, context)));
      if (!spared.length || spared.includes(undefined)) continue;
      const object = deepLakeObjects.find((o) => !spared.some((p) => p && arnMatches(p, o)));
      if (object) parts.set(`everything but ${listOf(st.NotResource).join(', ')}`, object);
    }
  }
  return [...parts].map(([part, object]) => ({ part, object }));
}

/**
 * The s3:prefix values Deep Lake lists an entry with: `p/` and a dataset's path below it (a whole bucket: ""
 * and a dataset's path), and, since a dataset may sit anywhere in the entry, a value under the entry for each
 * s3:prefix value a Deny's condition names.
 */
function listPrefixes(docs: PolicyDocument[], prefix: string, context: RequestContext): string[] {
  const base = prefix ? `${prefix}/` : '';
  const values = new Set([base, `${base}deeplake-dataset/`]);
  const space: Pattern = [...literalPattern(base, false), { wild: '*' }];
  for (const doc of docs) {
    for (const st of statementsOf(doc)) {
      if (st.Effect !== 'Deny') continue;
      for (const block of Object.values(st.Condition ?? {})) {
        for (const [key, raw] of Object.entries(block ?? {})) {
          if (key.toLowerCase() !== 's3:prefix') continue;
          for (const text of listOf(raw)) {
            const pattern = patternIn(doc, text, context);
            const value = pattern && globWitness(pattern, space);
            if (value !== undefined) values.add(value);
          }
        }
      }
    }
  }
  return [...values];
}

/** A capability its representative object allows becomes unknown when a part of the entry is denied, naming the part. */
function partVerdict(verdict: Verdict, parts: { part: string; verdict: Verdict }[]): Verdict {
  if (verdict.state !== 'allowed') return verdict;
  const denied = parts.find((p) => p.verdict.state !== 'allowed' && p.verdict.state !== 'not-applicable');
  if (!denied) return verdict;
  return {
    state: 'unknown',
    reason: `${denied.verdict.reason} for the objects of ${denied.part}: Deep Lake can use the rest, and that part only if no dataset file is there`,
    policy: denied.verdict.policy,
    statement: denied.verdict.statement,
    fix: `Keep Deep Lake's datasets and their files out of ${denied.part}, or exempt the role ${'from that statement'}.`,
    decidingKey: denied.part,
  };
}

/** Decides, for the role as it will be after this run, what Deep Lake can do with each bucket. */
export function checkAccess(buckets: BucketFacts[], input: AccessInput): BucketAccess[] {
  return buckets.map((b) => ({
    bucket: b.bucket,
    prefixes: b.prefixes,
    verdicts: withSettings(withDates(verdictsAt(b, input), b, input), b, input),
  }));
}

/** The verdicts of one bucket's policies at the time input.now. */
function verdictsAt(b: BucketFacts, input: AccessInput): Record<Capability, Verdict> {
  const writes = input.access === 'read-write';
  const s3 = `arn:${input.partition}:s3:::${b.bucket}`;
  const prefixes = b.prefixes.length ? b.prefixes : [''];
  const boundary: NamedPolicy[] = input.boundary?.document
    ? [{ kind: 'boundary', name: `permissions boundary ${input.boundary.arn}`, document: input.boundary.document }]
    : [];
  const boundaryUnknown: Verdict | undefined =
    input.boundary && !input.boundary.document
      ? {
          state: 'unknown',
          reason: `the permissions boundary ${input.boundary.arn} could not be read`,
          policy: `permissions boundary ${input.boundary.arn}`,
          fix: 'Allow iam:GetPolicy and iam:GetPolicyVersion on it to the credentials running the action.',
        }
      : undefined;
  const bucketPolicy: NamedPolicy[] = b.policy ? [{ kind: 'resource', name: 'bucket policy', document: b.policy }] : [];
  const s3Policies = [...bucketPolicy, ...boundary];
  const objects = prefixes.map((p) => objectUnder(s3, p));
  const policyUnknown: Verdict | undefined = b.policyError
    ? {
        state: 'unknown',
        reason: `the bucket policy could not be read (${b.policyError})`,
        policy: 'bucket policy',
        fix: 'Allow s3:GetBucketPolicy on the bucket to the credentials running the action.',
      }
    : undefined;
  // The bucket's account, when the Requester Pays read with ExpectedBucketOwner said it is the role's own.
  const owner: Record<string, string> =
    b.otherAccount === false ? { 'aws:ResourceAccount': input.account, 's3:ResourceAccount': input.account } : {};
  const s3Verdict = (requests: Requests[], reason: string) => {
    const owned = requests.map((r) => ({ ...r, extra: { ...owner, ...r.extra } }));
    const verdict = decide(owned, input, b.region, s3Policies, reason, input.boundary?.fixes?.[b.bucket]);
    return verdict.state === 'blocked' ? verdict : (policyUnknown ?? boundaryUnknown ?? verdict);
  };
  const docs = [b.policy, input.boundary?.document].filter((d): d is PolicyDocument => d !== undefined);
  const context = contextFor(input, b.region, 's3:GetObject', objects[0], owner);
  // Each part of an entry's object space that a Deny singles out is checked with an object of its own.
  const parts = prefixes.flatMap((p, i) => objectParts(docs, objectSpace(s3, p), objects[i], context));
  const readActions = ['s3:GetObject'];
  const writeActions = ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'];
  const objectRequests = (actions: string[], resources: string[]) =>
    actions.flatMap((action) => resources.map((resource) => ({ action, resource })));
  const partsVerdicts = (actions: string[]) =>
    parts.map(({ part, object }) => ({ part, verdict: s3Verdict(objectRequests(actions, [object]), '') }));
  // Deep Lake lists with s3:prefix "p/" and a dataset's path below it: which one a request carries is not one value.
  const listing = prefixes.flatMap((p): Requests[] => [
    {
      action: 's3:ListBucket',
      resource: s3,
      extra: { 's3:prefix': { unknown: true, candidates: listPrefixes(docs, p, context) } },
    },
  ]);
  const verdicts: Record<Capability, Verdict> = {
    list: s3Verdict([...listing, { action: 's3:GetBucketLocation', resource: s3 }], 'ListBucket and GetBucketLocation are allowed'),
    read: partVerdict(s3Verdict(objectRequests(readActions, objects), 'GetObject is allowed'), partsVerdicts(readActions)),
    write: writes
      ? partVerdict(
          s3Verdict(
            objectRequests(writeActions, objects),
            'PutObject, DeleteObject, AbortMultipartUpload and ListMultipartUploadParts are allowed',
          ),
          partsVerdicts(writeActions),
        )
      : na('access is read-only'),
    kms: withUnknown(keysVerdict(b, objects, s3, input, boundary, writes), boundaryUnknown),
    'web-app': webAppVerdict(b, input),
  };
  return verdicts;
}

// Regions launched before 2019-03-20 are enabled in every account; each later one is an opt-in Region, disabled
// until the account enables it (AWS Account Management Reference Guide, "Enable or disable AWS Regions in your account").
const ENABLED_BY_DEFAULT = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'sa-east-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-central-1',
  'eu-north-1',
  'ap-south-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-southeast-1',
  'ap-southeast-2',
];

/** Whether a region of the commercial partition is an opt-in Region (me-south-1, ap-east-1, af-south-1, ...). */
export const isOptInRegion = (partition: string, region: string) => partition === 'aws' && !ENABLED_BY_DEFAULT.includes(region);

/**
 * A bucket in an opt-in Region works only while the Region is enabled and the session token is valid there:
 * tokens of the global STS endpoint are version 1 by default, valid only in Regions enabled by default; those of
 * a Regional endpoint, and version 2 tokens, everywhere (IAM User Guide, "Manage AWS STS in an AWS Region").
 */
function regionVerdict(b: BucketFacts, input: AccessInput): Verdict | undefined {
  const r = b.region;
  if (!isOptInRegion(input.partition, r)) return undefined;
  return {
    state: 'unknown',
    reason: `the bucket is in ${r}, an opt-in Region: Deep Lake's requests work only while ${r} is enabled in your account and Activeloop's session token is valid there (tokens of the global STS endpoint are version 1 by default, valid only in Regions enabled by default)`,
    setting: `Region ${r}`,
    decidingKey: `Region ${r}`,
    passesWhen: `${r} is enabled and Activeloop gets its session from a Regional STS endpoint, or as a version 2 token`,
    fix: `Your side: check that ${r} is enabled in account ${input.account} (AWS console, Account, AWS Regions; or aws account get-region-opt-status --region-name ${r}). Activeloop's side: ask Activeloop to confirm that it assumes the role through a Regional STS endpoint, or gets version 2 tokens from the global one (AWS "Manage AWS STS in an AWS Region").`,
  };
}

/**
 * Requester Pays: S3 refuses (403) a request from an account other than the bucket owner's that does not carry
 * x-amz-request-payer: requester; the owner's own requests need none (S3 User Guide, "Using Requester Pays
 * buckets", "Downloading objects from Requester Pays buckets"). Whether Deep Lake sends it, the action cannot see.
 */
function requestPaymentVerdict(b: BucketFacts, input: AccessInput): Verdict | undefined {
  if (b.requestPaymentError) {
    return {
      state: 'unknown',
      reason: `whether the bucket is Requester Pays could not be read (${b.requestPaymentError})`,
      setting: 'Requester Pays',
      policy: 'Requester Pays setting',
      fix: 'Allow s3:GetBucketRequestPayment on the bucket to the credentials running the action.',
    };
  }
  if (b.requestPayer !== 'Requester' || !b.otherAccount) return undefined;
  return {
    state: 'unknown',
    reason: `the bucket is Requester Pays and belongs to another account than the role's (${input.account}): S3 refuses every request of Deep Lake's without the header x-amz-request-payer: requester, and bills account ${input.account} for those with it`,
    setting: 'Requester Pays',
    decidingKey: 'x-amz-request-payer',
    passesWhen: "Deep Lake's requests carry x-amz-request-payer: requester",
    fix: `Ask Activeloop whether Deep Lake sends x-amz-request-payer: requester for this bucket (its requests are then billed to account ${input.account}), or ask the bucket's owner to turn Requester Pays off.`,
  };
}

/**
 * Object Ownership: with ObjectWriter (and on a bucket without ownership controls, made before April 2023) an
 * object another account uploads stays that account's, and the bucket owner's roles can read it only where its
 * ACL grants it; with BucketOwnerPreferred the same holds for objects uploaded without the
 * bucket-owner-full-control ACL; BucketOwnerEnforced (ACLs disabled, the default since April 2023) gives every
 * object to the bucket owner (S3 User Guide, "Controlling ownership of objects and disabling ACLs for your bucket").
 */
function ownershipVerdict(b: BucketFacts): Verdict | undefined {
  if (b.ownershipError) {
    return {
      state: 'unknown',
      reason: `the bucket's Object Ownership could not be read (${b.ownershipError})`,
      setting: 'Object Ownership',
      policy: 'Object Ownership setting',
      fix: 'Allow s3:GetBucketOwnershipControls on the bucket to the credentials running the action.',
    };
  }
  const setting = b.objectOwnership;
  if (setting === undefined || setting === 'BucketOwnerEnforced') return undefined;
  const which =
    setting === 'BucketOwnerPreferred'
      ? 'Object Ownership is BucketOwnerPreferred: objects that other AWS accounts upload without the bucket-owner-full-control ACL stay theirs'
      : `${setting === 'none' ? 'the bucket has no Object Ownership setting (made before April 2023), so S3 applies ObjectWriter' : 'Object Ownership is ObjectWriter'}: objects that other AWS accounts upload stay theirs`;
  return {
    state: 'unknown',
    reason: `${which}, and the bucket owner's roles, Activeloop's included, can read them only where the object's ACL grants it`,
    setting: 'Object Ownership',
    decidingKey: 'Object Ownership',
    passesWhen: "every object Deep Lake reads was uploaded by the bucket owner's account (Deep Lake's own writes are)",
    fix: "Set the bucket's Object Ownership to BucketOwnerEnforced (ACLs disabled, AWS's default for new buckets): the bucket owner then owns every object, old ones included. First check that no writer depends on ACLs: S3 then refuses uploads that set other ACLs.",
  };
}

/** Bucket settings that decide what the policies allow: the Region, Requester Pays, Object Ownership. */
function withSettings(verdicts: Record<Capability, Verdict>, b: BucketFacts, input: AccessInput): Record<Capability, Verdict> {
  const out = { ...verdicts };
  const requests: Capability[] = ['list', 'read', 'write'];
  const over = (capabilities: Capability[], setting: Verdict | undefined) => {
    if (!setting) return;
    for (const c of capabilities) if (out[c].state === 'allowed') out[c] = setting;
  };
  over(requests, regionVerdict(b, input));
  over(requests, requestPaymentVerdict(b, input));
  over(['read'], ownershipVerdict(b));
  if (b.requestPayer === 'Requester' && b.otherAccount === false) {
    for (const c of requests) {
      if (out[c].state !== 'allowed') continue;
      out[c] = {
        ...out[c],
        reason: `${out[c].reason}; the bucket is Requester Pays, but the role is of the account that owns it, which pays: Deep Lake's requests need no x-amz-request-payer`,
        setting: 'Requester Pays',
      };
    }
  }
  return out;
}

const DATE_KEYS = ['aws:currenttime', 'aws:epochtime'];
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** The future times at which a date condition of the bucket's policies (aws:CurrentTime, aws:EpochTime) changes its answer, in order. */
function dateThresholds(b: BucketFacts, input: AccessInput): number[] {
  const now = (input.now ?? new Date()).getTime();
  const docs = [b.policy, input.boundary?.document, b.key?.policy, ...(input.listedKeys ?? []).map((k) => k.policy)];
  const times = new Set<number>();
  for (const st of docs.flatMap(statementsOf)) {
    for (const [operator, block] of Object.entries(st.Condition ?? {})) {
      if (!parseOperator(operator).operator) continue;
      for (const [key, raw] of Object.entries(block ?? {})) {
        if (!DATE_KEYS.includes(key.toLowerCase())) continue;
        for (const value of listOf(raw)) {
          const at = parseDate(value);
          if (at !== undefined && at > now) times.add(at);
        }
      }
    }
  }
  return [...times].sort((x, y) => x - y);
}

/**
 * A verdict that a date condition will flip says until when it holds: each future threshold is tried one
 * second after it (past it for every Date operator), and the first that changes a capability's state names it.
 */
function withDates(now: Record<Capability, Verdict>, b: BucketFacts, input: AccessInput): Record<Capability, Verdict> {
  const out = { ...now };
  const pending = new Set(DATA_CAPABILITIES);
  for (const at of dateThresholds(b, input)) {
    if (!pending.size) break;
    const later = verdictsAt(b, { ...input, now: new Date(at + 1000) });
    for (const c of [...pending]) {
      const v = now[c];
      const then = later[c];
      if (then.state === v.state) continue;
      pending.delete(c);
      const when = iso(at);
      out[c] =
        v.state === 'allowed' && then.state === 'blocked'
          ? {
              ...then,
              state: 'allowed',
              reason: `${v.reason} until ${when}; from then ${then.reason}`,
              changesAt: when,
              changesTo: 'blocked',
            }
          : {
              ...v,
              reason: `${v.reason} until ${when}${then.state === 'allowed' ? '' : `; from then ${then.reason}`}`,
              changesAt: when,
              changesTo: then.state,
            };
    }
  }
  return out;
}

/**
 * The KMS verdict of a bucket: its default key decides; a key listed in kms-key-arns that the role cannot use
 * makes it unknown (objects written with it cannot be read, and which buckets hold such objects the action
 * cannot see).
 */
function keysVerdict(b: BucketFacts, objects: string[], s3: string, input: AccessInput, boundary: NamedPolicy[], writes: boolean): Verdict {
  const listed = (input.listedKeys ?? []).filter((k) => k.arn !== b.key?.arn);
  if (!b.key && !listed.length) return na('no customer-managed KMS key');
  const own = b.key ? kmsVerdict(b, b.key, objects, s3, input, boundary, writes) : undefined;
  if (own?.state === 'blocked') return own;
  for (const key of listed) {
    const v = kmsVerdict(b, key, objects, s3, input, boundary, false);
    if (v.state === 'allowed') continue;
    return {
      ...v,
      state: 'unknown',
      reason: `objects written with the listed key ${key.arn} may not be readable: ${v.reason}`,
    };
  }
  return own ?? ok("the listed keys' policies let the role use them");
}

/**
 * The key's verdict: S3 calls KMS for Deep Lake's requests, so they carry kms:ViaService (S3 in the bucket's
 * region), kms:CallerAccount, and the encryption context S3 sets: the bucket's ARN with an S3 Bucket Key, the
 * object's ARN without one ("Key policies in AWS KMS"; S3 User Guide, "Using server-side encryption with AWS KMS keys").
 */
function kmsVerdict(
  b: BucketFacts,
  key: { arn: string; policy?: PolicyDocument; bucketKeyEnabled?: boolean },
  objects: string[],
  s3: string,
  input: AccessInput,
  boundary: NamedPolicy[],
  writes: boolean,
): Verdict {
  if (!key.policy) {
    return {
      state: 'unknown',
      reason: `the key policy of ${key.arn} could not be read`,
      policy: `key policy of ${key.arn}`,
      fix: 'Allow kms:GetKeyPolicy on the key to the credentials running the action.',
    };
  }
  const policies: NamedPolicy[] = [{ kind: 'key', name: `key policy of ${key.arn}`, document: key.policy }, ...boundary];
  const actions = writes ? ['kms:Decrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt'];
  const requests = actions.flatMap((action) =>
    objects.map((object) => ({
      action,
      resource: key.arn,
      extra: {
        'kms:ViaService': `s3.${b.region}.amazonaws.com`,
        'kms:CallerAccount': input.account,
        // A listed key's bucket settings are not known: the bucket's ARN or the object's.
        'kms:EncryptionContext:aws:s3:arn':
          key.bucketKeyEnabled === undefined && key !== b.key
            ? { unknown: true as const, candidates: [s3, object] }
            : key.bucketKeyEnabled
              ? s3
              : object,
        'kms:EncryptionContextKeys': ['aws:s3:arn'],
        'kms:EncryptionAlgorithm': 'SYMMETRIC_DEFAULT',
        'aws:ViaAWSService': 'true',
      },
    })),
  );
  return decide(requests, input, b.region, policies, 'the key policy lets the role use the key');
}

/** The buckets with at least one blocked capability (the web app's only when the team uses it): what access-check: fail fails on. */
export function blockedBuckets(result: BucketAccess[]): string[] {
  return result.filter((r) => CAPABILITIES.some((c) => r.verdicts[c].state === 'blocked')).map((r) => r.bucket);
}

/** The buckets Deep Lake itself cannot use: a blocked list, read, write or KMS. */
export function unusableBuckets(result: BucketAccess[]): string[] {
  return result.filter((r) => DATA_CAPABILITIES.some((c) => r.verdicts[c].state === 'blocked')).map((r) => r.bucket);
}
