// Whether Activeloop can really use each bucket (input access-check, output access): the requests Deep Lake
// makes, evaluated against the bucket policy, the KMS key policy and the permissions boundary as IAM's
// policy evaluation logic does, with the request context those calls carry. Pure.
//
// IAM User Guide, "Policy evaluation logic": an explicit Deny in any policy wins; the identity side needs an
// Allow, and a permissions boundary must allow too; a KMS key's key policy must allow, directly or by
// delegating to the account ("Key policies in AWS KMS", the default key policy). Condition operators as in
// "IAM JSON policy elements: Condition operators": a negated operator matches when its key is absent,
// ...IfExists matches an absent key, Null tests presence. What the action cannot see (SCPs, RCPs, a
// condition key it cannot value) makes a verdict "unknown", never "allowed".
import type { CORSRule } from '@aws-sdk/client-s3';
import type { Access } from './inputs.js';
import { type PolicyDocument, type Statement, statements } from './policy.js';

export type AccessState = 'allowed' | 'blocked' | 'unknown' | 'not-applicable';

export interface Verdict {
  state: AccessState;
  reason: string;
  /** For blocked and unknown: which policy, which statement, and the fix in one sentence. */
  policy?: string;
  statement?: string;
  fix?: string;
}

export type Capability = 'list' | 'read' | 'write' | 'kms' | 'web-app';
export const CAPABILITIES: Capability[] = ['list', 'read', 'write', 'kms', 'web-app'];

export interface BucketAccess {
  bucket: string;
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
  key?: { arn: string; policy?: PolicyDocument };
}

export interface AccessInput {
  access: Access;
  roleArn: string;
  account: string;
  partition: string;
  /** The role's tags as they will be (aws:PrincipalTag/...). */
  roleTags: Record<string, string>;
  /** The permissions boundary's document, when the role has one. */
  boundary?: { arn: string; document: PolicyDocument };
  /** The web app's CORS rule will be kept by this run (cors: true). */
  corsManaged: boolean;
}

type Tri = true | false | 'unknown';

interface Request {
  action: string;
  resource: string;
  /** Condition keys with their values; a key set to undefined is known to be absent. Others are unknown. */
  context: Record<string, string | undefined>;
}

const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

function glob(pattern: string, caseless = false): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, caseless ? 'i' : '');
}

/** Whether an IPv4 address lies in a CIDR block. */
function inCidr(ip: string, cidr: string): boolean {
  const [base, bits = '32'] = cidr.split('/');
  const toInt = (a: string) => a.split('.').reduce((n, o) => (n << 8) + Number(o), 0) >>> 0;
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip) || !/^\d+\.\d+\.\d+\.\d+$/.test(base)) return false;
  const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  return (toInt(ip) & mask) === (toInt(base) & mask);
}

// Deep Lake's requests come from Activeloop's network, never from the customer's: any address list the
// customer writes does not contain it. This stands for such an address.
const OUTSIDE_ADDRESS = '192.0.2.1';

const OPERATORS: Record<string, (value: string, pattern: string) => boolean> = {
  StringEquals: (v, p) => v === p,
  StringNotEquals: (v, p) => v === p,
  StringEqualsIgnoreCase: (v, p) => v.toLowerCase() === p.toLowerCase(),
  StringNotEqualsIgnoreCase: (v, p) => v.toLowerCase() === p.toLowerCase(),
  StringLike: (v, p) => glob(p).test(v),
  StringNotLike: (v, p) => glob(p).test(v),
  ArnEquals: (v, p) => v === p,
  ArnNotEquals: (v, p) => v === p,
  ArnLike: (v, p) => glob(p).test(v),
  ArnNotLike: (v, p) => glob(p).test(v),
  Bool: (v, p) => v.toLowerCase() === p.toLowerCase(),
  IpAddress: (v, p) => inCidr(v, p),
  NotIpAddress: (v, p) => inCidr(v, p),
};

