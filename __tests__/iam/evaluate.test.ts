// Principal, NotPrincipal, statements and the evaluation logic (IAM User Guide, "Policy evaluation logic").
import { describe, expect, it } from '@jest/globals';
import {
  actionMatches,
  authorize,
  evaluatePolicy,
  type NamedPolicy,
  principalMatches,
  type RequestContext,
  sessionArn,
} from '../../src/iam/index.js';
import { ROLE as SIMULATED_ROLE, simulate } from './simulator.js';

const ROLE = 'arn:aws:iam::123456789012:role/team/activeloop';
const principal = { partition: 'aws', account: '123456789012', roleArn: ROLE };
const SESSION = 'arn:aws:sts::123456789012:assumed-role/activeloop/s1';
const request = (extra: Partial<RequestContext> = {}): RequestContext => ({
  action: 's3:GetObject',
  resource: 'arn:aws:s3:::lake/k',
  principal,
  keys: {},
  ...extra,
});

describe('Principal for a role session', () => {
  it.each([
    ['*', '*', true],
    ['the account ID', { AWS: '123456789012' }, true],
    ['the account root', { AWS: 'arn:aws:iam::123456789012:root' }, true],
    ['the role', { AWS: ROLE }, true],
    ['another role', { AWS: 'arn:aws:iam::123456789012:role/other' }, false],
    ['another account', { AWS: '999999999999' }, false],
    ['a wildcard inside an ARN (not a wildcard in Principal)', { AWS: 'arn:aws:iam::123456789012:role/*' }, false],
    ['a service', { Service: 's3.amazonaws.com' }, false],
    ['AWS "*"', { AWS: '*' }, true],
    ['a session of the role, name not known', { AWS: SESSION }, 'unknown'],
    ['a session of another role', { AWS: 'arn:aws:sts::123456789012:assumed-role/other/s1' }, false],
  ])('%s: %s', (_what, element, expected) => {
    expect(principalMatches({ Principal: element as never }, principal).value).toBe(expected);
  });

  it('a session with a known name is matched by name', () => {
    expect(principalMatches({ Principal: { AWS: SESSION } }, { ...principal, sessionName: 's1' }).value).toBe(true);
    expect(principalMatches({ Principal: { AWS: SESSION } }, { ...principal, sessionName: 's2' }).value).toBe(false);
    expect(sessionArn(principal, 's1')).toBe(SESSION);
  });

  it('a statement without Principal (an identity policy) applies; a Principal without a principal does not', () => {
    expect(principalMatches({}, principal).value).toBe(true);
    expect(principalMatches({ Principal: '*' }, undefined).value).toBe(false);
    expect(principalMatches({ NotPrincipal: { AWS: ROLE } }, undefined).value).toBe(true);
  });
});

describe('NotPrincipal with Deny for a role session', () => {
  const ACCOUNT = 'arn:aws:iam::123456789012:root';
  it.each([
    ['the role and the account: the session is not named, so it is denied', [ROLE, ACCOUNT], true],
    ['another principal', ['arn:aws:iam::123456789012:role/other'], true],
    ['"*": nobody is denied', ['*'], false],
    ['the session, the role and the account: spared if that is the session', [SESSION, ROLE, ACCOUNT], 'unknown'],
    ['the session alone: the role or the account may be denied first', [SESSION], 'unknown'],
  ])('%s', (_what, named, expected) => {
    expect(principalMatches({ NotPrincipal: { AWS: named } }, principal).value).toBe(expected);
  });

  it('spares a session named with its role and account when its name is known', () => {
    expect(principalMatches({ NotPrincipal: { AWS: [SESSION, ROLE, ACCOUNT] } }, { ...principal, sessionName: 's1' }).value).toBe(false);
    expect(principalMatches({ NotPrincipal: { AWS: [SESSION, ROLE, ACCOUNT] } }, { ...principal, sessionName: 's2' }).value).toBe(true);
  });
});

