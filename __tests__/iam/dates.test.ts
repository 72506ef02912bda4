// Date values as IAM reads them (IAM User Guide, "IAM JSON policy elements: Condition operators", Date
// condition operators: W3C ISO 8601 forms, W3C Note "Date and Time Formats"; or epoch seconds), and the VPC
// endpoint path's values the evaluator cannot know.
import { describe, expect, it } from '@jest/globals';
import { ANY_VALUE, conditionEntry, type RequestContext } from '../../src/iam/index.js';
import { parseDate } from '../../src/iam/operators/date.js';

const context = (keys: RequestContext['keys']): RequestContext => ({ action: 's3:GetObject', resource: 'arn:aws:s3:::b/k', keys });

describe('parseDate: the W3C forms and epoch seconds', () => {
  it.each([
    ['2027-01', Date.UTC(2027, 0, 1)],
    ['2027-01-15', Date.UTC(2027, 0, 15)],
    ['1997-07-16T19:20+01:00', Date.UTC(1997, 6, 16, 18, 20)],
    ['1997-07-16T19:20:30Z', Date.UTC(1997, 6, 16, 19, 20, 30)],
    ['1997-07-16T19:20:30.45-02:30', Date.UTC(1997, 6, 16, 21, 50, 30, 450)],
    ['12345', 12_345_000],
    [' 1798675200 ', 1_798_675_200_000],
  ])('%s', (text, ms) => {
    expect(parseDate(text)).toBe(ms);
  });

  it.each([
    ['2027', 'four digits: a W3C year or epoch seconds, the documentation does not say which'],
    ['2027-13', 'no month 13'],
    ['2027-02-30', 'no February 30'],
    ['2027-01-01T24:00Z', 'no hour 24'],
    ['2027-01-01T10:00', 'a time without its zone designator'],
    ['2027-01-01T10Z', 'hours without minutes'],
    ['2027-01-01t10:00z', 'lowercase t and z'],
    ['2027/01/01', 'slashes'],
    ['20270101T000000Z', 'the basic format'],
    ['2027-01-01 10:00Z', 'a space for T'],
    ['', 'nothing'],
  ])('%s is unreadable (%s)', (text) => {
    expect(parseDate(text)).toBeUndefined();
  });
});

describe('an unreadable date makes its entry unknown, never a silent non-match', () => {
  it.each(['DateLessThan', 'DateGreaterThanEquals', 'DateNotEquals', 'ForAnyValue:DateEquals', 'DateLessThanIfExists'])('%s', (op) => {
    const out = conditionEntry(op, 'aws:CurrentTime', ['2027'], context({ 'aws:CurrentTime': '2026-12-07T08:00:00Z' }));
    expect(out.value).toBe('unknown');
    expect(out.decider).toMatchObject({ key: 'aws:CurrentTime', unreadable: '2027' });
  });

  it('a readable one decides', () => {
    expect(conditionEntry('DateLessThan', 'aws:CurrentTime', '2027-01', context({ 'aws:CurrentTime': '2026-12-07T08:00:00Z' })).value).toBe(
      true,
    );
  });
});

describe('a key present with any value (a VPC endpoint of its own)', () => {
  const any = context({ 'aws:SourceVpce': { unknown: true, candidates: [ANY_VALUE] } });
  it.each([
    ['Null', 'false', true],
    ['Null', 'true', false],
    ['StringLike', '*', true],
    ['StringNotLike', '*', false],
    ['StringEquals', 'vpce-1', 'unknown'],
    ['StringNotEquals', 'vpce-1', 'unknown'],
    ['StringLike', 'vpce-*', 'unknown'],
  ])('%s %s: %s', (op, value, expected) => {
    expect(conditionEntry(op, 'aws:SourceVpce', value, any).value).toBe(expected);
  });
});
