// Whether Activeloop can really use each bucket (input access-check, output access): the requests Deep Lake
// makes, with the request context those calls carry, decided by the repository's IAM evaluator (src/iam/)
// against the bucket policy, the KMS key policy and the permissions boundary. Pure.
//
// What the action cannot see (SCPs, RCPs, a condition key it cannot value) makes a verdict "unknown", never
// "allowed"; an unknown names the condition key that decides it and the value that would let Deep Lake through.
import type { CORSRule } from '@aws-sdk/client-s3';
import {
  ANY_VALUE,
  authorize,
  type Decider,
  type Decision,
  type KeyValue,
  type NamedPolicy,
  PUBLIC_ADDRESS,
  parseOperator,
  type RequestContext,
  statementLabel,
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
  /** Why the bucket's region could not be read (s3:GetBucketLocation); `region` is then only the action's guess. */
  regionError?: string;
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
 * The two paths of Activeloop's requests, each a whole context (the keys go together): from a public address
 * (which one the action cannot know; no VPC keys), or through a VPC endpoint of its own: then the request has no
 * aws:SourceIp, and has aws:SourceVpce, aws:SourceVpc and aws:VpcSourceIp, with values of Activeloop's network
 * the action cannot know ("AWS global condition context keys": aws:SourceIp, aws:SourceVpce, aws:SourceVpc,
 * aws:VpcSourceIp). Never from the customer's private network.
 */
type Path = 'public' | 'vpc-endpoint';
const PATHS: Path[] = ['public', 'vpc-endpoint'];
const PATH_KEYS: Record<Path, Record<string, UnknownValue>> = {
  public: { 'aws:SourceIp': { unknown: true, candidates: [PUBLIC_ADDRESS] } },
  'vpc-endpoint': {
    'aws:SourceVpce': { unknown: true, candidates: [ANY_VALUE] },
    'aws:SourceVpc': { unknown: true, candidates: [ANY_VALUE] },
    'aws:VpcSourceIp': { unknown: true, candidates: [ANY_VALUE] },
  },
};
const PATH_WORDS: Record<Path, string> = {
  public: 'from a public address (with aws:SourceIp, without aws:SourceVpce)',
  'vpc-endpoint': 'through its own VPC endpoint (with aws:SourceVpce, aws:SourceVpc and aws:VpcSourceIp, without aws:SourceIp)',
};
/** aws:ResourceAccount or s3:ResourceAccount, in any case: the keys that name the bucket's owner account. */
const RESOURCE_ACCOUNT_KEY = /^(aws|s3):resourceaccount$/i;
/** Keys whose value differs between the paths: a policy without them decides both paths alike. */
const PATH_KEY_NAMES = Object.values(PATH_KEYS).flatMap((keys) => Object.keys(keys).map((k) => k.toLowerCase()));

/** The request context of a call Deep Lake makes with the role on one path: TLS, the role's identity and tags, not from the customer's network, no encryption header. */
function contextFor(
  input: AccessInput,
  region: string | undefined,
  action: string,
  resource: string,
  extra: Record<string, KeyValue | UnknownValue>,
  path: Path = 'public',
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
      // An unread region: any Region (aws:RequestedRegion conditions are then unknown).
      'aws:RequestedRegion': region ?? { unknown: true },
      's3:TlsVersion': TLS_VERSIONS,
      's3:authType': 'REST-HEADER',
      's3:signatureversion': 'AWS4-HMAC-SHA256',
      ...PATH_KEYS[path],
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

/** Keys whose value is the bucket's region: unknown when s3:GetBucketLocation failed. */
const REGION_KEYS = ['aws:requestedregion', 'kms:viaservice'];

/** A Decision as a capability's verdict. */
/**
 * What an unknown verdict's reason and fix say, by the condition that left it unknown: a value its operator
 * cannot read (a date, number or base-64 form IAM does not document), a key of the path or the bucket's region
 * the action cannot see, or anything else.
 */
function unknownWords(
  decider: Decider | undefined,
  unreadable: string | undefined,
  regionError: string | undefined,
  input: AccessInput,
  passesWhen: string | undefined,
): { cause: string; fix: string } {
  const key = decider?.key.toLowerCase() ?? '';
  if (unreadable !== undefined) return unreadableWords(decider?.key ?? '', decider?.operator ?? '', unreadable);
  if (REGION_KEYS.includes(key) && regionError) {
    return {
      cause: `its condition on ${decider?.key} depends on the bucket's region, which could not be read (${regionError})`,
      fix: 'Allow s3:GetBucketLocation on the bucket to the credentials running the action.',
    };
  }
  const fix = `Check that statement for requests from Activeloop with the role ${input.roleArn}${passesWhen ? `: it lets them through when ${passesWhen}` : ''}.`;
  if (key === 'aws:sourceip')
    return { cause: "its condition on aws:SourceIp depends on Activeloop's public address, which the action cannot see", fix };
  if (PATH_KEY_NAMES.includes(key)) {
    return {
      cause: `its condition on ${decider?.key} depends on Activeloop's own VPC endpoint (its ID, its VPC, its addresses), which the action cannot see`,
      fix,
    };
  }
  return {
    cause: decider ? `its condition on ${decider.key} depends on what the action cannot see` : 'it depends on what the action cannot see',
    fix,
  };
}

/** A condition value its operator's family cannot read as IAM documents it ("Condition operators"): why, and how to write it. */
function unreadableWords(key: string, operator: string, value: string): { cause: string; fix: string } {
  const unknown = 'so whether it applies is unknown';
  if (/Numeric/.test(operator)) {
    return {
      cause: `its condition on ${key} has the value "${value}", which is no integer or decimal IAM documents, or one beyond 2^53 that a number cannot hold exactly, ${unknown}`,
      fix: `Write "${value}" in that statement as an integer or decimal number.`,
    };
  }
  if (/Binary/.test(operator)) {
    return {
      cause: `its condition on ${key} has the value "${value}", which is not base 64 (BinaryEquals compares base-64 encoded bytes), ${unknown}`,
      fix: `Write "${value}" in that statement as the base-64 encoding of the bytes.`,
    };
  }
  return {
    cause: `its condition on ${key} has the value "${value}", which is no date form IAM documents (a W3C ISO 8601 date or time, or epoch seconds) or one it may read two ways (four digits: a year, or epoch seconds), ${unknown}`,
    fix: `Write "${value}" in that statement as a full date and time, such as 2027-01-01T00:00:00Z, or as epoch seconds of more than four digits.`,
  };
}

function verdictOf(
  decision: Decision,
  action: string,
  fixes: Record<string, string>,
  input: AccessInput,
  regionError?: string,
): Verdict | undefined {
  if (decision.decision === 'allowed') return undefined;
  const policy = decision.policy;
  const name = policy?.name ?? 'policy';
  if (decision.decision === 'unknown') {
    const decider = decision.statement?.decider;
    const unreadable = decider?.unreadable;
    const passesWhen = unreadable === undefined ? passing(decider, decision.unknownSide !== 'allow') : undefined;
    const { cause, fix } = unknownWords(decider, unreadable, regionError, input, passesWhen);
    return {
      state: 'unknown',
      reason: `${action} may be denied by the ${name}: ${cause}`,
      policy: name,
      statement: decision.statement?.label,
      fix,
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
  if (policy?.mustAllow) {
    return {
      state: 'blocked',
      reason: `the bucket belongs to another account, and its ${name} does not allow ${action} to the role (a bucket of another account needs its policy to allow it)`,
      policy: name,
      fix: `The bucket owner's policy must allow ${action} to ${input.roleArn}: ask the bucket's owner to add it.`,
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

/**
 * One request on both paths of Activeloop's requests: allowed or blocked only when both paths agree; else
 * unknown, saying which path lets it through.
 */
function onBothPaths(byPath: Record<Path, Verdict | undefined>, input: AccessInput): Verdict | undefined {
  const [pub, vpc] = [byPath.public, byPath['vpc-endpoint']];
  if (pub?.state === vpc?.state && (!pub || pub.state === 'blocked' || pub.statement === vpc?.statement)) return pub;
  // The path that is denied (certainly, else possibly), and the other one.
  const deniedPath: Path = pub?.state === 'blocked' || (pub && vpc?.state !== 'blocked') ? 'public' : 'vpc-endpoint';
  const otherPath: Path = deniedPath === 'public' ? 'vpc-endpoint' : 'public';
  const denied = byPath[deniedPath] as Verdict;
  const other = byPath[otherPath];
  const passesWhen = !other
    ? `Activeloop reaches S3 ${PATH_WORDS[otherPath]}`
    : other.passesWhen && `Activeloop reaches S3 ${PATH_WORDS[otherPath]} and ${other.passesWhen}`;
  return {
    state: 'unknown',
    reason: `${denied.reason} when Activeloop reaches S3 ${PATH_WORDS[deniedPath]}${
      other ? `; ${other.reason} when it comes ${PATH_WORDS[otherPath]}` : `, not when it comes ${PATH_WORDS[otherPath]}`
    }: which path Activeloop takes, the action cannot see`,
    policy: denied.policy,
    statement: denied.statement,
    fix: `Ask Activeloop which path its requests take, or exempt the role ${input.roleArn} from that statement${passesWhen ? `: it lets them through when ${passesWhen}` : ''}.`,
    decidingKey:
      otherPath === 'public' || deniedPath === 'public' ? "the path of Activeloop's requests (aws:SourceIp or aws:SourceVpce)" : undefined,
    passesWhen,
  };
}

/** Whether a policy names a key whose value differs between the paths. */
const namesPathKeys = (policies: NamedPolicy[]) => {
  const text = JSON.stringify(policies.map((p) => p.document)).toLowerCase();
  return PATH_KEY_NAMES.some((k) => text.includes(`"${k}"`));
};

/** One capability: every request it needs, through the policies that apply to it; the first that is not allowed decides. */
function decide(
  requests: Requests[],
  input: AccessInput,
  region: string | undefined,
  policies: NamedPolicy[],
  allowedReason: string,
  boundaryFix?: string,
  regionError?: string,
): Verdict {
  const fixes: Record<string, string> = {
    resource: `Exempt the role ${input.roleArn} from that statement, for example with an aws:PrincipalArn condition, or remove it.`,
    boundary: 'Allow it in the permissions boundary, or set another permissions-boundary.',
  };
  let unknown: Verdict | undefined;
  const paths = namesPathKeys(policies) ? PATHS : (['public'] as Path[]);
  for (const r of requests) {
    const keyPolicy = policies.find((p) => p.kind === 'key');
    if (keyPolicy) {
      fixes.key = `Add a statement to the ${keyPolicy.name} allowing ${r.action} to ${input.roleArn}, or the default statement that lets IAM policies of the account grant the key.`;
    }
    if (input.boundary)
      fixes.boundary = boundaryFix ?? `Allow ${r.action} in the permissions boundary, or set another permissions-boundary.`;
    const byPath = Object.fromEntries(
      paths.map((path) => {
        const context = contextFor(input, region, r.action, r.resource, r.extra ?? {}, path);
        return [path, verdictOf(authorize(context, policies), r.action, fixes, input, regionError)];
      }),
    ) as Record<Path, Verdict | undefined>;
    const verdict = paths.length === 1 ? byPath.public : onBothPaths(byPath, input);
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

/**
 * aws:ResourceAccount and s3:ResourceAccount of the bucket's requests: the role's account when the Requester
 * Pays read with ExpectedBucketOwner said the bucket is its own; for another account's bucket a stand-in ID
 * that is not the role's, as long as the policies name no account but the role's (a named one could be the
 * owner); else unknown.
 */
function ownerKeys(b: BucketFacts, input: AccessInput, docs: (PolicyDocument | undefined)[]): Record<string, string> {
  if (b.otherAccount === false) return { 'aws:ResourceAccount': input.account, 's3:ResourceAccount': input.account };
  if (!b.otherAccount) return {};
  const named = docs.flatMap(statementsOf).flatMap((st) =>
    Object.values(st.Condition ?? {}).flatMap((block) =>
      Object.entries(block ?? {})
        .filter(([key]) => RESOURCE_ACCOUNT_KEY.test(key))
        .flatMap(([, raw]) => listOf(raw)),
    ),
  );
  if (named.some((a) => a !== input.account)) return {};
  const standIn = input.account === '000000000000' ? '000000000001' : '000000000000';
  return { 'aws:ResourceAccount': standIn, 's3:ResourceAccount': standIn };
}

/** Whether the statement that blocked a verdict is a Deny on aws:ResourceAccount (the deployer boundary's OnlyThisAccountsBuckets). */
function deniesOtherAccounts(policy: NamedPolicy, verdict: Verdict): boolean {
  return statementsOf(policy.document as PolicyDocument).some(
    (st, i) =>
      st.Effect === 'Deny' &&
      statementLabel(st, i) === verdict.statement &&
      Object.values(st.Condition ?? {}).some((block) => Object.keys(block ?? {}).some((k) => RESOURCE_ACCOUNT_KEY.test(k))),
  );
}

/** The bucket's region, undefined when it could not be read. */
const regionOf = (b: BucketFacts) => (b.regionError ? undefined : b.region);

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
  // Another account's bucket: the bucket policy must allow the role on its own (IAM User Guide, "Cross-account
  // policy evaluation logic"); without one nothing does.
  const bucketPolicy: NamedPolicy[] = b.policy
    ? [{ kind: 'resource', name: 'bucket policy', document: b.policy, mustAllow: b.otherAccount === true }]
    : b.otherAccount && !b.policyError
      ? [{ kind: 'resource', name: 'bucket policy', document: { Version: '2012-10-17', Statement: [] }, mustAllow: true }]
      : [];
  const s3Policies = [...bucketPolicy, ...boundary];
  const objects = prefixes.map((p) => objectUnder(s3, p));
  // S3 answers GetBucketPolicy with 405 MethodNotAllowed to any caller outside the bucket owner's account
  // (Amazon S3 API Reference, GetBucketPolicy): no permission of this account's makes it readable.
  const policyUnknown: Verdict | undefined = b.policyError
    ? b.otherAccount || /MethodNotAllowed/.test(b.policyError)
      ? {
          state: 'unknown',
          reason: `the bucket belongs to another account, whose bucket policy this account cannot read (${b.policyError}); a bucket of another account needs its policy to allow the role`,
          policy: 'bucket policy',
          fix: `The bucket owner's policy must allow ${input.roleArn} (s3:ListBucket and s3:GetBucketLocation on the bucket, s3:GetObject${input.access === 'read-write' ? ', s3:PutObject, s3:DeleteObject, s3:AbortMultipartUpload, s3:ListMultipartUploadParts' : ''} on its objects): ask the bucket's owner to check it.`,
        }
      : {
          state: 'unknown',
          reason: `the bucket policy could not be read (${b.policyError})`,
          policy: 'bucket policy',
          fix: 'Allow s3:GetBucketPolicy on the bucket to the credentials running the action.',
        }
    : undefined;
  const owner = ownerKeys(b, input, [b.policy, input.boundary?.document]);
  const s3Verdict = (requests: Requests[], reason: string) => {
    const owned = requests.map((r) => ({ ...r, extra: { ...owner, ...r.extra } }));
    const verdict = decide(owned, input, regionOf(b), s3Policies, reason, input.boundary?.fixes?.[b.bucket], b.regionError);
    if (
      verdict.state === 'blocked' &&
      b.otherAccount &&
      verdict.policy === boundary[0]?.name &&
      deniesOtherAccounts(boundary[0], verdict)
    ) {
      return {
        ...verdict,
        reason: `${verdict.reason}: the bucket belongs to another account than the role's (${input.account})`,
        fix: `The permissions boundary denies every bucket of another account (its Deny on aws:ResourceAccount), and the deployer stack's boundary never allows another account's bucket: keep Deep Lake's data in a bucket of account ${input.account}, or set another permissions-boundary.`,
      };
    }
    // The bucket's account is read with GetBucketRequestPayment (ExpectedBucketOwner): unread, a condition on it stays unknown.
    if (verdict.state === 'unknown' && b.requestPaymentError && RESOURCE_ACCOUNT_KEY.test(verdict.decidingKey ?? '')) {
      return {
        ...verdict,
        reason: `${verdict.reason}: whose bucket it is could not be read (${b.requestPaymentError})`,
        fix: `Allow s3:GetBucketRequestPayment on the bucket to the credentials running the action (the check reads the bucket's account with it); a deployer stack deployed before its roles had that read lacks it: update the stack to the current template.`,
      };
    }
    return verdict.state === 'blocked' ? verdict : (policyUnknown ?? boundaryUnknown ?? verdict);
  };
  const docs = [b.policy, input.boundary?.document].filter((d): d is PolicyDocument => d !== undefined);
  const context = contextFor(input, regionOf(b), 's3:GetObject', objects[0], owner);
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
  if (b.regionError && input.partition === 'aws') {
    return {
      state: 'unknown',
      reason: `the bucket's region could not be read (${b.regionError}): whether it is an opt-in Region, where Deep Lake's requests work only while the Region is enabled and Activeloop's session token is valid there, the action cannot tell`,
      setting: 'Region',
      decidingKey: 'Region',
      passesWhen:
        "the bucket is in a Region enabled by default, or in an enabled opt-in Region that Activeloop's session token is valid in",
      fix: 'Allow s3:GetBucketLocation on the bucket to the credentials running the action.',
    };
  }
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
      fix: 'Allow s3:GetBucketRequestPayment on the bucket to the credentials running the action; a deployer stack deployed before its roles had that read lacks it: update the stack to the current template.',
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

/** Several settings that each make a capability unknown, told together, in the words of each. */
function settingsTogether(settings: Verdict[]): Verdict {
  if (settings.length === 1) return settings[0];
  const joined = (field: 'setting' | 'decidingKey' | 'passesWhen', by: string) =>
    settings
      .map((s) => s[field])
      .filter((v): v is string => v !== undefined)
      .join(by) || undefined;
  return {
    state: 'unknown',
    reason: settings.map((s) => s.reason).join('; and '),
    policy: settings.find((s) => s.policy)?.policy,
    setting: joined('setting', ', '),
    decidingKey: joined('decidingKey', ' and '),
    passesWhen: joined('passesWhen', '; and '),
    fix: settings
      .map((s) => s.fix)
      .filter(Boolean)
      .join(' '),
  };
}

/**
 * Bucket settings that decide what the policies allow: the Region, Requester Pays, Object Ownership. Every
 * setting that applies is told; over a verdict a date condition will change, the date is kept (until, from then).
 */
function withSettings(verdicts: Record<Capability, Verdict>, b: BucketFacts, input: AccessInput): Record<Capability, Verdict> {
  const out = { ...verdicts };
  const requests: Capability[] = ['list', 'read', 'write'];
  const region = regionVerdict(b, input);
  const payment = requestPaymentVerdict(b, input);
  const ownership = ownershipVerdict(b);
  for (const c of requests) {
    const v = out[c];
    if (v.state !== 'allowed' && v.state !== 'unknown') continue;
    const settings = [region, payment, c === 'read' ? ownership : undefined].filter((s): s is Verdict => s !== undefined);
    if (!settings.length) continue;
    const together = settingsTogether(settings);
    // An unknown of the policies stays theirs; the settings are told with it.
    if (v.state === 'unknown') {
      out[c] = {
        ...v,
        reason: `${v.reason}; and ${together.reason}`,
        setting: together.setting,
        fix: [v.fix, together.fix].filter(Boolean).join(' '),
      };
      continue;
    }
    out[c] = v.changesAt
      ? {
          ...together,
          reason: `${together.reason}; besides, ${v.reason}`,
          changesAt: v.changesAt,
          changesTo: v.changesTo,
          policy: v.policy ?? together.policy,
          statement: v.statement,
          fix: [together.fix, v.fix].filter(Boolean).join(' '),
        }
      : together;
  }
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

/** How many future dates of the policies are tried at most: each costs a whole evaluation of the bucket. */
const DATE_LIMIT = 24;
// Operators whose answer changes only at one instant: past it, the answer is what it was before.
const INSTANT_OPERATORS = ['dateequals', 'datenotequals', 'numericequals', 'numericnotequals'];

/**
 * The future times at which a date condition of the bucket's policies (aws:CurrentTime, aws:EpochTime) may
 * change its answer for good, in order, each once; an instant only DateEquals (or DateNotEquals) names is left
 * out: one second later the answer is back to what it was.
 */
function dateThresholds(b: BucketFacts, input: AccessInput): number[] {
  const now = (input.now ?? new Date()).getTime();
  const docs = [b.policy, input.boundary?.document, b.key?.policy, ...(input.listedKeys ?? []).map((k) => k.policy)];
  const times = new Set<number>();
  for (const st of docs.flatMap(statementsOf)) {
    for (const [operator, block] of Object.entries(st.Condition ?? {})) {
      const parsed = parseOperator(operator);
      if (!parsed.operator || INSTANT_OPERATORS.includes(parsed.name.toLowerCase())) continue;
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
 * A verdict that date conditions will change says every change: each future threshold is tried one second
 * after it (past it for every Date operator); "allowed until X, then blocked until Y". At most DATE_LIMIT
 * dates are tried, and a verdict says when more were left untried.
 */
function withDates(now: Record<Capability, Verdict>, b: BucketFacts, input: AccessInput): Record<Capability, Verdict> {
  const out = { ...now };
  const thresholds = dateThresholds(b, input);
  const changes = Object.fromEntries(DATA_CAPABILITIES.map((c) => [c, [] as { at: string; verdict: Verdict }[]])) as Record<
    Capability,
    { at: string; verdict: Verdict }[]
  >;
  let before = now;
  for (const at of thresholds.slice(0, DATE_LIMIT)) {
    const later = verdictsAt(b, { ...input, now: new Date(at + 1000) });
    for (const c of DATA_CAPABILITIES) if (later[c].state !== before[c].state) changes[c].push({ at: iso(at), verdict: later[c] });
    before = later;
  }
  const untried =
    thresholds.length > DATE_LIMIT
      ? `; the policies name ${thresholds.length} future dates: the first ${DATE_LIMIT} were tried, up to ${iso(thresholds[DATE_LIMIT - 1])}`
      : '';
  for (const c of DATA_CAPABILITIES) {
    const v = now[c];
    const list = changes[c];
    if (!list.length) {
      if (untried && v.state !== 'not-applicable') out[c] = { ...v, reason: `${v.reason}${untried}` };
      continue;
    }
    const first = list[0];
    // Each change: "until X; from then <the verdict then>"; a last allowed needs no words.
    const words = list
      .map(({ at, verdict }, i) => {
        const last = i === list.length - 1;
        const then = verdict.state === 'allowed' ? (last ? '' : '; from then allowed') : `; from then ${verdict.reason}`;
        return ` until ${at}${then}`;
      })
      .join('');
    const reason = `${v.reason}${words}${untried}`;
    const coming = list.find((x) => x.verdict.state === 'blocked');
    out[c] =
      v.state === 'allowed' && coming
        ? { ...coming.verdict, state: 'allowed', reason, changesAt: first.at, changesTo: first.verdict.state }
        : { ...v, reason, changesAt: first.at, changesTo: first.verdict.state };
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
        'kms:ViaService': b.regionError ? { unknown: true as const } : `s3.${b.region}.amazonaws.com`,
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
  return decide(requests, input, regionOf(b), policies, 'the key policy lets the role use the key', undefined, b.regionError);
}

/** The buckets with at least one blocked capability (the web app's only when the team uses it): what access-check: fail fails on. */
export function blockedBuckets(result: BucketAccess[]): string[] {
  return result.filter((r) => CAPABILITIES.some((c) => r.verdicts[c].state === 'blocked')).map((r) => r.bucket);
}

/** The buckets Deep Lake itself cannot use: a blocked list, read, write or KMS. */
export function unusableBuckets(result: BucketAccess[]): string[] {
  return result.filter((r) => DATA_CAPABILITIES.some((c) => r.verdicts[c].state === 'blocked')).map((r) => r.bucket);
}
