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
  type RequestContext,
  type UnknownValue,
} from './iam/index.js';
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
}

export interface AccessInput {
  access: Access;
  roleArn: string;
  account: string;
  partition: string;
  /** The role's tags as they will be (aws:PrincipalTag/...). */
  roleTags: Record<string, string>;
  /** The permissions boundary, when the role has one, with its document (undefined: it could not be read). */
  boundary?: { arn: string; document?: PolicyDocument };
  /** The web app's CORS rule will be kept by this run (cors: true). */
  corsManaged: boolean;
  /** The keys listed in kms-key-arns, with their key policies (undefined: not readable): objects may be written with them in any bucket. */
  listedKeys?: { arn: string; policy?: PolicyDocument }[];
  /** Whether the team uses Activeloop's web app (input web-app); false: its CORS readiness is not checked. Default true. */
  webApp?: boolean;
}

// Deep Lake's requests come from Activeloop's network, never from the customer's: any address list the
// customer writes does not contain it. This stands for such an address (RFC 5737 documentation range).
const OUTSIDE_ADDRESS = '192.0.2.1';

// Keys the action cannot value for Deep Lake's requests; every other key it does not set is absent from them.
const UNKNOWN_KEYS = [
  'aws:PrincipalOrgID',
  'aws:PrincipalOrgPaths',
  'aws:userid',
  'aws:CurrentTime',
  'aws:EpochTime',
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

/** Deep Lake uses TLS 1.2 or later: 1.2 or 1.3, which one the action cannot know. */
const TLS_VERSIONS: UnknownValue = { unknown: true, candidates: ['1.2', '1.3'] };

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
      'aws:SourceIp': OUTSIDE_ADDRESS,
      'aws:ViaAWSService': 'false',
      'aws:RequestedRegion': region,
      's3:TlsVersion': TLS_VERSIONS,
      's3:authType': 'REST-HEADER',
      's3:signatureversion': 'AWS4-HMAC-SHA256',
      ...tags,
      ...extra,
    },
    unknownKeys: UNKNOWN_KEYS,
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

/** A Decision as a capability's verdict. */
function verdictOf(decision: Decision, action: string, fixes: Record<string, string>, input: AccessInput): Verdict | undefined {
  if (decision.decision === 'allowed') return undefined;
  const policy = decision.policy;
  const name = policy?.name ?? 'policy';
  if (decision.decision === 'unknown') {
    const decider = decision.statement?.decider;
    const passesWhen = passing(decider, decision.unknownSide !== 'allow');
    return {
      state: 'unknown',
      reason: `${action} may be denied by the ${name}: ${decider ? `its condition on ${decider.key} depends on what the action cannot see` : 'it depends on what the action cannot see'}`,
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
function decide(requests: Requests[], input: AccessInput, region: string, policies: NamedPolicy[], allowedReason: string): Verdict {
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
    if (input.boundary) fixes.boundary = `Allow ${r.action} in the permissions boundary, or set another permissions-boundary.`;
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

/**
 * The parts of a whole bucket that a Deny of the bucket policy names (`lake/private/*`): Deep Lake may keep
 * datasets there, so each is checked with an object of its own. The literal start of each pattern, up to its
 * first wildcard or variable.
 */
function deniedParts(b: BucketFacts, s3: string): string[] {
  const parts = new Set<string>();
  for (const st of statementsOf(b.policy)) {
    if (st.Effect !== 'Deny') continue;
    for (const r of typeof st.Resource === 'string' ? [st.Resource] : (st.Resource ?? [])) {
      if (!r.startsWith(`${s3}/`)) continue;
      const part = r.slice(s3.length + 1).split(/[*?$]/)[0];
      if (part) parts.add(part);
    }
  }
  return [...parts];
}

const statementsOf = (doc: PolicyDocument | undefined) => (doc ? (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]) : []);

/** Whole-bucket access that a Deny on one part of the bucket may take away: unknown, naming the part. */
function partVerdict(verdict: Verdict, parts: { part: string; verdict: Verdict }[]): Verdict {
  if (verdict.state !== 'allowed') return verdict;
  const denied = parts.find((p) => p.verdict.state !== 'allowed' && p.verdict.state !== 'not-applicable');
  if (!denied) return verdict;
  return {
    state: 'unknown',
    reason: `${denied.verdict.reason} under ${denied.part}: Deep Lake can use the rest of the bucket, and that part only if no dataset is there`,
    policy: denied.verdict.policy,
    statement: denied.verdict.statement,
    fix: `Keep datasets out of ${denied.part}, or list the bucket with the prefixes Deep Lake uses (bucket/prefix) so the check is exact.`,
  };
}

/** Decides, for the role as it will be after this run, what Deep Lake can do with each bucket. */
export function checkAccess(buckets: BucketFacts[], input: AccessInput): BucketAccess[] {
  const writes = input.access === 'read-write';
  return buckets.map((b) => {
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
    const s3Verdict = (requests: Requests[], reason: string) => {
      const verdict = decide(requests, input, b.region, s3Policies, reason);
      return verdict.state === 'blocked' ? verdict : (policyUnknown ?? boundaryUnknown ?? verdict);
    };
    // A whole bucket: each part a Deny names is checked with an object of its own.
    const parts = b.prefixes.length
      ? []
      : deniedParts(b, s3).map((part) => ({ part, object: `${s3}/${part}${part.endsWith('/') ? 'deeplake-dataset/chunks/0' : ''}` }));
    const readParts = parts.map(({ part, object }) => ({ part, verdict: s3Verdict([{ action: 's3:GetObject', resource: object }], '') }));
    const writeParts = parts.map(({ part, object }) => ({
      part,
      verdict: s3Verdict(
        ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'].map((action) => ({ action, resource: object })),
        '',
      ),
    }));
    const verdicts: Record<Capability, Verdict> = {
      list: s3Verdict(
        prefixes.map((p) => ({ action: 's3:ListBucket', resource: s3, extra: { 's3:prefix': p } })),
        'ListBucket is allowed',
      ),
      read: partVerdict(
        s3Verdict(
          objects.map((o) => ({ action: 's3:GetObject', resource: o })),
          'GetObject is allowed',
        ),
        readParts,
      ),
      write: writes
        ? partVerdict(
            s3Verdict(
              ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'].flatMap((action) =>
                objects.map((resource) => ({ action, resource })),
              ),
              'PutObject, DeleteObject and AbortMultipartUpload are allowed',
            ),
            writeParts,
          )
        : na('access is read-only'),
      kms: withUnknown(keysVerdict(b, objects, s3, input, boundary, writes), boundaryUnknown),
      'web-app': webAppVerdict(b, input),
    };
    return { bucket: b.bucket, prefixes: b.prefixes, verdicts };
  });
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