/** One condition block, three-valued: a key the action cannot value makes it unknown. */
function conditionHolds(condition: Statement['Condition'], context: Request['context']): { holds: Tri; unknownKey?: string } {
  let result: Tri = true;
  let unknownKey: string | undefined;
  for (const [rawOperator, block] of Object.entries(condition ?? {})) {
    const setOperator = /^(ForAnyValue|ForAllValues):/.exec(rawOperator);
    const ifExists = rawOperator.endsWith('IfExists');
    const operator = rawOperator.replace(/^(ForAnyValue|ForAllValues):/, '').replace(/IfExists$/, '');
    for (const [key, patterns] of Object.entries(block)) {
      const known = Object.keys(context).find((k) => k.toLowerCase() === key.toLowerCase());
      const value = known === undefined ? undefined : context[known];
      let holds: Tri;
      if (known === undefined || setOperator) {
        holds = 'unknown';
        unknownKey ??= key;
      } else if (operator === 'Null') {
        holds = list(patterns).some((p) => p.toLowerCase() === String(value === undefined));
      } else if (value === undefined) {
        holds = ifExists || operator.includes('Not');
      } else {
        const test = OPERATORS[operator];
        if (!test) {
          holds = 'unknown';
          unknownKey ??= `${key} (${operator})`;
        } else {
          const any = list(patterns).some((p) => test(value, p));
          holds = operator.includes('Not') ? !any : any;
        }
      }
      if (holds === false) return { holds: false };
      if (holds === 'unknown') result = 'unknown';
    }
  }
  return { holds: result, unknownKey };
}

/** Whether a resource-based statement's principal covers the role. */
function principalCovers(statement: Statement, input: AccessInput): boolean {
  const names = (p: Statement['Principal']) =>
    p === '*' ? ['*'] : p ? Object.entries(p).flatMap(([type, v]) => (type === 'AWS' ? list(v) : [])) : [];
  const covers = (values: string[]) =>
    values.some(
      (v) =>
        v === '*' ||
        v === input.roleArn ||
        v === input.account ||
        v === `arn:${input.partition}:iam::${input.account}:root` ||
        glob(v).test(input.roleArn),
    );
  if (statement.NotPrincipal) return !covers(names(statement.NotPrincipal));
  return covers(names(statement.Principal));
}

function statementApplies(statement: Statement, request: Request): boolean {
  const actionOk = statement.Action
    ? list(statement.Action).some((a) => glob(a, true).test(request.action))
    : statement.NotAction
      ? !list(statement.NotAction).some((a) => glob(a, true).test(request.action))
      : false;
  const resources = statement.Resource ?? (statement.NotResource ? undefined : ['*']);
  const resourceOk = resources
    ? list(resources).some((r) => glob(r).test(request.resource))
    : !list(statement.NotResource).some((r) => glob(r).test(request.resource));
  return actionOk && resourceOk;
}

interface Found {
  effect: 'deny' | 'allow' | 'unknown-deny' | 'none';
  statement?: string;
  unknownKey?: string;
}

function label(statement: Statement, index: number): string {
  return statement.Sid ? `"${statement.Sid}"` : `#${index + 1}`;
}

/** The strongest match in a policy: an explicit Deny, a Deny that may apply, an Allow, or nothing. */
function evaluatePolicy(doc: PolicyDocument, request: Request, input: AccessInput, resourceBased: boolean): Found {
  let allow: Found | undefined;
  let maybeDeny: Found | undefined;
  const all = statements(doc);
  for (const [i, s] of all.entries()) {
    if (resourceBased && !principalCovers(s, input)) continue;
    if (!statementApplies(s, request)) continue;
    const { holds, unknownKey } = conditionHolds(s.Condition, request.context);
    if (holds === false) continue;
    if (s.Effect === 'Deny') {
      if (holds === true) return { effect: 'deny', statement: label(s, i) };
      maybeDeny ??= { effect: 'unknown-deny', statement: label(s, i), unknownKey };
    } else if (holds === true) allow ??= { effect: 'allow', statement: label(s, i) };
  }
  return maybeDeny ?? allow ?? { effect: 'none' };
}

