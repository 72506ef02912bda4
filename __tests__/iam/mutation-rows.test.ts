// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are written as ${...} on purpose
// Rows that the mutation runs over src/iam/ asked for (docs/development.md, "Mutation testing"): each pins a
// behaviour of the evaluator that a surviving mutant changed, with the IAM documentation page that fixes it.
import { describe, expect, it } from '@jest/globals';
import {
  ANY_VALUE,
  authorize,
  conditionEntry,
  evaluatePolicy,
  type NamedPolicy,
  PUBLIC_ADDRESS,
  principalMatches,
  type RequestContext,
  resourceMatches,
  statementApplies,
} from '../../src/iam/index.js';
import { DATE_OPERATORS, parseDate } from '../../src/iam/operators/date.js';
import { forAnyValue, parseOperator, sameForEveryValue } from '../../src/iam/operators/index.js';
import { coversEveryAddress, inBlock } from '../../src/iam/operators/ip.js';
import { NUMERIC_OPERATORS } from '../../src/iam/operators/numeric.js';
import { literalPattern, resolve } from '../../src/iam/variables.js';
import { arnWitness, globMatches, globWitness } from '../../src/iam/wildcard.js';

const PAGES = {
  operators: 'IAM User Guide, "IAM JSON policy elements: Condition operators"',
  condition: 'IAM User Guide, "IAM JSON policy elements: Condition"',
  variables: 'IAM User Guide, "IAM policy elements: Variables and tags"',
  evaluation: 'IAM User Guide, "Policy evaluation logic"',
  principal: 'IAM User Guide, "AWS JSON policy elements: Principal"',
  notPrincipal: 'IAM User Guide, "AWS JSON policy elements: NotPrincipal"',
  resource: 'IAM User Guide, "IAM JSON policy elements: Resource"',
  action: 'IAM User Guide, "IAM JSON policy elements: Action" and "NotAction"',
};

const context = (keys: RequestContext['keys'], unknownKeys: string[] = []): RequestContext => ({
  action: 's3:GetObject',
  resource: 'arn:aws:s3:::lake/k',
  keys,
  unknownKeys,
});