describe('statements', () => {
  it('matches actions without case, with wildcards', () => {
    expect(actionMatches('s3:Get*', 'S3:GETOBJECT')).toBe(true);
    expect(actionMatches('s3:Get?bject', 's3:GetObject')).toBe(true);
    expect(actionMatches('s3:Put*', 's3:GetObject')).toBe(false);
  });

  it.each([
    ['Action', { Effect: 'Deny', Action: 's3:Get*', Resource: '*' }, true],
    ['NotAction', { Effect: 'Deny', NotAction: 's3:Get*', Resource: '*' }, false],
    ['NotAction of another', { Effect: 'Deny', NotAction: 's3:Put*', Resource: '*' }, true],
    ['NotResource', { Effect: 'Deny', Action: '*', NotResource: 'arn:aws:s3:::lake/*' }, false],
    ['NotResource of another', { Effect: 'Deny', Action: '*', NotResource: 'arn:aws:s3:::other/*' }, true],
    ['neither Action nor NotAction', { Effect: 'Deny', Resource: '*' }, false],
    ['neither Resource nor NotResource', { Effect: 'Deny', Action: '*' }, false],
  ])('%s', (_what, statement, denies) => {
    expect(evaluatePolicy({ Statement: statement }, request()).deny).toBe(denies);
  });

  it('names the statement that decides: its Sid, else its position', () => {
    const doc = {
      Statement: [
        { Effect: 'Allow', Action: 's3:Put*', Resource: '*' },
        { Sid: 'Read', Effect: 'Allow', Action: 's3:Get*', Resource: '*' },
        { Effect: 'Deny', Action: '*', Resource: '*' },
      ],
    };
    expect(evaluatePolicy(doc, request())).toMatchObject({
      allow: true,
      allowBy: { label: '"Read"' },
      deny: true,
      denyBy: { label: '#3' },
    });
  });

  it('a certain statement outranks an unknown one of the same effect', () => {
    const doc = {
      Statement: [
        { Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringEquals: { u: 'x' } } },
        { Effect: 'Deny', Action: '*', Resource: '*' },
      ],
    };
    expect(evaluatePolicy(doc, request({ unknownKeys: ['u'] }))).toMatchObject({ deny: true, denyBy: { label: '#2' } });
    expect(evaluatePolicy({ Statement: [doc.Statement[0]] }, request({ unknownKeys: ['u'] }))).toMatchObject({
      deny: 'unknown',
      denyBy: { label: '#1' },
    });
  });
});