/** The request context of a call Deep Lake makes with the role: TLS, the role's identity, no VPC endpoint, no encryption header. */
function contextFor(input: AccessInput, extra: Record<string, string | undefined>): Request['context'] {
  const tags = Object.fromEntries(Object.entries(input.roleTags).map(([k, v]) => [`aws:PrincipalTag/${k}`, v]));
  return {
    'aws:SecureTransport': 'true',
    'aws:PrincipalArn': input.roleArn,
    'aws:PrincipalAccount': input.account,
    'aws:PrincipalType': 'AssumedRole',
    'aws:SourceIp': OUTSIDE_ADDRESS,
    'aws:SourceVpce': undefined,
    'aws:SourceVpc': undefined,
    'aws:ViaAWSService': 'false',
    's3:x-amz-server-side-encryption': undefined,
    's3:x-amz-server-side-encryption-aws-kms-key-id': undefined,
    's3:x-amz-acl': undefined,
    's3:TlsVersion': '1.2',
    ...tags,
    ...extra,
  };
}

const ok = (reason: string): Verdict => ({ state: 'allowed', reason });
const na = (reason: string): Verdict => ({ state: 'not-applicable', reason });

/** One capability: every request it needs, through the bucket or key policy and the boundary. */
function decide(
  requests: Request[],
  input: AccessInput,
  resourcePolicy: { name: string; doc?: PolicyDocument; mustAllow: boolean; fix: string },
  allowedReason: string,
): Verdict {
  for (const request of requests) {
    if (resourcePolicy.doc) {
      const found = evaluatePolicy(resourcePolicy.doc, request, input, true);
      if (found.effect === 'deny') {
        return {
          state: 'blocked',
          reason: `${request.action} is denied by the ${resourcePolicy.name}`,
          policy: resourcePolicy.name,
          statement: found.statement,
          fix: resourcePolicy.fix,
        };
      }
      if (found.effect === 'unknown-deny') {
        return {
          state: 'unknown',
          reason: `${request.action} may be denied by the ${resourcePolicy.name}: its condition on ${found.unknownKey} depends on what the action cannot see`,
          policy: resourcePolicy.name,
          statement: found.statement,
          fix: `Check that condition for requests from Activeloop with the role ${input.roleArn}.`,
        };
      }
      if (resourcePolicy.mustAllow && found.effect === 'none') {
        return {
          state: 'blocked',
          reason: `the ${resourcePolicy.name} allows ${request.action} neither to the role nor to the account (IAM policies cannot grant the key without that)`,
          policy: resourcePolicy.name,
          fix: `Add a statement allowing ${request.action} to ${input.roleArn}, or the default statement that lets IAM policies of the account grant the key.`,
        };
      }
    } else if (resourcePolicy.mustAllow) {
      return {
        state: 'unknown',
        reason: `the ${resourcePolicy.name} could not be read`,
        policy: resourcePolicy.name,
        fix: 'Allow kms:GetKeyPolicy on the key to the credentials running the action.',
      };
    }
    if (input.boundary) {
      const found = evaluatePolicy(input.boundary.document, request, input, false);
      if (found.effect !== 'allow') {
        return {
          state: found.effect === 'unknown-deny' ? 'unknown' : 'blocked',
          reason: `the permissions boundary ${input.boundary.arn} ${found.effect === 'deny' ? 'denies' : found.effect === 'unknown-deny' ? 'may deny' : 'does not allow'} ${request.action}`,
          policy: `permissions boundary ${input.boundary.arn}`,
          statement: found.statement,
          fix: `Allow ${request.action} in the permissions boundary, or set another permissions-boundary.`,
        };
      }
    }
  }
  return ok(allowedReason);
}