describe(`condition entries (${PAGES.operators}; ${PAGES.condition})`, () => {
  it('an entry with no policy values (undefined) has none: a positive operator matches nothing, a negated one holds', () => {
    const ctx = context({ k: 'undefined' });
    expect(conditionEntry('StringEquals', 'k', undefined, ctx).value).toBe(false);
    expect(conditionEntry('StringNotEquals', 'k', undefined, ctx).value).toBe(true);
  });

  it('aws:SourceIp not known at all: blocks covering every IPv4 and IPv6 address decide (IpAddress holds, NotIpAddress fails)', () => {
    const ctx = context({}, ['aws:SourceIp']);
    const everywhere = ['0.0.0.0/0', '::/0'];
    expect(conditionEntry('IpAddress', 'aws:SourceIp', everywhere, ctx)).toEqual({ value: true });
    expect(conditionEntry('NotIpAddress', 'aws:SourceIp', everywhere, ctx)).toEqual({ value: false });
    // One family alone does not cover every address: unknown, naming the key.
    expect(conditionEntry('IpAddress', 'aws:SourceIp', '0.0.0.0/0', ctx).value).toBe('unknown');
  });

  it('aws:SourceIp absent or public: every-address blocks still fail when the key is absent (IpAddress), so unknown', () => {
    const ctx = context({ 'aws:SourceIp': { unknown: true, candidates: [PUBLIC_ADDRESS, undefined] } });
    expect(conditionEntry('IpAddress', 'aws:SourceIp', ['0.0.0.0/0', '::/0'], ctx)).toEqual({
      value: 'unknown',
      decider: {
        key: 'aws:SourceIp',
        operator: 'IpAddress',
        values: ['0.0.0.0/0', '::/0'],
        holdsWhen: 'a public address',
        failsWhen: '(absent)',
      },
    });
  });

  it('an unknown verdict names the key that decides it, also when every candidate leaves it open', () => {
    const ctx = context({ 'aws:SourceIp': { unknown: true, candidates: [PUBLIC_ADDRESS] } });
    expect(conditionEntry('IpAddress', 'aws:SourceIp', '8.8.8.0/24', ctx)).toEqual({
      value: 'unknown',
      decider: { key: 'aws:SourceIp', operator: 'IpAddress', values: ['8.8.8.0/24'] },
    });
  });

  it('names the value that fails and none that holds when no candidate makes the entry hold', () => {
    const ctx = context({ 'aws:SourceIp': { unknown: true, candidates: [undefined, PUBLIC_ADDRESS] } });
    expect(conditionEntry('IpAddress', 'aws:SourceIp', '8.8.8.0/24', ctx)).toEqual({
      value: 'unknown',
      decider: { key: 'aws:SourceIp', operator: 'IpAddress', values: ['8.8.8.0/24'], failsWhen: '(absent)' },
    });
  });

  it('names a key present with a value it cannot know as "present (any value)": StringLike "*" holds for any value, not for absent', () => {
    const ctx = context({ 'aws:SourceVpce': { unknown: true, candidates: [ANY_VALUE, undefined] } });
    expect(conditionEntry('StringLike', 'aws:SourceVpce', '*', ctx)).toEqual({
      value: 'unknown',
      decider: { key: 'aws:SourceVpce', operator: 'StringLike', values: ['*'], holdsWhen: 'present (any value)', failsWhen: '(absent)' },
    });
  });

  it('names a multivalued candidate by its values, comma-separated', () => {
    const ctx = context({ 'aws:CalledVia': { unknown: true, candidates: [['athena.amazonaws.com', 'glue.amazonaws.com'], undefined] } });
    expect(conditionEntry('ForAnyValue:StringEquals', 'aws:CalledVia', 'glue.amazonaws.com', ctx)).toEqual({
      value: 'unknown',
      decider: {
        key: 'aws:CalledVia',
        operator: 'ForAnyValue:StringEquals',
        values: ['glue.amazonaws.com'],
        holdsWhen: 'athena.amazonaws.com, glue.amazonaws.com',
        failsWhen: '(absent)',
      },
    });
  });

  it(`a variable the evaluator cannot value leaves the entry unknown without a settling value (${PAGES.variables})`, () => {
    // Present: the variable decides, and its value is not known; absent: StringEquals fails whatever the variable.
    const ctx = context({ k: { unknown: true, candidates: ['alice', undefined] } }, ['aws:username']);
    expect(conditionEntry('StringEquals', 'k', '${aws:username}', ctx)).toEqual({
      value: 'unknown',
      decider: { key: 'k', operator: 'StringEquals', values: ['${aws:username}'] },
    });
  });
});

const ACCOUNT = '123456789012';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/team/activeloop`;
const ROOT = `arn:aws:iam::${ACCOUNT}:root`;
const SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/activeloop/s1`;
const principal = { partition: 'aws', account: ACCOUNT, roleArn: ROLE };
const request = (extra: Partial<RequestContext> = {}): RequestContext => ({ ...context({}, ['u']), principal, ...extra });

describe(`statements (${PAGES.action}; ${PAGES.resource})`, () => {
  it('NotAction with several values leaves out an action that any one of them names', () => {
    const s = { Effect: 'Deny', NotAction: ['s3:Get*', 's3:Put*'], Resource: '*' };
    expect(statementApplies(s, request()).value).toBe(false);
    expect(statementApplies(s, request({ action: 's3:DeleteObject' })).value).toBe(true);
  });

  it('a Resource whose variable the evaluator cannot value is unknown, naming the variable and the Resource value', () => {
    const pattern = 'arn:aws:s3:::lake/${aws:username}/*';
    expect(resourceMatches(pattern, request({ unknownKeys: ['aws:username'] }))).toEqual({
      value: 'unknown',
      decider: { key: 'aws:username', operator: 'Resource', values: [pattern] },
    });
  });
});