describe('authorize: the evaluation logic', () => {
  const policy = (kind: NamedPolicy['kind'], ...Statement: object[]): NamedPolicy => ({
    kind,
    name: kind,
    document: { Statement: Statement as never },
  });
  const allowAll = { Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' };
  const denyAll = { Effect: 'Deny', Principal: '*', Action: '*', Resource: '*' };
  const maybe = { Condition: { StringEquals: { u: 'x' } } };

  it.each([
    ['no policy: the identity side allows', [], 'allowed'],
    ['an explicit deny in a resource policy', [policy('resource', allowAll, denyAll)], 'explicit-deny'],
    ['a deny that may apply', [policy('resource', { ...denyAll, ...maybe })], 'unknown'],
    ['a boundary must allow', [policy('boundary', { Effect: 'Allow', Action: 'kms:*', Resource: '*' })], 'implicit-deny'],
    ['a boundary that may allow', [policy('boundary', { Effect: 'Allow', Action: '*', Resource: '*', ...maybe })], 'unknown'],
    [
      'a key policy must allow',
      [policy('key', { ...allowAll, Principal: { AWS: 'arn:aws:iam::123456789012:role/admin' } })],
      'implicit-deny',
    ],
    ['a key policy that delegates to the account', [policy('key', { ...allowAll, Principal: { AWS: '123456789012' } })], 'allowed'],
    ['an identity policy without an allow', [policy('identity', { Effect: 'Allow', Action: 'kms:*', Resource: '*' })], 'implicit-deny'],
    ['an identity policy that may allow', [policy('identity', { Effect: 'Allow', Action: '*', Resource: '*', ...maybe })], 'unknown'],
    [
      'a resource policy of the account that allows the role, without an identity allow',
      [policy('identity'), policy('resource', { ...allowAll, Principal: { AWS: ROLE } })],
      'allowed',
    ],
    [
      'a deny wins over any allow',
      [policy('identity', { Effect: 'Allow', Action: '*', Resource: '*' }), policy('boundary', denyAll)],
      'explicit-deny',
    ],
  ])('%s', (_what, policies, decision) => {
    expect(authorize(request({ unknownKeys: ['u'] }), policies as NamedPolicy[]).decision).toBe(decision);
  });

  // "KMS key access and permissions": the key policy alone can control access; "Key policies in AWS KMS": the
  // account principal only enables IAM policies. So a key policy of the role's account that names the role (or
  // "*") allows without an IAM policy; one that names only the account needs the IAM policy; another
  // account's key needs both (IAM User Guide, "Cross-account policy evaluation logic").
  describe('a key policy beside an identity policy that does not allow', () => {
    const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const OTHER_KEY = 'arn:aws:kms:us-east-1:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const grant = (AWS: unknown, extra: object = {}) => ({ Effect: 'Allow', Principal: { AWS }, Action: 'kms:*', Resource: '*', ...extra });
    const noAllow = policy('identity', { Effect: 'Allow', Action: 's3:*', Resource: '*' });
    const certain: [string, string, object[], string][] = [
      ['names the role: allowed by the key policy alone', KEY, [grant(ROLE)], 'allowed'],
      ['grants to "*": allowed by the key policy alone', KEY, [{ ...allowAll }], 'allowed'],
      ['names the role and the account in one statement: allowed', KEY, [grant(['123456789012', ROLE])], 'allowed'],
      ['names only the account ID: the IAM policy must allow', KEY, [grant('123456789012')], 'implicit-deny'],
      ['names only the account root: the IAM policy must allow', KEY, [grant('arn:aws:iam::123456789012:root')], 'implicit-deny'],
      ['of another account, naming the role: the IAM policy must allow too', OTHER_KEY, [grant(ROLE)], 'implicit-deny'],
    ];
    it.each([...certain, ['names the role under a condition not known: unknown', KEY, [grant(ROLE, maybe)], 'unknown']])(
      '%s',
      (_what, resource, statements, decision) => {
        const context = request({ action: 'kms:Decrypt', resource, unknownKeys: ['u'] });
        expect(authorize(context, [noAllow, policy('key', ...statements)]).decision).toBe(decision);
      },
    );

    // The same requests through iam-simulate, the independent evaluator (its principal is a session of its own role).
    it.each(certain)('iam-simulate agrees: %s', async (_what, resource, statements, decision) => {
      const own = (s: object) => JSON.parse(JSON.stringify(s).replaceAll(ROLE, SIMULATED_ROLE));
      const verdict = await simulate({
        action: 'kms:Decrypt',
        resource,
        resourceAccount: resource.split(':')[4],
        context: {},
        resourcePolicy: { Version: '2012-10-17', Statement: statements.map(own) },
        identity: noAllow.document,
      });
      expect(verdict).toBe(decision === 'allowed' ? 'allowed' : 'denied');
    });

    it('names the statement that grants directly, by its place in the key policy', () => {
      const context = request({ action: 'kms:Decrypt', resource: KEY });
      const decision = authorize(context, [noAllow, policy('key', grant('123456789012'), grant(ROLE))]);
      expect(decision).toMatchObject({ decision: 'allowed', policy: { kind: 'key' }, statement: { label: '#2' } });
    });

    it('an identity policy that allows is still enough when the key policy delegates to the account', () => {
      const context = request({ action: 'kms:Decrypt', resource: KEY });
      const allows = policy('identity', { Effect: 'Allow', Action: 'kms:Decrypt', Resource: KEY });
      expect(authorize(context, [allows, policy('key', grant('123456789012'))]).decision).toBe('allowed');
    });
  });
});

// "Policy evaluation logic" and "Permissions boundaries for IAM entities": within one account, a resource-based
// policy's grant to the role session (its session ARN, or "*") is not limited by an implicit deny in the identity
// policy or the boundary; a grant to the role's ARN stands in for the identity policy but not for the boundary; a
// grant to the account only delegates to IAM policies. "Cross-account policy evaluation logic": a policy of another
// account needs the identity policy and the boundary too. Each row is held against iam-simulate as well.
describe('authorize: what a resource-based policy grants past the identity policy and the boundary', () => {
  const OWN = '123456789012';
  const SIM_SESSION = 'arn:aws:sts::123456789012:assumed-role/activeloop-deeplake-access/deeplake';
  const session = { partition: 'aws', account: OWN, roleArn: SIMULATED_ROLE, sessionName: 'deeplake' };
  const KEY = `arn:aws:kms:us-east-1:${OWN}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
  const OTHER_KEY = KEY.replace(OWN, '999999999999');
  const sqsOnly = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }] };
  const everything = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
  const grant = (AWS: unknown, action = 's3:GetObject') => ({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS }, Action: action, Resource: '*' }],
  });
  type Row = [
    string,
    { resource: string; policy: object; kind: 'resource' | 'key'; mustAllow?: boolean; identity: object; boundary: object },
    string,
  ];
  const s3 = (AWS: unknown, identity: object, boundary: object, mustAllow?: boolean) => ({
    resource: 'arn:aws:s3:::lake/k',
    policy: grant(AWS),
    kind: 'resource' as const,
    mustAllow,
    identity,
    boundary,
  });
  const kms = (resource: string, AWS: unknown, boundary: object) => ({
    resource,
    policy: grant(AWS, 'kms:Decrypt'),
    kind: 'key' as const,
    identity: everything,
    boundary,
  });
  const rows: Row[] = [
    ['a bucket policy granting AWS "*", the boundary silent: allowed', s3('*', everything, sqsOnly), 'allowed'],
    ['a bucket policy granting the session ARN, the boundary silent: allowed', s3(SIM_SESSION, everything, sqsOnly), 'allowed'],
    ['a bucket policy granting the role ARN, the boundary silent: implicit deny', s3(SIMULATED_ROLE, everything, sqsOnly), 'implicit-deny'],
    ['a bucket policy granting the account, the boundary silent: implicit deny', s3(OWN, everything, sqsOnly), 'implicit-deny'],
    ['a bucket policy granting the role ARN, no identity allow: allowed', s3(SIMULATED_ROLE, sqsOnly, everything), 'allowed'],
    [
      'a bucket policy granting the account root, no identity allow: implicit deny',
      s3(`arn:aws:iam::${OWN}:root`, sqsOnly, everything),
      'implicit-deny',
    ],
    ['another account\'s bucket granting "*", the boundary silent: implicit deny', s3('*', everything, sqsOnly, true), 'implicit-deny'],
    [
      "another account's bucket granting the role, no identity allow: implicit deny",
      s3(SIMULATED_ROLE, sqsOnly, everything, true),
      'implicit-deny',
    ],
    ['a key policy granting AWS "*", the boundary silent: allowed', kms(KEY, '*', sqsOnly), 'allowed'],
    [
      "another account's key granting the session ARN, the boundary silent: implicit deny",
      kms(OTHER_KEY, SIM_SESSION, sqsOnly),
      'implicit-deny',
    ],
  ];

  it.each(rows)('%s', (_what, r, decision) => {
    const context: RequestContext = {
      action: r.kind === 'key' ? 'kms:Decrypt' : 's3:GetObject',
      resource: r.resource,
      principal: session,
      keys: {},
    };
    const policies: NamedPolicy[] = [
      { kind: 'identity', name: 'identity', document: r.identity as never },
      { kind: r.kind, name: r.kind, document: r.policy as never, mustAllow: r.mustAllow },
      { kind: 'boundary', name: 'boundary', document: r.boundary as never },
    ];
    expect(authorize(context, policies).decision).toBe(decision);
  });

  it.each(rows)('iam-simulate agrees: %s', async (_what, r, decision) => {
    const verdict = await simulate({
      action: r.kind === 'key' ? 'kms:Decrypt' : 's3:GetObject',
      resource: r.resource,
      resourceAccount: r.mustAllow ? '999999999999' : r.resource.split(':')[4] || OWN,
      context: {},
      resourcePolicy: r.policy,
      identity: r.identity,
      boundary: r.boundary,
    });
    expect(verdict).toBe(decision === 'allowed' ? 'allowed' : 'denied');
  });

  it("a session ARN with Deep Lake's session name not known: unknown, naming the boundary", () => {
    const context: RequestContext = {
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::lake/k',
      principal: { ...session, sessionName: undefined },
      keys: {},
    };
    const decision = authorize(context, [
      { kind: 'resource', name: 'bucket policy', document: grant(SIM_SESSION) as never },
      { kind: 'boundary', name: 'boundary', document: sqsOnly as never },
    ]);
    expect(decision).toMatchObject({ decision: 'unknown', policy: { kind: 'boundary' }, unknownSide: 'allow' });
  });

  it('a key policy must allow on its own: a bucket-like policy granting "*" everything does not stand in for it', () => {
    const context: RequestContext = { action: 'kms:Decrypt', resource: KEY, principal: session, keys: {} };
    const decision = authorize(context, [
      {
        kind: 'resource',
        name: 'other',
        document: { Version: '2012-10-17', Statement: [{ ...everything.Statement[0], Principal: '*' }] } as never,
      },
      { kind: 'key', name: 'key policy', document: grant('arn:aws:iam::999999999999:root', 'kms:Decrypt') as never },
      { kind: 'boundary', name: 'boundary', document: sqsOnly as never },
    ]);
    expect(decision).toMatchObject({ decision: 'implicit-deny', policy: { kind: 'key' } });
  });

  it('an Allow by NotPrincipal is no grant to the session: the boundary still limits it', () => {
    const context: RequestContext = { action: 's3:GetObject', resource: 'arn:aws:s3:::lake/k', principal: session, keys: {} };
    const notOther = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', NotPrincipal: { AWS: '999999999999' }, Action: '*', Resource: '*' }],
    };
    const decision = authorize(context, [
      { kind: 'resource', name: 'bucket policy', document: notOther as never },
      { kind: 'boundary', name: 'boundary', document: sqsOnly as never },
    ]);
    expect(decision.decision).toBe('implicit-deny');
  });

  it('without a principal (an anonymous request) no resource-based policy grants past the boundary or the identity policy', () => {
    const context: RequestContext = { action: 's3:GetObject', resource: 'arn:aws:s3:::lake/k', keys: {} };
    const open = { kind: 'resource' as const, name: 'bucket policy', document: grant('*') as never };
    expect(authorize(context, [open, { kind: 'boundary', name: 'boundary', document: sqsOnly as never }]).decision).toBe('implicit-deny');
    expect(authorize(context, [{ kind: 'identity', name: 'identity', document: sqsOnly as never }, open]).decision).toBe('implicit-deny');
  });
});
