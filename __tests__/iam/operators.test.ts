// Condition operators by family (IAM User Guide, "IAM JSON policy elements: Condition operators"), one entry at a time.
import { describe, expect, it } from '@jest/globals';
import { conditionEntry, conditionHolds, type RequestContext } from '../../src/iam/index.js';
import { parseDate } from '../../src/iam/operators/date.js';
import { inBlock, parseAddress, publicAddressesIn } from '../../src/iam/operators/ip.js';
import { parseNumber } from '../../src/iam/operators/numeric.js';

const context = (keys: RequestContext['keys'], unknownKeys: string[] = []): RequestContext => ({
  action: 's3:GetObject',
  resource: 'arn:aws:s3:::b/k',
  keys,
  unknownKeys,
});
const holds = (operator: string, key: string, values: unknown, keys: RequestContext['keys']) =>
  conditionEntry(operator, key, values, context(keys)).value;

describe('String', () => {
  it.each([
    ['StringEquals', 'abc', 'abc', true],
    ['StringEquals', 'abc', 'ABC', false],
    ['StringEquals', 'a*', 'abc', false],
    ['StringNotEquals', 'abc', 'abc', false],
    ['StringNotEquals', 'abd', 'abc', true],
    ['StringEqualsIgnoreCase', 'ABC', 'abc', true],
    ['StringEqualsIgnoreCase', 'ABD', 'abc', false],
    ['StringNotEqualsIgnoreCase', 'ABC', 'abc', false],
    ['StringNotEqualsIgnoreCase', 'ABD', 'abc', true],
    ['StringLike', 'a*c', 'abbbc', true],
    ['StringLike', 'a?c', 'abc', true],
    ['StringLike', 'a?c', 'abbc', false],
    ['StringLike', 'A*', 'abc', false],
    ['StringLike', 'a.c', 'abc', false],
    ['StringNotLike', 'a*', 'abc', false],
    ['StringNotLike', 'b*', 'abc', true],
  ])('%s %s against %s: %s', (op, pattern, value, expected) => {
    expect(holds(op, 'k', pattern, { k: value })).toBe(expected);
  });

  it('any of several policy values matches; a negated operator needs none to match', () => {
    expect(holds('StringEquals', 'k', ['x', 'abc'], { k: 'abc' })).toBe(true);
    expect(holds('StringNotEquals', 'k', ['x', 'abc'], { k: 'abc' })).toBe(false);
    expect(holds('StringNotEquals', 'k', ['x', 'y'], { k: 'abc' })).toBe(true);
  });

  it('compares key names without case', () => {
    expect(holds('StringEquals', 'AWS:SourceVPCE', 'v', { 'aws:SourceVpce': 'v' })).toBe(true);
  });
});

describe('Numeric', () => {
  it.each([
    ['NumericEquals', '1.2', '1.20', true],
    ['NumericEquals', '1', '2', false],
    ['NumericNotEquals', '1', '2', true],
    ['NumericNotEquals', '2', '2', false],
    ['NumericLessThan', '1.3', '1.2', true],
    ['NumericLessThan', '1.2', '1.2', false],
    ['NumericLessThanEquals', '1.2', '1.2', true],
    ['NumericLessThanEquals', '1.1', '1.2', false],
    ['NumericGreaterThan', '1.2', '1.3', true],
    ['NumericGreaterThan', '1.3', '1.3', false],
    ['NumericGreaterThanEquals', '1.3', '1.3', true],
    ['NumericGreaterThanEquals', '1.4', '1.3', false],
    ['NumericEquals', 'abc', 'abc', 'unknown'],
    ['NumericEquals', '', '0', 'unknown'],
    ['NumericEquals', '1', 'abc', false],
  ])('%s %s with the request at %s: %s', (op, policy, value, expected) => {
    expect(holds(op, 'k', policy, { k: value })).toBe(expected);
  });

  it('parses decimal numbers only', () => {
    expect([parseNumber('1.5'), parseNumber('-2'), parseNumber('.5'), parseNumber('1e3'), parseNumber('0x10'), parseNumber(' ')]).toEqual([
      1.5,
      -2,
      0.5,
      1000,
      undefined,
      undefined,
    ]);
  });
});

