// The settings list of the many-account workflow: parsed, validated before any AWS call, turned into the matrix.
import { describe, expect, it } from '@jest/globals';
import { accountLabels, accountsMatrix, MAX_MATRIX_JOBS, parseAccounts } from '../src/accounts.js';
import { deployerRoleArn } from '../src/deployer.js';
import { InputError } from '../src/inputs.js';

const SETTINGS = `
- account: "111111111111"
  name: research
  buckets: [research-datasets, s3://research-checkpoints/deeplake]
- account: "012345678901"
  name: production
  region: eu-west-1
  access: read-only
  cors: true
  buckets: |
    prod-features
    arn:aws:s3:::prod-raw/images
  tags:
    team: ml-platform
    cost-center: "4711"
  external-id-variable: ACTIVELOOP_EXTERNAL_ID_PROD
`;

function errorOf(raw: string): InputError {
  try {
    parseAccounts(raw);
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('the settings list', () => {
  it('reads each account with its buckets and what differs per account, defaults filled in', () => {
    const [research, production] = parseAccounts(SETTINGS);
    expect(research).toEqual({
      account: '111111111111',
      name: 'research',
      buckets: ['research-datasets', 's3://research-checkpoints/deeplake'],
      region: '',
      access: 'read-write',
      cors: false,
      tags: [],
      externalIdVariable: 'ACTIVELOOP_EXTERNAL_ID_111111111111',
      deployerName: 'activeloop',
      partition: 'aws',
    });
    // A quoted account ID keeps its leading zero; every scalar is a string (YAML's failsafe schema).
    expect(production).toMatchObject({
      account: '012345678901',
      region: 'eu-west-1',
      access: 'read-only',
      cors: true,
      buckets: ['prod-features', 'arn:aws:s3:::prod-raw/images'],
      tags: ['team=ml-platform', 'cost-center=4711'],
      externalIdVariable: 'ACTIVELOOP_EXTERNAL_ID_PROD',
    });
  });

  it("keeps an unquoted account ID's leading zero too (no number conversion)", () => {
    expect(parseAccounts('- {account: 012345678901, buckets: lake-one}')[0].account).toBe('012345678901');
  });

  it('gives the matrix one job per account, its roles derived from its account ID', () => {
    const { include } = accountsMatrix(parseAccounts(SETTINGS));
    expect(include.map((e) => e.account)).toEqual(['111111111111', '012345678901']);
    expect(include[0]).toEqual({
      account: '111111111111',
      name: 'research',
      buckets: 'research-datasets\ns3://research-checkpoints/deeplake',
      region: '',
      access: 'read-write',
      cors: 'false',
      tags: '',
      'external-id-variable': 'ACTIVELOOP_EXTERNAL_ID_111111111111',
      'plan-role': 'arn:aws:iam::111111111111:role/activeloop-role-action-deployer/activeloop-plan',
      'apply-role': 'arn:aws:iam::111111111111:role/activeloop-role-action-deployer/activeloop-apply',
      boundary: 'arn:aws:iam::111111111111:policy/activeloop-role-action-deployer/activeloop-boundary',
      audience: 'sts.amazonaws.com',
    });
    expect(include[1].tags).toBe('team=ml-platform\ncost-center=4711');
  });

  it('derives roles of another deployer name and partition', () => {
    const [entry] = accountsMatrix(
      parseAccounts('- {account: "222222222222", buckets: lake-one, deployer-name: team-b, partition: aws-cn}'),
    ).include;
    expect(entry['apply-role']).toBe(deployerRoleArn('222222222222', 'apply', 'team-b', 'aws-cn'));
    expect(entry['apply-role']).toBe('arn:aws-cn:iam::222222222222:role/activeloop-role-action-deployer/team-b-apply');
    // The deployer's provider and trust policies in aws-cn expect this audience (the template's InAwsCn).
    expect(entry.audience).toBe('sts.amazonaws.com.cn');
    expect(accountsMatrix(parseAccounts('- {account: "222222222222", buckets: lake-one, partition: aws-us-gov}')).include[0].audience).toBe(
      'sts.amazonaws.com',
    );
  });

  it("takes a bucket ARN of the entry's partition", () => {
    expect(parseAccounts('- {account: "222222222222", buckets: "arn:aws-cn:s3:::lake-one", partition: aws-cn}')[0].buckets).toEqual([
      'arn:aws-cn:s3:::lake-one',
    ]);
  });

  it('gives the summary a small list of accounts and names, whatever the buckets', () => {
    const buckets = Array.from({ length: 30 }, (_, i) => `a-rather-long-bucket-name-for-datasets-of-team-${String(i).padStart(2, '0')}`);
    const list = Array.from(
      { length: MAX_MATRIX_JOBS },
      (_, i) => `- {account: "${String(100000000000 + i)}", name: team-${i}-datasets-in-eu-west-1, buckets: [${buckets.join(', ')}]}`,
    ).join('\n');
    const accounts = parseAccounts(list);
    // The runner passes each input as one environment variable: at most 128 KiB on Linux (MAX_ARG_STRLEN).
    expect(JSON.stringify(accountsMatrix(accounts)).length).toBeGreaterThan(128 * 1024);
    const labels = JSON.stringify(accountLabels(accounts));
    expect(labels.length).toBeLessThan(32 * 1024);
    expect(JSON.parse(labels)[255]).toEqual({ account: '100000000255', name: 'team-255-datasets-in-eu-west-1' });
  });

  it('adding an account is one entry', () => {
    const more = `${SETTINGS}- account: "333333333333"\n  buckets: [new-team-lake]\n`;
    expect(accountsMatrix(parseAccounts(more)).include.map((e) => e.name)).toEqual(['research', 'production', '333333333333']);
  });
});

describe('a bad settings list fails naming the input and the value', () => {
  it.each([
    ['a malformed account ID', '- {account: "11111111111", buckets: lake-one}', '11111111111', "'account' must be a 12-digit"],
    ['an account ID with letters', '- {account: "11111111111a", buckets: lake-one}', '11111111111a', '12-digit'],
    [
      'an ARN instead of an ID',
      '- {account: "arn:aws:iam::111111111111:root", buckets: lake-one}',
      'arn:aws:iam::111111111111:root',
      '12-digit',
    ],
    ['a missing account', '- {buckets: lake-one}', '', '12-digit'],
    ['no bucket', '- {account: "111111111111"}', '111111111111', "'buckets' lists no bucket"],
    ['an invalid bucket', '- {account: "111111111111", buckets: [Bad_Bucket]}', 'Bad_Bucket', 'account 111111111111: bucket name'],
    ['a bucket prefix with a wildcard', '- {account: "111111111111", buckets: ["lake-one/*"]}', 'lake-one/*', 'no wildcards'],
    ['an unknown key (a typo)', '- {account: "111111111111", bucket: lake-one}', 'bucket', 'unknown key'],
    ['a bad region', '- {account: "111111111111", buckets: lake-one, region: "us-east-1; rm -rf /"}', 'us-east-1; rm -rf /', "'region'"],
    ['a bad access', '- {account: "111111111111", buckets: lake-one, access: admin}', 'admin', "'access'"],
    ['a bad cors', '- {account: "111111111111", buckets: lake-one, cors: yes}', 'yes', "'cors'"],
    ['a reserved tag', '- {account: "111111111111", buckets: lake-one, tags: {managed-by: me}}', 'managed-by=me', 'reserved'],
    [
      'an expression as a variable name',
      `- {account: "111111111111", buckets: lake-one, external-id-variable: "$${'{{'} secrets.X }}"}`,
      `$${'{{'} secrets.X }}`,
      'GitHub variable name',
    ],
    [
      'a GITHUB_ variable',
      '- {account: "111111111111", buckets: lake-one, external-id-variable: GITHUB_TOKEN}',
      'GITHUB_TOKEN',
      'GitHub variable name',
    ],
    ['a deployer name with a slash', '- {account: "111111111111", buckets: lake-one, deployer-name: "a/b"}', 'a/b', "'deployer-name'"],
    ['an unknown partition', '- {account: "111111111111", buckets: lake-one, partition: aws-moon}', 'aws-moon', "'partition'"],
    [
      'a bucket ARN of another partition',
      '- {account: "111111111111", buckets: "arn:aws:s3:::lake-one", partition: aws-cn}',
      'arn:aws:s3:::lake-one',
      "partition aws, the account's partition is aws-cn",
    ],
    [
      'a newline in a tag value',
      '- {account: "111111111111", buckets: lake-one, tags: {team: "a\\nowner=me"}}',
      '"a\\nowner=me"',
      "account 111111111111: 'tags.team' holds a newline",
    ],
    [
      'a tab in a tag key',
      '- {account: "111111111111", buckets: lake-one, tags: {"te\\tam": a}}',
      '"te\\tam"',
      "'tags.te\tam' holds a newline or another control character",
    ],
    [
      'a control character in a tag line',
      '- {account: "111111111111", buckets: lake-one, tags: ["team=a\\u0007"]}',
      '"team=a\\u0007"',
      "'tags' holds",
    ],
    ['Markdown in a name', '- {account: "111111111111", buckets: lake-one, name: "<img src=x>|"}', '<img src=x>|', "'name'"],
    ['a nested list as a value', '- {account: "111111111111", buckets: [[lake-one]]}', '["lake-one"]', 'single value'],
  ])('%s', (_, raw, value, reason) => {
    const error = errorOf(raw);
    expect(error.input).toBe('accounts');
    expect(error.value).toBe(value);
    expect(error.message).toContain(reason);
    expect(error.message).toMatch(/^Input 'accounts': /);
  });

  it('a duplicated account ID, naming it and both entries', () => {
    const error = errorOf(
      '- {account: "111111111111", buckets: lake-one}\n- {account: "222222222222", buckets: lake-two}\n- {account: "111111111111", buckets: lake-three}',
    );
    expect(error.value).toBe('111111111111');
    expect(error.message).toContain('entries 1 and 3 both name account 111111111111');
  });

  it('two accounts of one name', () => {
    expect(
      errorOf('- {account: "111111111111", name: lake, buckets: a-lake}\n- {account: "222222222222", name: Lake, buckets: b-lake}').message,
    ).toContain('same name');
  });

  it.each([
    ['an empty list', '', 'lists no account'],
    ['an empty sequence', '[]', 'lists no account'],
    ['a mapping instead of a list', 'account: "111111111111"\nbuckets: lake-one', 'must be a YAML list'],
    ['a plain string', 'lake-one', 'must be a YAML list'],
    ['broken YAML', '- {account: "111111111111", buckets: [lake-one}', 'not a valid YAML list'],
    ['a duplicated key', '- account: "111111111111"\n  account: "222222222222"\n  buckets: lake-one', 'not a valid YAML list'],
    ['an alias bomb', 'a: &a [x]\nb: [*a, *a]', 'not a valid YAML list'],
    ['an entry that is not a mapping', '- 111111111111', 'must be a mapping'],
  ])('%s', (_, raw, reason) => {
    expect(errorOf(raw).message).toContain(reason);
  });

  it(`more accounts than one matrix runs (${MAX_MATRIX_JOBS})`, () => {
    const many = Array.from(
      { length: MAX_MATRIX_JOBS + 1 },
      (_, i) => `- {account: "${String(100000000000 + i)}", buckets: lake-one}`,
    ).join('\n');
    expect(errorOf(many).message).toContain(`(${MAX_MATRIX_JOBS})`);
    expect(parseAccounts(many.split('\n').slice(0, MAX_MATRIX_JOBS).join('\n'))).toHaveLength(MAX_MATRIX_JOBS);
  });
});
