// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are written as ${...} on purpose
// Policy variables (IAM User Guide, "IAM policy elements: Variables and tags").
import { describe, expect, it } from '@jest/globals';
import { conditionEntry, type RequestContext, resolve, resourceMatches } from '../../src/iam/index.js';
import { patternText } from '../../src/iam/variables.js';

const ctx = (keys: RequestContext['keys'], resource = 'arn:aws:s3:::lake/k', unknownKeys: string[] = []): RequestContext => ({
  action: 's3:GetObject',
  resource,
  keys,
  unknownKeys,
});
const text = (t: string, keys: RequestContext['keys'] = {}) => {
  const r = resolve(t, ctx(keys));
  return r.kind === 'pattern' ? patternText(r.pattern) : r.kind;
};

describe('resolve', () => {
  it.each([
    ['home/${aws:username}/*', { 'aws:username': 'ana' }, 'home/ana/*'],
    ['home/${AWS:UserName}', { 'aws:username': 'ana' }, 'home/ana'],
    ["${aws:username, 'guest'}", {}, 'guest'],
    ["${ aws:username , 'it''s' }", {}, "it's"],
    ["${aws:username, 'guest'}", { 'aws:username': 'ana' }, 'ana'],
    ['a${*}b${?}c${$}d', {}, 'a*b?c$d'],
    ['${aws:username}', {}, 'missing'],
    ['${aws:TagKeys}', { 'aws:TagKeys': ['a', 'b'] }, 'missing'],
    ["${aws:username, 'x'", {}, "${aws:username, 'x'"],
    ['${not a key}', {}, 'missing'],
    ["${aws:username, '${aws:userid}'}", { 'aws:userid': 'u' }, '${aws:userid}'],
  ])('%s with %j: %s', (t, keys, expected) => {
    expect(text(t, keys as RequestContext['keys'])).toBe(expected);
  });

  it('a key the evaluator cannot value is unknown', () => {
    expect(resolve('${aws:PrincipalOrgID}', ctx({}, undefined, ['aws:PrincipalOrgID']))).toEqual({
      kind: 'unknown',
      key: 'aws:PrincipalOrgID',
    });
  });

  it('${*} is a literal star, a request value is literal, and policy text keeps its wildcards', () => {
    const like = (pattern: string, value: string, keys: RequestContext['keys'] = {}) =>
      conditionEntry('StringLike', 'k', pattern, ctx({ ...keys, k: value })).value;
    expect(like('a${*}', 'a*')).toBe(true);
    expect(like('a${*}', 'ab')).toBe(false);
    expect(like('a*', 'ab')).toBe(true);
    expect(like('${aws:username}', 'anything', { 'aws:username': '*' })).toBe(false);
    expect(like('${aws:username}', '*', { 'aws:username': '*' })).toBe(true);
  });

  it('variables are replaced in string and ARN operators, not in numeric ones', () => {
    expect(conditionEntry('StringEquals', 'k', '${aws:username}', ctx({ k: 'ana', 'aws:username': 'ana' })).value).toBe(true);
    expect(
      conditionEntry(
        'ArnLike',
        'k',
        'arn:aws:iam::${aws:PrincipalAccount}:role/*',
        ctx({ k: 'arn:aws:iam::1:role/r', 'aws:PrincipalAccount': '1' }),
      ).value,
    ).toBe(true);
    // Not replaced: the text ${n} is no number, so the entry is unknown (replaced, it would hold).
    expect(conditionEntry('NumericEquals', 'k', '${n}', ctx({ k: '1', n: '1' })).value).toBe('unknown');
  });

  it('a value whose variable has no value matches nothing: a negated operator then holds', () => {
    expect(conditionEntry('StringEquals', 'k', '${aws:username}', ctx({ k: 'x' })).value).toBe(false);
    expect(conditionEntry('StringNotEquals', 'k', '${aws:username}', ctx({ k: 'x' })).value).toBe(true);
    expect(conditionEntry('StringEquals', 'k', '${u}', ctx({ k: 'x' }, undefined, ['u'])).value).toBe('unknown');
  });
});

describe('resourceMatches', () => {
  it.each([
    ['*', 'arn:aws:s3:::lake/k', true],
    ['arn:aws:s3:::lake/*', 'arn:aws:s3:::lake/a/b', true],
    ['arn:aws:s3:::lake/*', 'arn:aws:s3:::lake', false],
    ['arn:aws:s3:::lake', 'arn:aws:s3:::lake', true],
    ['arn:aws:s3:::Lake', 'arn:aws:s3:::lake', false],
    ['arn:aws:s3:::lake/teams/${aws:PrincipalTag/team}/*', 'arn:aws:s3:::lake/teams/vision/x', true],
    ['arn:aws:s3:::lake/teams/${aws:PrincipalTag/team}/*', 'arn:aws:s3:::lake/teams/audio/x', false],
    ['arn:aws:s3:::lake/${aws:username}/*', 'arn:aws:s3:::lake/ana/x', false],
  ])('%s names %s: %s', (pattern, resource, expected) => {
    expect(resourceMatches(pattern, ctx({ 'aws:PrincipalTag/team': 'vision' }, resource)).value).toBe(expected);
  });

  it('a Resource variable the evaluator cannot value is unknown', () => {
    expect(
      resourceMatches('arn:aws:s3:::lake/${aws:PrincipalTag/x}/*', ctx({}, 'arn:aws:s3:::lake/a/b', ['aws:PrincipalTag/'])).value,
    ).toBe('unknown');
  });
});