describe('Date', () => {
  it.each([
    ['DateEquals', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', true],
    ['DateEquals', '2024-01-01T00:00:00Z', '1704067200', true],
    ['DateNotEquals', '2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z', true],
    ['DateNotEquals', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', false],
    ['DateLessThan', '2024-01-02', '2024-01-01T23:59:59Z', true],
    ['DateLessThan', '2024-01-01', '2024-01-01', false],
    ['DateLessThanEquals', '2024-01-01', '2024-01-01', true],
    ['DateLessThanEquals', '2024-01-01', '2024-01-02', false],
    ['DateGreaterThan', '2024-01-01', '2024-01-02', true],
    ['DateGreaterThan', '2024-01-01', '2024-01-01', false],
    ['DateGreaterThanEquals', '2024-01-01', '2024-01-01', true],
    ['DateGreaterThanEquals', '2024-01-02', '2024-01-01', false],
    ['DateEquals', 'yesterday', 'yesterday', 'unknown'],
  ])('%s %s with the request at %s: %s', (op, policy, value, expected) => {
    expect(holds(op, 'k', policy, { k: value })).toBe(expected);
  });

  it('reads ISO 8601 and epoch seconds', () => {
    expect(parseDate('1970-01-01T00:00:10Z')).toBe(10_000);
    expect(parseDate('10')).toBe(10_000);
    expect(parseDate('2024-13-45')).toBeUndefined();
    expect(parseDate('not a date')).toBeUndefined();
  });
});

describe('Bool and Binary', () => {
  it.each([
    ['Bool', 'true', 'true', true],
    ['Bool', 'TRUE', 'true', true],
    ['Bool', 'false', 'true', false],
    ['BinaryEquals', 'QmluYXJ5', 'QmluYXJ5', true],
    ['BinaryEquals', 'QmluYXJ5', 'QmluYXJ6', false],
  ])('%s %s with the request at %s: %s', (op, policy, value, expected) => {
    expect(holds(op, 'k', policy, { k: value })).toBe(expected);
  });
});

describe('IpAddress', () => {
  it.each([
    ['IpAddress', '203.0.113.0/24', '203.0.113.9', true],
    ['IpAddress', '203.0.113.0/24', '203.0.114.9', false],
    ['IpAddress', '203.0.113.9', '203.0.113.9', true],
    ['IpAddress', '203.0.113.9', '203.0.113.8', false],
    ['IpAddress', '0.0.0.0/0', '198.51.100.1', true],
    ['IpAddress', '::/0', '198.51.100.1', false],
    ['IpAddress', '2001:db8::/32', '2001:db8:1::5', true],
    ['IpAddress', '2001:db8::/32', '2001:db9::5', false],
    ['IpAddress', '::/0', '2001:db8::1', true],
    ['IpAddress', '0.0.0.0/0', '2001:db8::1', false],
    ['IpAddress', '203.0.113.0/33', '203.0.113.1', false],
    ['IpAddress', '203.0.113.0/x', '203.0.113.1', false],
    ['NotIpAddress', '203.0.113.0/24', '192.0.2.1', true],
    ['NotIpAddress', '203.0.113.0/24', '203.0.113.1', false],
  ])('%s %s with the request from %s: %s', (op, policy, value, expected) => {
    expect(holds(op, 'aws:SourceIp', policy, { 'aws:SourceIp': value })).toBe(expected);
  });

  it('parses IPv4 and IPv6 addresses, and nothing else', () => {
    expect(parseAddress('10.0.0.1')).toEqual({ bits: 0x0a000001n, width: 32 });
    expect(parseAddress('::1')).toEqual({ bits: 1n, width: 128 });
    expect(parseAddress('1:2:3:4:5:6:7:8')?.bits).toBe(0x00010002000300040005000600070008n);
    expect(parseAddress('256.0.0.1')).toBeUndefined();
    expect(parseAddress('1::2::3')).toBeUndefined();
    expect(parseAddress('1:2:3:4:5:6:7')).toBeUndefined();
    expect(parseAddress('1:2:3:4:5:6:7:8::')).toBeUndefined();
    expect(parseAddress('12345::')).toBeUndefined();
    expect(parseAddress('example')).toBeUndefined();
    expect(inBlock('10.0.0.1', '10.0.0.0/8/1')).toBe(false);
  });

  // Rows from the evaluator's mutation run: each pins one edge of parsing an address or a block.
  it.each([
    [' 10.0.0.12 ', 0x0a00000cn],
    ['10.0.0.255', 0x0a0000ffn],
    ['x10.0.0.1', undefined],
    ['10.0.0.1x', undefined],
    ['1:2:3:4:5:6::7', 0x0001000200030004000500060000_0007n],
    ['1:2:3:4:5:6:7:8::1::2', undefined],
    ['g::1', undefined],
    ['::ffff:10.0.0.1', undefined],
  ])('parses %j as %s', (text, bits) => {
    expect(parseAddress(text)?.bits).toBe(bits);
  });

  it.each([
    ['10.0.0.1', ' 10.0.0.0/8', true],
    ['10.0.0.1', '10.0.0.0/ 8', false],
    ['10.0.0.1', '10.0.0.0/0x8', false],
    ['203.0.113.0', '203.0.113.0/33', false],
    ['2001:db8::', '2001:db8::/129', false],
  ])('%s in %j: %s', (address, block, expected) => {
    expect(inBlock(address, block)).toBe(expected);
  });
});

describe('IpAddress against an unknown public address (aws:SourceIp of Activeloop)', () => {
  // IANA special-purpose address registries (RFC 6890): these ranges are not globally reachable.
  it.each([
    [['10.0.0.0/8'], 'none'],
    [['10.1.0.0/16', '172.16.0.0/12', '192.168.1.7'], 'none'],
    [['100.64.0.0/10', '127.0.0.1', '169.254.0.0/16', '0.0.0.0/8', '224.0.0.0/4', '240.0.0.0/4'], 'none'],
    [['fc00::/7', 'fd12:3456::/32', 'fe80::/10', '::1', '::', 'ff02::1'], 'none'],
    [['not-a-block', '10.0.0.0/33'], 'none'],
    [['10.0.0.0/7'], 'some'],
    [['172.15.0.0/16'], 'some'],
    [['100.0.0.0/8'], 'some'],
    [['203.0.113.0/24'], 'some'],
    [['2001:db8::/32'], 'some'],
    [['10.0.0.0/8', '198.51.100.7'], 'some'],
    [['0.0.0.0/0'], 'some'],
    [['0.0.0.0/0', '::/0'], 'all'],
    [[' 0.0.0.0/0', ' ::/0'], 'all'],
    [['x/0'], 'none'],
    // An IPv6 block whose low 32 bits spell 10.0.0.0/8 is still IPv6, and public.
    [['::a00:0/104'], 'some'],
  ])('%j holds %s of the public addresses', (blocks, expected) => {
    expect(publicAddressesIn(blocks)).toBe(expected);
  });

  const fromPublicOrEndpoint: RequestContext = {
    action: 's3:GetObject',
    resource: 'arn:aws:s3:::lake/x',
    keys: { 'aws:SourceIp': { unknown: true, candidates: [{ space: 'public-address' }, undefined] } },
  };
  it.each([
    ['NotIpAddress', true],
    ['IpAddress', false],
    ['NotIpAddressIfExists', true],
    ['IpAddressIfExists', 'unknown'],
    ['StringEquals', 'unknown'],
  ])('%s on 10.0.0.0/8, from a public address or without the key: %s', (op, expected) => {
    expect(conditionEntry(op, 'aws:SourceIp', '10.0.0.0/8', fromPublicOrEndpoint).value).toBe(expected);
  });

  it('Null tells the two paths apart: a public address is present, a VPC endpoint has none', () => {
    expect(conditionEntry('Null', 'aws:SourceIp', 'true', fromPublicOrEndpoint).decider).toMatchObject({
      holdsWhen: '(absent)',
      failsWhen: 'a public address',
    });
    expect(conditionEntry('Null', 'aws:SourceIp', ['true', 'false'], fromPublicOrEndpoint).value).toBe(true);
  });

  it('names the path that decides an IfExists entry', () => {
    expect(conditionEntry('IpAddressIfExists', 'aws:SourceIp', '10.0.0.0/8', fromPublicOrEndpoint).decider).toMatchObject({
      holdsWhen: '(absent)',
      failsWhen: 'a public address',
    });
    const publicRange = conditionEntry('NotIpAddress', 'aws:SourceIp', '203.0.113.0/24', fromPublicOrEndpoint);
    expect(publicRange.value).toBe('unknown');
    expect(publicRange.decider).toMatchObject({ holdsWhen: '(absent)' });
    expect(publicRange.decider?.failsWhen).toBeUndefined();
  });
});

describe('Arn', () => {
  const role = 'arn:aws:iam::123456789012:role/path/activeloop-x';
  it.each([
    ['ArnEquals', 'arn:aws:iam::*:role/path/activeloop-*', true],
    ['ArnLike', 'arn:aws:iam::*:role/path/activeloop-*', true],
    ['ArnLike', 'arn:aws:iam::123456789012:role/*', true],
    ['ArnLike', 'arn:aws:iam::1234567890?2:role/path/activeloop-x', true],
    ['ArnLike', 'arn:aws:iam::*', false],
    ['ArnLike', 'arn:aws:*:role/path/activeloop-x', false],
    ['ArnLike', '*', false],
    ['ArnLike', 'arn:aws:iam::123456789012:role/path/ACTIVELOOP-x', false],
    ['ArnNotEquals', 'arn:aws:iam::*:role/path/activeloop-*', false],
    ['ArnNotLike', 'arn:aws:iam::*:role/other', true],
    ['ArnNotLike', 'arn:*', true],
  ])('%s %s: %s', (op, pattern, expected) => {
    expect(holds(op, 'aws:PrincipalArn', pattern, { 'aws:PrincipalArn': role })).toBe(expected);
  });

  it('a wildcard before the resource part does not cross a colon', () => {
    expect(holds('ArnLike', 'k', 'arn:aws:s3:*:lake', { k: 'arn:aws:s3:::lake' })).toBe(false);
    expect(holds('ArnLike', 'k', 'arn:aws:s3:::lake*', { k: 'arn:aws:s3:::lake:x' })).toBe(true);
  });

  it('a request value of fewer than six parts matches nothing', () => {
    expect(holds('ArnLike', 'k', 'arn:*:*:*:*:*', { k: 'arn:aws:s3' })).toBe(false);
  });
});

describe('Null, ...IfExists and absent keys', () => {
  it.each([
    ['Null', 'true', {}, true],
    ['Null', 'true', { k: 'v' }, false],
    ['Null', 'false', { k: 'v' }, true],
    ['Null', 'false', {}, false],
    ['Null', 'TRUE', {}, true],
    ['StringEquals', 'v', {}, false],
    ['StringNotEquals', 'v', {}, true],
    ['StringEqualsIfExists', 'v', {}, true],
    ['StringEqualsIfExists', 'v', { k: 'w' }, false],
    ['NumericLessThanIfExists', '1', {}, true],
    ['NumericLessThan', '1', {}, false],
    ['NotIpAddress', '10.0.0.0/8', {}, true],
    ['ArnNotLike', 'arn:*:*:*:*:*', {}, true],
  ])('%s %s with keys %j: %s', (op, policy, keys, expected) => {
    expect(holds(op, 'k', policy, keys as RequestContext['keys'])).toBe(expected);
  });

  it('Null with IfExists, or an operator IAM does not know, cannot be decided', () => {
    expect(holds('NullIfExists', 'k', 'true', {})).toBe('unknown');
    expect(holds('StringSortOf', 'k', 'v', { k: 'v' })).toBe('unknown');
  });

  it('an empty list counts as absent', () => {
    expect(holds('StringEquals', 'k', 'v', { k: [] })).toBe(false);
    expect(holds('Null', 'k', 'true', { k: [] })).toBe(true);
  });
});

describe('ForAnyValue and ForAllValues on multivalued keys', () => {
  const tags = { 'aws:TagKeys': ['team', 'cost'] };
  it.each([
    ['ForAnyValue:StringEquals', ['team'], tags, true],
    ['ForAnyValue:StringEquals', ['owner'], tags, false],
    ['ForAllValues:StringEquals', ['team', 'cost', 'owner'], tags, true],
    ['ForAllValues:StringEquals', ['team'], tags, false],
    ['ForAnyValue:StringNotEquals', ['team'], tags, true],
    ['ForAnyValue:StringNotEquals', ['team', 'cost'], tags, false],
    ['ForAllValues:StringNotEquals', ['owner'], tags, true],
    ['ForAllValues:StringNotEquals', ['team'], tags, false],
    ['ForAllValues:StringEquals', ['team'], {}, true],
    ['ForAnyValue:StringEquals', ['team'], {}, false],
    ['ForAnyValue:StringLikeIfExists', ['t*'], tags, true],
    ['StringEquals', ['cost'], tags, true],
    ['StringNotEquals', ['cost'], tags, false],
  ])('%s %j: %s', (op, values, keys, expected) => {
    expect(holds(op, 'aws:TagKeys', values, keys as RequestContext['keys'])).toBe(expected);
  });
});

describe('keys the evaluator cannot value', () => {
  it('an unknown key makes the entry unknown and names it', () => {
    const o = conditionEntry('StringNotEquals', 'aws:PrincipalOrgID', 'o-1', context({}, ['aws:PrincipalOrgID']));
    expect(o).toEqual({ value: 'unknown', decider: { key: 'aws:PrincipalOrgID', operator: 'StringNotEquals', values: ['o-1'] } });
  });

  it('unknown prefixes name every key they begin', () => {
    expect(conditionEntry('StringEquals', 'aws:ResourceTag/x', 'v', context({}, ['aws:ResourceTag/'])).value).toBe('unknown');
    expect(conditionEntry('StringEquals', 'aws:ResourceTagX', 'v', context({}, ['aws:ResourceTag/'])).value).toBe(false);
  });

  it('a key with candidates is decided when all agree, else unknown with the value that holds and the one that fails', () => {
    const tls = context({ 's3:TlsVersion': { unknown: true, candidates: ['1.2', '1.3'] } });
    expect(conditionEntry('NumericLessThan', 's3:TlsVersion', '1.2', tls).value).toBe(false);
    expect(conditionEntry('NumericLessThan', 's3:TlsVersion', '1.3', tls)).toEqual({
      value: 'unknown',
      decider: { key: 's3:TlsVersion', operator: 'NumericLessThan', values: ['1.3'], holdsWhen: '1.2', failsWhen: '1.3' },
    });
  });

  it('a whole Condition element: a false entry decides over an unknown one, and all must hold', () => {
    const ctx = context({ a: 'x' }, ['u']);
    expect(conditionHolds({ StringEquals: { u: 'v', a: 'y' } }, ctx).value).toBe(false);
    expect(conditionHolds({ StringEquals: { u: 'v', a: 'x' } }, ctx).value).toBe('unknown');
    expect(conditionHolds({ StringEquals: { a: 'x' }, StringLike: { a: 'x*' } }, ctx).value).toBe(true);
    expect(conditionHolds(undefined, ctx).value).toBe(true);
  });
});
