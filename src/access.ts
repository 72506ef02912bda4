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
  // Activeloop's source address is not known to the action: a condition on it decides only when every address gives the same answer.
  'aws:SourceIp',
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
      const verdict = decide(requests, input, b.region, s3Policies, reason, input.boundary?.fixes?.[b.bucket]);
      return verdict.state === 'blocked' ? verdict : (policyUnknown ?? boundaryUnknown ?? verdict);
    };
    const docs = [b.policy, input.boundary?.document].filter((d): d is PolicyDocument => d !== undefined);
    const context = contextFor(input, b.region, 's3:GetObject', objects[0], {});
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