describe(`NotPrincipal for a role session (${PAGES.notPrincipal})`, () => {
  it('naming the session by its name, without the role and the account, leaves the session open: AWS may deny those first', () => {
    const named = { ...principal, sessionName: 's1' };
    const failsWhen = `also naming ${ROLE} and ${ROOT}`;
    expect(principalMatches({ NotPrincipal: { AWS: [SESSION] } }, named)).toEqual({
      value: 'unknown',
      decider: { key: 'NotPrincipal', operator: 'NotPrincipal', values: [SESSION], failsWhen },
    });
    // The role without the account, or the account without the role, is not enough either.
    expect(principalMatches({ NotPrincipal: { AWS: [SESSION, ROLE] } }, named).value).toBe('unknown');
    expect(principalMatches({ NotPrincipal: { AWS: [SESSION, ROOT] } }, named).value).toBe('unknown');
    expect(principalMatches({ NotPrincipal: { AWS: [SESSION, ROLE, ROOT] } }, named).value).toBe(false);
  });

  it('with the session name not known, the unknown names the session name that would spare it', () => {
    expect(principalMatches({ NotPrincipal: { AWS: [SESSION, ROLE, ROOT] } }, principal)).toEqual({
      value: 'unknown',
      decider: { key: 'the role session name', operator: 'NotPrincipal', values: [SESSION], failsWhen: 's1' },
    });
  });
});

describe(`evaluatePolicy: which statements apply (${PAGES.evaluation})`, () => {
  const allow = { Effect: 'Allow', Action: '*', Resource: '*' };
  const maybeAllow = { ...allow, Condition: { StringEquals: { u: 'x' } } };

  it('a policy without statements (Statement absent or null) neither allows nor denies', () => {
    expect(evaluatePolicy({ Version: '2012-10-17' }, request())).toEqual({ deny: false, allow: false });
    expect(evaluatePolicy({ Version: '2012-10-17', Statement: null as never }, request())).toEqual({ deny: false, allow: false });
  });

  it.each([
    ['two that apply: the first', [allow, allow], true, '#1'],
    ['one that applies, then one that may: it allows, by the first', [allow, maybeAllow], true, '#1'],
    ['two that may apply: unknown, by the first', [maybeAllow, maybeAllow], 'unknown', '#1'],
    ['one that does not apply, then one that may', [{ ...allow, Action: 'kms:*' }, maybeAllow], 'unknown', '#2'],
  ])('Allow statements, %s', (_what, Statement, allows, label) => {
    const result = evaluatePolicy({ Version: '2012-10-17', Statement }, request());
    expect(result.allow).toBe(allows);
    expect(result.allowBy?.label).toBe(label);
  });
});

describe(`authorize with an identity policy (${PAGES.evaluation})`, () => {
  const policy = (kind: NamedPolicy['kind'], ...Statement: object[]): NamedPolicy => ({
    kind,
    name: kind,
    document: { Version: '2012-10-17', Statement: Statement as never },
  });
  const maybe = { Condition: { StringEquals: { u: 'x' } } };
  const allowAll = { Effect: 'Allow', Action: '*', Resource: '*' };
  const identityAllows = policy('identity', allowAll);
  const identityNot = policy('identity', { ...allowAll, Action: 'kms:*' });
  const identityMaybe = policy('identity', { ...allowAll, ...maybe });
  const bucketAllows = policy('resource', { ...allowAll, Principal: { AWS: ROLE } });
  const bucketNot = policy('resource', { ...allowAll, Principal: { AWS: ROLE }, Action: 'kms:*' });
  const bucketMaybe = policy('resource', { ...allowAll, Principal: { AWS: ROLE }, ...maybe });
  const boundary = policy('boundary', allowAll);

  it('an identity policy that allows, with no resource policy: allowed', () => {
    expect(authorize(request(), [identityAllows])).toEqual({ decision: 'allowed' });
  });

  it('a permissions boundary that allows does not grant: without an identity allow, an implicit deny', () => {
    // "Permissions boundaries for IAM entities": a boundary sets the maximum permissions, it grants none.
    expect(authorize(request(), [identityNot, boundary])).toEqual({ decision: 'implicit-deny', policy: identityNot });
  });

  it('a bucket policy that does not allow the request does not stand in for the identity policy', () => {
    expect(authorize(request(), [identityNot, bucketNot])).toEqual({ decision: 'implicit-deny', policy: identityNot });
    expect(authorize(request(), [identityNot, bucketAllows]).decision).toBe('allowed');
  });

  it('without an identity allow, a bucket policy that may allow leaves it unknown, naming the bucket policy', () => {
    expect(authorize(request(), [identityNot, bucketMaybe])).toEqual({
      decision: 'unknown',
      policy: bucketMaybe,
      statement: { label: '#1', decider: { key: 'u', operator: 'StringEquals', values: ['x'] } },
      unknownSide: 'allow',
    });
  });

  it('an identity policy that may allow, with a bucket policy that may too: unknown, naming the identity policy', () => {
    expect(authorize(request(), [identityMaybe, bucketMaybe])).toMatchObject({
      decision: 'unknown',
      policy: identityMaybe,
      unknownSide: 'allow',
    });
    expect(authorize(request(), [identityMaybe, bucketNot])).toMatchObject({
      decision: 'unknown',
      policy: identityMaybe,
      unknownSide: 'allow',
    });
  });

  it('a Deny that may apply makes it unknown on the deny side, naming its statement', () => {
    const maybeDeny = policy('resource', { Effect: 'Deny', Principal: '*', Action: '*', Resource: '*', ...maybe });
    expect(authorize(request(), [identityAllows, maybeDeny])).toEqual({
      decision: 'unknown',
      policy: maybeDeny,
      statement: { label: '#1', decider: { key: 'u', operator: 'StringEquals', values: ['x'] } },
      unknownSide: 'deny',
    });
  });
});

