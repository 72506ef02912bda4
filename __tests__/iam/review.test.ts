// A fresh review's rows (the KMS key-policy change, the W3C date rewrite, numbers and bytes): inputs where the
// evaluator once answered otherwise than AWS documents. The page that decides each is above its describe.
import { describe, expect, it } from '@jest/globals';
import type { PolicyDocumentLike } from '../../src/iam/evaluate.js';
import { authorize, conditionEntry, type NamedPolicy, type RequestContext } from '../../src/iam/index.js';
import type { Statement } from '../../src/iam/statement.js';
import { ACCOUNT, ROLE, SESSION, simulate } from './simulator.js';

const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const doc = (...Statement: object[]): PolicyDocumentLike => ({ Version: '2012-10-17', Statement: Statement as Statement[] });
const grant = (Principal: unknown, extra: object = {}) => ({ Effect: 'Allow', Principal, Action: 'kms:*', Resource: '*', ...extra });
// The role's identity policy and its permissions boundary allow S3 only: nothing for KMS.
const s3Only = doc({ Effect: 'Allow', Action: 's3:*', Resource: '*' });
const kmsRequest = (sessionName?: string): RequestContext => ({
  action: 'kms:Decrypt',
  resource: KEY,
  principal: { partition: 'aws', account: ACCOUNT, roleArn: ROLE, ...(sessionName !== undefined && { sessionName }) },
  keys: { 'aws:PrincipalArn': ROLE, 'aws:PrincipalAccount': ACCOUNT, 'kms:CallerAccount': ACCOUNT },
});
const policies = (keyPolicy: object): NamedPolicy[] => [
  { kind: 'identity', name: 'identity policy', document: s3Only },
  { kind: 'key', name: `key policy of ${KEY}`, document: keyPolicy },
  { kind: 'boundary', name: 'permissions boundary', document: s3Only },
];

// IAM User Guide, "Policy evaluation logic" (How AWS enforcement code logic evaluates requests), Resource-based
// policies: "IAM role session – Within the same account, resource-based policies that grant permissions to an IAM
// role session ARN grant permissions directly to the assumed role session. Permissions granted directly to a session
// are not limited by an implicit deny in an identity-based policy, a permissions boundary, or session policy." And
// "Permissions boundaries and session policies do not limit permissions granted using the aws:PrincipalArn condition
// key with a wildcard (*) in the Principal element, unless the identity-based policies contain an explicit deny."
// "KMS key access and permissions": the key policy is a resource-based policy that alone can grant access.
describe('a same-account key policy grant the permissions boundary does not limit', () => {
  it('a key policy naming the role session ARN allows although the boundary does not allow kms:Decrypt', async () => {
    const keyPolicy = doc(grant({ AWS: SESSION }));
    expect(authorize(kmsRequest('deeplake'), policies(keyPolicy)).decision).toBe('allowed');
    // iam-simulate agrees with the documentation.
    expect(
      await simulate({ action: 'kms:Decrypt', resource: KEY, context: {}, resourcePolicy: keyPolicy, identity: s3Only, boundary: s3Only }),
    ).toBe('allowed');
  });

  it('a key policy naming the account and the role session ARN allows although the boundary does not', () => {
    const keyPolicy = doc(grant({ AWS: [`arn:aws:iam::${ACCOUNT}:root`, SESSION] }));
    expect(authorize(kmsRequest('deeplake'), policies(keyPolicy)).decision).toBe('allowed');
  });

  it("with Deep Lake's session name not known, a key policy naming one session is unknown, not a certain implicit deny", () => {
    const keyPolicy = doc(grant({ AWS: SESSION }));
    expect(authorize(kmsRequest(), policies(keyPolicy)).decision).toBe('unknown');
  });

  it('Principal "*" with an aws:PrincipalArn condition naming the role allows although the boundary does not', () => {
    const keyPolicy = doc(grant('*', { Condition: { ArnEquals: { 'aws:PrincipalArn': ROLE } } }));
    expect(authorize(kmsRequest('deeplake'), policies(keyPolicy)).decision).toBe('allowed');
  });
});

const ctx = (k: string): RequestContext => ({ action: 's3:GetObject', resource: 'arn:aws:s3:::lake/k', keys: { k } });

// W3C Note "Date and Time Formats": "s = one or more digits representing a decimal fraction of a second"; a
// fraction below one is before the next second. IAM User Guide, "Condition operators", Date. Reading
// "00.99999999999999999" as a whole second (0.99999999999999999 is 1 as a double) moves the instant to the next
// second: either IAM reads it (and it is before 00:00:01) or it does not (unknown); never equal to 00:00:01.
describe('date fractions rounded up to the next second', () => {
  const almost = '2027-01-01T00:00:00.99999999999999999Z';
  it('DateEquals does not match the next second', () => {
    expect(conditionEntry('DateEquals', 'k', '2027-01-01T00:00:01Z', ctx(almost)).value).not.toBe(true);
  });
  it('DateLessThan the next second does not fail', () => {
    expect(conditionEntry('DateLessThan', 'k', '2027-01-01T00:00:01Z', ctx(almost)).value).not.toBe(false);
  });
});

// IAM User Guide, "Condition operators", Numeric: a key is compared "to an integer or decimal value". 1e400 and
// 1e500 are neither, and are not the same number (both read as Infinity); two different integers beyond 2^53 are
// not equal either. A value IAM may not read must not give a certain answer (the evaluator's rule for dates).
describe('numeric values read as doubles', () => {
  it.each([
    ['1e400', '1e500'],
    ['9007199254740993', '9007199254740992'],
  ])('NumericEquals %s against %s does not match', (pattern, value) => {
    expect(conditionEntry('NumericEquals', 'k', pattern, ctx(value)).value).not.toBe(true);
  });

  it('NumericNotEquals with a policy value that is no number is not a certain match (iam-simulate: no match)', () => {
    expect(conditionEntry('NumericNotEquals', 'k', 'ten', ctx('5')).value).not.toBe(true);
  });
});

// IAM User Guide, "Condition operators", Binary: "the condition value must be base-64 encoded"; Node's decoder
// drops what is not base 64 and stops at padding, so text that is not base 64 equals other bytes.
describe('BinaryEquals on text that is not base 64', () => {
  it.each([
    ['QUJD====junk', 'QUJD'],
    ['Q!U@J#D', 'QUJD'],
  ])('%s does not certainly equal %s', (pattern, value) => {
    expect(conditionEntry('BinaryEquals', 'k', pattern, ctx(value)).value).not.toBe(true);
  });
});