/** Whether a CORS configuration lets Activeloop's web app GET from the bucket. */
export function webAppCanRead(rules: CORSRule[]): boolean {
  const origin = 'https://app.activeloop.ai';
  return rules.some(
    (r) => (r.AllowedMethods ?? []).includes('GET') && (r.AllowedOrigins ?? []).some((o) => o === '*' || glob(o).test(origin)),
  );
}

/** Decides, for the role as it will be after this run, what Deep Lake can do with each bucket. */
export function checkAccess(buckets: BucketFacts[], input: AccessInput): BucketAccess[] {
  const writes = input.access === 'read-write';
  return buckets.map((b) => {
    const s3 = `arn:${input.partition}:s3:::${b.bucket}`;
    const prefix = b.prefixes[0] ?? '';
    const object = `${s3}/${prefix ? `${prefix}/` : ''}deeplake-dataset/chunks/0`;
    if (b.policyError) {
      const unknown: Verdict = {
        state: 'unknown',
        reason: `the bucket policy could not be read (${b.policyError})`,
        policy: 'bucket policy',
        fix: 'Allow s3:GetBucketPolicy on the bucket to the credentials running the action.',
      };
      const rest = checkAccess([{ ...b, policy: undefined, policyError: undefined }], input)[0].verdicts;
      return { bucket: b.bucket, verdicts: { ...rest, list: unknown, read: unknown, write: writes ? unknown : rest.write } };
    }
    const bucketPolicy = {
      name: 'bucket policy',
      doc: b.policy,
      mustAllow: false,
      fix: `Exempt the role ${input.roleArn} from that statement, for example with an aws:PrincipalArn condition, or remove it.`,
    };
    const s3Request = (action: string, resource: string, extra: Record<string, string | undefined> = {}): Request => ({
      action,
      resource,
      context: contextFor(input, extra),
    });
    const verdicts: Record<Capability, Verdict> = {
      list: decide([s3Request('s3:ListBucket', s3, { 's3:prefix': prefix })], input, bucketPolicy, 'ListBucket is allowed'),
      read: decide([s3Request('s3:GetObject', object)], input, bucketPolicy, 'GetObject is allowed'),
      write: writes
        ? decide(
            ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'].map((a) => s3Request(a, object)),
            input,
            bucketPolicy,
            'PutObject, DeleteObject and AbortMultipartUpload are allowed',
          )
        : na('access is read-only'),
      kms: b.key
        ? decide(
            (writes ? ['kms:Decrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt']).map((a) => ({
              action: a,
              resource: b.key?.arn ?? '',
              context: contextFor(input, { 'kms:ViaService': `s3.${b.region}.amazonaws.com`, 'kms:CallerAccount': input.account }),
            })),
            input,
            { name: `key policy of ${b.key.arn}`, doc: b.key.policy, mustAllow: true, fix: '' },
            'the key policy lets the role use the key',
          )
        : na('no customer-managed KMS key'),
      'web-app': b.corsError
        ? {
            state: 'unknown',
            reason: `the CORS rules could not be read (${b.corsError})`,
            policy: 'CORS configuration',
            fix: 'Allow s3:GetBucketCORS on the bucket to the credentials running the action.',
          }
        : input.corsManaged || webAppCanRead(b.cors)
          ? ok(input.corsManaged ? 'this run keeps the CORS rule for the web app' : 'a CORS rule lets the web app read')
          : {
              state: 'blocked',
              reason: "no CORS rule lets Activeloop's web app (https://*.activeloop.ai) GET from the bucket",
              policy: 'CORS configuration',
              fix: "Set cors: true: the action then keeps such a rule and leaves the bucket's other rules as they are.",
            },
    };
    return { bucket: b.bucket, verdicts };
  });
}

/** The buckets with at least one blocked capability. */
export function blockedBuckets(result: BucketAccess[]): string[] {
  return result.filter((r) => CAPABILITIES.some((c) => r.verdicts[c].state === 'blocked')).map((r) => r.bucket);
}
