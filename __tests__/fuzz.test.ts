// Property-based tests: hostile input either fails validation with an error naming the input, before
// any AWS call, or builds valid IAM documents that grant only the buckets given, with no wildcard from input.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { buildDesired } from '../src/desired.js';
import { InputError, type Inputs, readInputs } from '../src/inputs.js';
import { type PolicyDocument, policySize, serialize, statements } from '../src/policy.js';
import { MANAGED_POLICY_MAX_CHARS } from '../src/quotas.js';
import { INPUT_NAMES } from './action-inputs.js';
import { identity } from './fixtures.js';

// Every input a user types; the token is passed through to GitHub, never into a document.
const INPUTS = INPUT_NAMES.filter((n) => n !== 'github-token');

// Pieces a hostile or careless user might type: wildcards, JSON, quotes, policy variables, newlines, unicode.
const hostile = fc.constantFrom(
  '*',
  '?',
  '"',
  "'",
  '\\',
  '{"Effect":"Allow"}',
  '"],"Resource":"*',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, on purpose
  '${aws:username}',
  '\n',
  '\r\n',
  ',',
  '/',
  '//',
  '..',
  ':',
  'arn:aws:s3:::',
  's3://',
  '\u0000',
  '\u202e',
  'ü',
  '🪣',
  ' ',
  '\t',
  '#',
  'a'.repeat(70),
);
const fragment = fc.oneof(fc.string({ maxLength: 12 }), fc.stringMatching(/^[a-z0-9][a-z0-9.-]{1,20}[a-z0-9]$/), hostile);
const junk = fc.array(fragment, { minLength: 1, maxLength: 6 }).map((parts) => parts.join(''));

