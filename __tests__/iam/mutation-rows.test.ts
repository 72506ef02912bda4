// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are written as ${...} on purpose
// Rows that the mutation runs over src/iam/ asked for (docs/development.md, "Mutation testing"): each pins a
// behaviour of the evaluator that a surviving mutant changed, with the IAM documentation page that fixes it.
import { describe, expect, it } from '@jest/globals';
import { ANY_VALUE, conditionEntry, PUBLIC_ADDRESS, type RequestContext } from '../../src/iam/index.js';

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