describe(`condition keys and variables the evaluator cannot value (${PAGES.variables}; ${PAGES.condition})`, () => {
  it('a key given as unknown, without candidates, makes a variable of it unknown too', () => {
    const ctx = context({ k: 'x', 'aws:username': { unknown: true } });
    expect(conditionEntry('StringEquals', 'k', '${aws:username}', ctx)).toEqual({
      value: 'unknown',
      decider: { key: 'k', operator: 'StringEquals', values: ['${aws:username}'] },
    });
  });

  it('an unknown key without a trailing / or : names that key alone, not the keys it begins', () => {
    const ctx = context({}, ['aws:ResourceTag/team']);
    expect(conditionEntry('StringEquals', 'aws:ResourceTag/team', 'a', ctx).value).toBe('unknown');
    expect(conditionEntry('StringEquals', 'aws:ResourceTag/teams', 'a', ctx).value).toBe(false);
  });

  it('without a request, a variable has no value: its default stands in, and without one the value matches nothing', () => {
    expect(resolve("lake/${aws:username, 'anyone'}/*", undefined)).toEqual({ kind: 'pattern', pattern: literalPattern('lake/anyone/*') });
    expect(resolve('lake/${aws:username}/*', undefined)).toEqual({ kind: 'missing', key: 'aws:username' });
  });
});

describe(`three-valued outcomes (${PAGES.evaluation})`, () => {
  it('a Principal naming another role and a session of the role whose name is not known: unknown, not false', () => {
    const named = { AWS: [`arn:aws:iam::${ACCOUNT}:role/other`, SESSION] };
    expect(principalMatches({ Principal: named }, principal).value).toBe('unknown');
  });

  it('NotResource over a Resource value the evaluator cannot resolve stays unknown, naming the variable', () => {
    const pattern = 'arn:aws:s3:::lake/${aws:username}/*';
    const s = { Effect: 'Deny', Action: '*', NotResource: pattern };
    expect(statementApplies(s, request({ unknownKeys: ['aws:username'] }))).toEqual({
      value: 'unknown',
      decider: { key: 'aws:username', operator: 'Resource', values: [pattern] },
    });
  });
});

describe(`witnesses: a string two wildcard patterns both match (${PAGES.resource}; ${PAGES.operators})`, () => {
  it('a character both patterns leave to a wildcard (* against ?) is one character, and the witness matches both', () => {
    const [a, b] = [literalPattern('*a'), literalPattern('?a')];
    const w = globWitness(a, b) as string;
    expect([w.length, globMatches(a, w), globMatches(b, w)]).toEqual([2, true, true]);
  });

  it('an ARN witness may hold colons in its resource part (a log group, a KMS alias path)', () => {
    const logGroup = 'arn:aws:logs:us-east-1:123456789012:log-group:lake:*';
    expect(arnWitness(literalPattern(logGroup), literalPattern('arn:aws:logs:*:*:log-group:*'))).toBe(
      'arn:aws:logs:us-east-1:123456789012:log-group:lake:',
    );
  });
});