// Plausible values of each kind, so that most runs get past validation and build documents.
const bucketName = fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,30}[a-z0-9]$/);
const prefix = fc.array(fc.stringMatching(/^[A-Za-z0-9!_.'()=+@:~-]{1,12}$/), { minLength: 1, maxLength: 3 }).map((p) => p.join('/'));
const bucketEntry = fc.oneof(
  {
    weight: 60,
    arbitrary: fc
      .tuple(fc.constantFrom('', 's3://', 'arn:aws:s3:::'), bucketName, fc.option(prefix))
      .map(([s, b, p]) => `${s}${b}${p ? `/${p}` : ''}`),
  },
  { weight: 1, arbitrary: junk },
);
const bucketList = fc
  .tuple(fc.array(bucketEntry, { minLength: 1, maxLength: 40 }), fc.constantFrom('\n', ',', ', ', '\r\n'))
  .map(([entries, sep]) => entries.join(sep));
const account = fc.stringMatching(/^\d{12}$/);
const plausible: Record<string, fc.Arbitrary<string>> = {
  'role-name': fc.stringMatching(/^[\w+=,.@-]{1,64}$/),
  'policy-name': fc.stringMatching(/^[\w+=,.@-]{1,100}$/),
  mode: fc.constantFrom('apply', 'plan', ''),
  access: fc.constantFrom('read-write', 'read-only', ''),
  'trusted-principals': fc
    .array(
      fc.oneof(
        account,
        account.map((a) => `arn:aws:iam::${a}:role/activeloop_backend`),
      ),
      { minLength: 1, maxLength: 3 },
    )
    .map((l) => l.join('\n')),
  'external-id': fc.stringMatching(/^[\w+=,.@:/-]{2,60}$/),
  'detect-kms': fc.constantFrom('true', 'false', 'True', 'FALSE', ''),
  'kms-key-arns': fc.uuid().map((u) => `arn:aws:kms:eu-west-1:111122223333:key/${u}`),
  'role-path': fc.constantFrom('/', '/activeloop/', '/a/b/'),
  'role-description': fc.stringMatching(/^[ -~]{0,80}$/),
  'max-session-duration': fc.integer({ min: 3600, max: 43200 }).map(String),
  tags: fc
    .array(fc.tuple(fc.stringMatching(/^[a-z][a-z0-9_.:/+@-]{0,20}$/), fc.stringMatching(/^[\w .:/=+@-]{0,30}$/)), { maxLength: 5 })
    .map((t) => t.map(([k, v]) => `${k}=${v}`).join('\n')),
  adopt: fc.constantFrom('true', 'false', ''),
};
const inputValue = (name: string) =>
  fc.oneof({ weight: 12, arbitrary: plausible[name] ?? fc.constant('') }, { weight: 1, arbitrary: junk });
const otherInputs = fc
  .uniqueArray(fc.constantFrom(...INPUTS.filter((n) => n !== 'buckets')), { maxLength: 6 })
  .chain((names) => fc.tuple(...names.map((n) => inputValue(n).map((v) => [n, v] as const))))
  .map((pairs) => Object.fromEntries(pairs));

/** Every resource in a document, and whether it can only name the buckets given. */
function assertOnlyGivenBuckets(doc: PolicyDocument, inputs: Inputs): void {
  const given = new Set(inputs.buckets.map((b) => b.bucket));
  for (const statement of statements(doc)) {
    expect(statement.Effect).toBe('Allow');
    expect(statement.Principal).toBeUndefined();
    for (const resource of [statement.Resource ?? []].flat()) {
      if (resource.startsWith('arn:aws:kms:')) {
        expect(inputs.kmsKeyArns).toContain(resource);
        continue;
      }
      const m = /^arn:aws:s3:::([^/]+)(\/(.*))?$/.exec(resource);
      expect(m).not.toBeNull();
      expect(given.has(m![1])).toBe(true);
      // The only wildcard is the trailing "/*" the action adds for objects.
      const path = (m![3] ?? '').replace(/\*$/, '');
      expect(path).not.toMatch(/[*?$]/);
      expect(m![1]).not.toMatch(/[*?$]/);
    }
    for (const values of Object.values(statement.Condition?.StringLike ?? {})) {
      for (const v of [values].flat()) expect(String(v).replace(/\/\*$/, '')).not.toMatch(/[*?$]/);
    }
  }
}

describe('hostile input', () => {
  it('either fails validation naming the input, or builds valid documents granting only the buckets given', () => {
    const outcomes = { rejected: 0, refused: 0, built: 0 };
    fc.assert(
      fc.property(bucketList, otherInputs, (buckets, others) => {
        const values: Record<string, string> = { ...others, buckets };
        let inputs: Inputs;
        try {
          inputs = readInputs((name) => values[name] ?? '', {});
        } catch (error) {
          expect(error).toBeInstanceOf(InputError);
          const e = error as InputError;
          expect(INPUTS).toContain(e.input.replace(/ \(from AWS_REGION\)$/, ''));
          expect(e.message.startsWith(`Input '${e.input}'`)).toBe(true);
          outcomes.rejected++;
          return;
        }
        let desired: ReturnType<typeof buildDesired>;
        try {
          desired = buildDesired(
            inputs,
            identity,
            inputs.kmsKeyArns.map((keyArn) => ({ keyArn, buckets: [], crossAccount: false })),
          );
        } catch (error) {
          // Too many prefixes for one policy, or too many policies: a clear refusal, not a broken document.
          expect((error as Error).name).toBe('ActionError');
          outcomes.refused++;
          return;
        }
        for (const policy of desired.policies) {
          const text = serialize(policy.document);
          expect(JSON.parse(text)).toEqual(policy.document);
          expect(policySize(policy.document)).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARS);
          assertOnlyGivenBuckets(policy.document, inputs);
        }
        const trust = statements(desired.role.trustPolicy);
        expect(trust).toHaveLength(1);
        expect(trust[0].Action).toBe('sts:AssumeRole');
        for (const p of [(trust[0].Principal as { AWS: string | string[] }).AWS].flat()) expect(p).not.toContain('*');
        const granted = desired.policies.flatMap((p) => statements(p.document)).flatMap((s) => [s.Resource ?? []].flat());
        for (const b of inputs.buckets) expect(granted.some((r) => r.startsWith(`arn:aws:s3:::${b.bucket}`))).toBe(true);
        outcomes.built++;
      }),
      { numRuns: 400, seed: 20261128 },
    );
    // Both paths are exercised in earnest (with this seed: 290 built, 110 rejected).
    expect(outcomes.built).toBeGreaterThan(100);
    expect(outcomes.rejected).toBeGreaterThan(40);
  });

  it('handles very long bucket lists without losing a bucket', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{5,40}[a-z0-9]$/), { minLength: 200, maxLength: 600 }), (names) => {
        const inputs = readInputs((name) => (name === 'buckets' ? names.join('\n') : ''), {});
        const desired = buildDesired(inputs, identity, []);
        const granted = new Set(desired.policies.flatMap((p) => statements(p.document)).flatMap((s) => [s.Resource ?? []].flat()));
        for (const n of names) expect(granted.has(`arn:aws:s3:::${n}/*`)).toBe(true);
      }),
      { numRuns: 10, seed: 7 },
    );
  });
});
