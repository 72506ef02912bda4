// The intersection of two IAM wildcard patterns: a string both match, or none.
import { describe, expect, it } from '@jest/globals';
import { literalPattern } from '../../src/iam/variables.js';
import { arnMatches, arnWitness, globMatches, globWitness } from '../../src/iam/wildcard.js';

const p = (text: string) => literalPattern(text);

describe('globWitness: a string two wildcard patterns both match', () => {
  it.each([
    ['lake/teams/private/*', 'lake/teams/*'],
    ['lake/*.json', 'lake/*'],
    ['lak?/private/*', 'lake/*'],
    ['*/private/*', 'lake/*'],
    ['a*b*c', '*c?b*'],
    ['*', 'abc'],
  ])('%s and %s meet, and the witness matches both', (a, b) => {
    const w = globWitness(p(a), p(b));
    expect(w).toBeDefined();
    expect([globMatches(p(a), w as string), globMatches(p(b), w as string)]).toEqual([true, true]);
  });

  it.each([
    ['lake/other/*', 'lake/teams/*'],
    ['lake/*.json', 'lake/*.csv'],
    ['lak?', 'lake/*'],
    ['abc', 'abd'],
    ['a?', 'a'],
  ])('%s and %s have no string in common', (a, b) => {
    expect(globWitness(p(a), p(b))).toBeUndefined();
  });
});

describe('arnWitness: ARNs part by part', () => {
  const space = p('arn:aws:s3:::lake/*');
  it('a wildcard partition meets the entry, and the witness is an object of it', () => {
    const w = arnWitness(p('arn:*:s3:::lake/private/*'), space) as string;
    expect([w, arnMatches(space, w)]).toEqual(['arn:aws:s3:::lake/private/', true]);
  });
  it('a * never crosses a colon before the resource part', () => {
    expect(arnWitness(p('arn:aws:*:lake/*'), space)).toBeUndefined();
  });
  it('another service or bucket does not meet it', () => {
    expect(arnWitness(p('arn:aws:s3:::other/*'), space)).toBeUndefined();
    expect(arnWitness(p('arn:aws:dynamodb:::lake/*'), space)).toBeUndefined();
  });
});