// The second run, over the whole of src/iam/ (operators included): the rows its survivors asked for.
describe(`date values (${PAGES.operators}, Date; W3C Note "Date and Time Formats")`, () => {
  it.each([
    ['0050-06-01', 'a year before 100 (Date.UTC would read it as 1950)'],
    ['2027-00-15', 'month 00'],
    ['2027-04-31', 'April 31'],
    ['2027-01-01T10:60Z', 'minute 60'],
    ['2027-01-01T10:59:60Z', 'second 60'],
    ['2027-01-01T10:00+24:00', 'a zone offset of 24 hours'],
    ['2027-01-01T10:00+05:60', 'a zone offset minute 60'],
  ])('%s is unreadable (%s)', (text) => {
    expect(parseDate(text)).toBeUndefined();
  });

  it.each([
    ['2027-01-01T23:59:59Z', Date.UTC(2027, 0, 1, 23, 59, 59)],
    ['2027-01-01T23:59+23:59', Date.UTC(2027, 0, 1, 0, 0)],
    ['2027-01-01T00:00-23:00', Date.UTC(2027, 0, 1, 23, 0)],
    ['2028-02-29', Date.UTC(2028, 1, 29)],
  ])('%s is read at its last valid field', (text, ms) => {
    expect(parseDate(text)).toBe(ms);
  });

  it('two values that are no dates are not equal dates (the entry itself is unknown before the operator is asked)', () => {
    expect(DATE_OPERATORS.DateEquals.test('soon', literalPattern('soon'))).toBe(false);
    expect(DATE_OPERATORS.DateLessThanEquals.test('2027-01-01', literalPattern('later'))).toBe(false);
  });
});

describe(`numeric values (${PAGES.operators}, Numeric)`, () => {
  it.each([
    ['12.5', '12.50', true],
    ['.25', '0.25', true],
    ['1e+3', '1000', true],
    ['1e10', '10000000000', true],
    ['abc', 'abc', 'unknown'],
    ['1e400', '1e500', 'unknown'],
    ['9007199254740993', '9007199254740992', 'unknown'],
    ['9007199254740991', '9007199254740991', true],
  ])('NumericEquals %s against %s: %s', (pattern, value, expected) => {
    expect(conditionEntry('NumericEquals', 'k', pattern, context({ k: value })).value).toBe(expected);
  });

  it('two values that are no numbers are not equal numbers (the entry itself is unknown before the operator is asked)', () => {
    expect(NUMERIC_OPERATORS.NumericEquals.test('abc', literalPattern('abc'))).toBe(false);
  });
});

describe(`binary values (${PAGES.operators}, Binary)`, () => {
  it('compares the decoded bytes: a value wrapped over lines is the same bytes, other bytes are not', () => {
    expect(conditionEntry('BinaryEquals', 'k', 'QUJD\nRA==', context({ k: 'QUJDRA==' })).value).toBe(true);
    expect(conditionEntry('BinaryEquals', 'k', 'QUJDRQ==', context({ k: 'QUJDRA==' })).value).toBe(false);
  });
});

describe(`IP blocks and operators over every value (${PAGES.operators}, IP address)`, () => {
  it('a block is read without the spaces around it, as an address is', () => {
    expect(coversEveryAddress(['0.0.0.0/0 ', ' ::/0'])).toBe(true);
    expect(inBlock('10.1.2.3', ' 10.0.0.0/8 ')).toBe(true);
  });

  it('only an IP operator without a set qualifier holds for every value of an unknown key', () => {
    const every = ['0.0.0.0/0', '::/0'];
    expect(sameForEveryValue(parseOperator('IpAddress'), every)).toBe(true);
    expect(sameForEveryValue(parseOperator('StringEquals'), every)).toBe(false);
    expect(sameForEveryValue(parseOperator('ForAnyValue:IpAddress'), every)).toBe(false);
  });

  it('an operator IAM does not know leaves a key of any value unknown, even with the pattern "*"', () => {
    expect(forAnyValue(parseOperator('StringLikeish'), ['*'])).toBe('unknown');
    expect(forAnyValue(parseOperator('StringLike'), ['*'])).toBe(true);
  });
});
