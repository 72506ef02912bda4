import { describe, expect, it } from '@jest/globals';
import { InputError, mergeBucketGrants, parseBucketEntry, readInputs, splitList } from '../src/inputs.js';
import { INPUT_NAMES, runnerDefault } from './action-inputs.js';

function read(values: Record<string, string>, env: Record<string, string> = {}) {
  return readInputs((name) => values[name] ?? '', env);
}

function errorOf(values: Record<string, string>, env: Record<string, string> = {}): InputError {
  try {
    read(values, env);
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('buckets', () => {
  it('accepts names, s3:// URLs and ARNs, with and without prefixes', () => {
    expect(parseBucketEntry('ml-datasets')).toEqual({ bucket: 'ml-datasets', prefixes: [] });
    expect(parseBucketEntry('s3://raw-images/deeplake')).toEqual({ bucket: 'raw-images', prefixes: ['deeplake'] });
    expect(parseBucketEntry('arn:aws:s3:::raw.images/a/b/')).toEqual({ bucket: 'raw.images', prefixes: ['a/b'] });
    expect(parseBucketEntry('arn:aws-cn:s3:::cn-bucket')).toEqual({ bucket: 'cn-bucket', prefixes: [] });
  });

  it('splits on newlines and commas and ignores blanks and comments', () => {
    expect(splitList(' a, b\n\n c # the third\n# only a comment\n')).toEqual(['a', 'b', 'c']);
  });

  it.each([
    ['UpperCase', 'lowercase letters'],
    ['ab', '3 to 63'],
    ['a'.repeat(64), '3 to 63'],
    ['my..bucket', 'two adjacent dots'],
    ['192.168.1.1', 'IP address'],
    ['-starts-with-hyphen', 'begin and end'],
    ['xn--punycode', 'reserved prefix'],
    ['bucket--x-s3', 'reserved suffix'],
    ['under_score', 'lowercase letters'],
  ])('rejects the bucket name %s', (name, reason) => {
    const error = errorOf({ buckets: `good-bucket\n${name}` });
    expect(error.input).toBe('buckets');
    expect(error.message).toContain(reason);
    expect(error.message).toContain(JSON.stringify(name));
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, on purpose
  it.each(['bucket/data/*', 'bucket/da?ta', 'bucket/${aws:username}', 'bucket//double', 'bucket/a/../b', 'bucket/with space'])(
    'rejects the prefix in %s: nothing in the input can widen a Resource',
    (entry) => {
      expect(errorOf({ buckets: entry }).input).toBe('buckets');
    },
  );

  it('rejects other URL schemes', () => {
    expect(errorOf({ buckets: 'gs://bucket' }).message).toContain('s3://bucket');
  });

  it('requires at least one bucket', () => {
    expect(errorOf({ buckets: ' \n , ' }).message).toContain("Input 'buckets'");
  });

  it('merges entries of one bucket: the whole bucket wins, a prefix covers its sub-prefixes', () => {
    expect(
      mergeBucketGrants([
        parseBucketEntry('bk1/x/y'),
        parseBucketEntry('bk1/x'),
        parseBucketEntry('bk1/z'),
        parseBucketEntry('bk2/p'),
        parseBucketEntry('bk2'),
        parseBucketEntry('bk1/x'),
      ]),
    ).toEqual([
      { bucket: 'bk1', prefixes: ['x', 'z'] },
      { bucket: 'bk2', prefixes: [] },
    ]);
  });

  it('keeps prefixes that only share leading characters', () => {
    expect(mergeBucketGrants([parseBucketEntry('bk1/data'), parseBucketEntry('bk1/data2')])).toEqual([
      { bucket: 'bk1', prefixes: ['data', 'data2'] },
    ]);
  });
});

describe('other inputs', () => {
  it('applies the documented defaults', () => {
    const inputs = read({ buckets: 'ml-datasets' });
    expect(inputs).toMatchObject({
      roleName: 'activeloop-deeplake-access',
      policyName: 'activeloop-deeplake-access-s3',
      mode: 'apply',
      access: 'read-write',
      trustedPrincipals: ['arn:aws:iam::597713067985:role/activeloop_backend'],
      detectKms: true,
      region: 'us-east-1',
      rolePath: '/',
      maxSessionDuration: 3600,
      adopt: false,
      failOnDrift: false,
      prComment: true,
      tags: {},
    });
  });

  it('takes the region from AWS_REGION, then AWS_DEFAULT_REGION', () => {
    expect(read({ buckets: 'b-1' }, { AWS_DEFAULT_REGION: 'eu-west-1' }).region).toBe('eu-west-1');
    expect(read({ buckets: 'b-1' }, { AWS_REGION: 'eu-central-1', AWS_DEFAULT_REGION: 'eu-west-1' }).region).toBe('eu-central-1');
    expect(read({ buckets: 'b-1', 'aws-region': 'ap-south-1' }, { AWS_REGION: 'eu-central-1' }).region).toBe('ap-south-1');
  });

  it.each([
    [{ 'role-name': 'has space' }, 'role-name'],
    [{ 'role-name': 'r'.repeat(65) }, 'role-name'],
    [{ 'policy-name': 'p'.repeat(126) }, 'policy-name'],
    [{ mode: 'delete' }, 'mode'],
    [{ access: 'admin' }, 'access'],
    [{ 'trusted-principals': '*' }, 'trusted-principals'],
    [{ 'trusted-principals': 'arn:aws:iam::597713067985:role/*' }, 'trusted-principals'],
    [{ 'external-id': 'x' }, 'external-id'],
    [{ 'external-id': 'has space' }, 'external-id'],
    [{ 'kms-key-arns': 'alias/my-key' }, 'kms-key-arns'],
    [{ 'role-to-assume': 'my-role' }, 'role-to-assume'],
    [{ 'aws-region': 'mars-1' }, 'aws-region'],
    [{ 'role-path': 'no-slashes' }, 'role-path'],
    [{ 'max-session-duration': '3599' }, 'max-session-duration'],
    [{ 'max-session-duration': '43201' }, 'max-session-duration'],
    [{ 'max-session-duration': '1h' }, 'max-session-duration'],
    [{ 'permissions-boundary': 'arn:aws:iam::123456789012:role/x' }, 'permissions-boundary'],
    [{ tags: 'novalue' }, 'tags'],
    [{ tags: 'aws:reserved=x' }, 'tags'],
    [{ tags: 'managed-by=me' }, 'tags'],
    [{ tags: 'team=a\nteam=b' }, 'tags'],
    [{ adopt: 'yes' }, 'adopt'],
    [{ 'detect-kms': 'on' }, 'detect-kms'],
    [{ 'fail-on-drift': '1' }, 'fail-on-drift'],
  ])('rejects %j naming the input %s', (values, input) => {
    const error = errorOf({ buckets: 'ml-datasets', ...values });
    expect(error.input).toBe(input);
    expect(error.message).toMatch(new RegExp(`^Input '${input.replace(/[-]/g, '\\-')}'`));
    expect(error.message).toContain('(got ');
  });

  it("accepts the seed's three 2023 principals, account IDs and an external ID", () => {
    const inputs = read({
      buckets: 'b-1',
      'trusted-principals':
        'arn:aws:iam::574987031486:role/activeloop_backend_dev\narn:aws:iam::574987031486:role/activeloop_backend, arn:aws:iam::597713067985:role/activeloop_backend\n111122223333',
      'external-id': 'org-42:abc/DEF_=+,.@-',
    });
    expect(inputs.trustedPrincipals).toHaveLength(4);
    expect(inputs.externalId).toBe('org-42:abc/DEF_=+,.@-');
  });

  it('parses tags, booleans in YAML 1.2 spellings and a valid boundary', () => {
    const inputs = read({
      buckets: 'b-1',
      tags: 'team=data platform\ncost-center = 42\n# comment',
      adopt: 'True',
      'fail-on-drift': 'TRUE',
      'pr-comment': 'false',
      'permissions-boundary': 'arn:aws:iam::aws:policy/PowerUserAccess',
      'kms-key-arns': 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    });
    expect(inputs.tags).toEqual({ team: 'data platform', 'cost-center': '42' });
    expect([inputs.adopt, inputs.failOnDrift, inputs.prComment]).toEqual([true, true, false]);
    expect(inputs.kmsKeyArns).toHaveLength(1);
  });
});

describe('action.yml and inputs.ts', () => {
  it("agree on every default: the runner's defaults read the same as inputs left empty", () => {
    const withRunnerDefaults = readInputs((name) => (name === 'buckets' ? 'ml-datasets' : runnerDefault(name)), {});
    const withEmpty = readInputs((name) => (name === 'buckets' ? 'ml-datasets' : ''), {});
    expect(withRunnerDefaults).toEqual(withEmpty);
  });

  it('reads every input action.yml declares, and no other', () => {
    const asked = new Set<string>();
    readInputs((name) => {
      asked.add(name);
      return name === 'buckets' ? 'ml-datasets' : '';
    }, {});
    expect([...asked].sort()).toEqual([...INPUT_NAMES].sort());
  });
});

describe('regions and partitions', () => {
  it.each([
    'us-east-1',
    'ap-southeast-7',
    'mx-central-1',
    'cn-northwest-1',
    'us-gov-west-1',
    'us-iso-east-1',
    'us-isob-east-1',
    'eu-isoe-west-1',
    'us-isof-south-1',
    'eusc-de-east-1',
  ])('accepts %s', (region) => {
    expect(readInputs((n) => ({ buckets: 'b-1', 'aws-region': region })[n] ?? '', {}).region).toBe(region);
  });

  it.each(['us-east', 'US-EAST-1', 'useast1', 'us_east_1', 'abcde-east-1'])('refuses %s naming aws-region', (region) => {
    expect(() => readInputs((n) => ({ buckets: 'b-1', 'aws-region': region })[n] ?? '', {})).toThrow(/^Input 'aws-region'/);
  });

  it.each([
    ['arn:aws-cn:iam::123456789012:role/deployer', 'cn-northwest-1'],
    ['arn:aws-us-gov:iam::123456789012:role/deployer', 'us-gov-west-1'],
    ['arn:aws:iam::123456789012:role/deployer', 'us-east-1'],
    ['', 'us-east-1'],
  ])('without a region, falls back to one of the partition of role-to-assume %s: %s', (role, region) => {
    expect(readInputs((n) => ({ buckets: 'b-1', 'role-to-assume': role })[n] ?? '', {}).region).toBe(region);
  });

  it('says a role-to-assume without an account ID most likely lacks the repository variable ACTIVELOOP_AWS_ACCOUNT_ID', () => {
    // What the README's workflow makes of arn:aws:iam::${{ vars.ACTIVELOOP_AWS_ACCOUNT_ID }}:role/... when the variable is unset.
    const arn = 'arn:aws:iam:::role/activeloop-role-action-deployer/activeloop-plan';
    const error = errorOf({ buckets: 'ml-datasets', 'role-to-assume': arn, 'allowed-account-ids': '' });
    expect(error.input).toBe('role-to-assume');
    expect(error.message).toBe(
      "Input 'role-to-assume': the ARN has no account ID, most likely because the repository variable ACTIVELOOP_AWS_ACCOUNT_ID is not set " +
        "(Settings → Secrets and variables → Actions → Variables; the deployer stack's output RepositoryVariableCommand sets it) " +
        `(got "${arn}")`,
    );
    expect(errorOf({ buckets: 'ml-datasets', 'role-to-assume': 'arn:aws:iam::12345:role/x' }).message).toContain('must be an IAM role ARN');
  });
});

describe('tag keys, which IAM compares case-insensitively', () => {
  it('says tags are one key=value per line when they are separated by commas', () => {
    const error = errorOf({ buckets: 'ml-datasets', tags: 'a=1,A=2' });
    expect(error.input).toBe('tags');
    expect(error.message).toContain('tags are one key=value per line; a comma does not separate tags');
    expect(error.message).not.toContain('may contain only');
  });

  it('refuses keys that differ only in case, naming both, before any AWS call', () => {
    const error = errorOf({ buckets: 'ml-datasets', tags: 'Environment=prod\nenvironment=dev' });
    expect(error.input).toBe('tags');
    expect(error.message).toContain("'Environment' and 'environment' differ only in case");
  });

  it.each(['Managed-By=me', 'ACTIVELOOP-ROLE-ACTION:digest=x', 'Activeloop-Role-Action:CORS=true'])(
    'refuses the reserved key in another case: %s',
    (tags) => {
      expect(errorOf({ buckets: 'ml-datasets', tags }).message).toContain('is reserved');
    },
  );
});
