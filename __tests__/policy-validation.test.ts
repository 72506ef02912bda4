// Every policy document the project writes, held against IAM's service reference (test-support/iam-validate.mjs,
// the offline counterpart of IAM Access Analyzer's ValidatePolicy): the deployer template's policies and trust
// policies, resolved for each partition and for its parameters' values; the documented permissions in policies/;
// and the Activeloop role's permissions and trust policy the action builds (src/desired.ts). Each is read from its
// source at test time, so the test checks whatever those files say now.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { PARTITIONS } from '../scripts/bootstrap-template.mjs';
import { buildDesired, type DesiredState } from '../src/desired.js';
import { readInputs } from '../src/inputs.js';
import type { CallerIdentity } from '../src/read.js';
import { resolveTemplate } from '../test-support/cloudformation.mjs';
import { type Finding, validatePolicy } from '../test-support/iam-validate.mjs';

const root = join(import.meta.dirname, '..');
const ACCOUNT = '123456789012';
const OTHER_ACCOUNT = '210987654321';
const REGION: Record<string, string> = {
  aws: 'us-east-1',
  'aws-cn': 'cn-north-1',
  'aws-us-gov': 'us-gov-west-1',
  'aws-eusc': 'eusc-de-east-1',
};
const regionOf = (partition: string) => REGION[partition] ?? 'us-east-1';

/** Findings as readable lines, so a failure names the document, the statement and the problem. */
const lines = (where: string, findings: Finding[]) => findings.map((f) => `${where} [${f.statement}] ${f.issue}: ${f.detail}`);

describe('the deployer template (bootstrap/activeloop-deployer.yml)', () => {
  // biome-ignore lint/suspicious/noExplicitAny: a CloudFormation template is free-form JSON.
  const template: any = parse(readFileSync(join(root, 'bootstrap', 'activeloop-deployer.yml'), 'utf8'));
  const parameters: Record<string, { Default?: string; AllowedValues?: string[] }> = template.Parameters;
  // Values for parameters without a default, then values that change which documents or ARNs the stack writes.
  const required: Record<string, string> = { GitHubRepository: 'octo-org/datasets', Buckets: 'ml-datasets,raw-images' };
  const variants: Record<string, string>[] = [
    {},
    { Buckets: '*' },
    { OffboardingEnvironment: 'activeloop-offboarding' },
    { ActiveloopPolicyName: 'datasets-access', RolePath: '/team/data/' },
    { GitHubOidcIssuer: 'token.actions.githubusercontent.com/octo-enterprise' },
    { GitHubOidcIssuer: 'token.actions.octo-corp.ghe.com' },
    { DeployerName: 'datasets' },
  ];
  // Every combination of the parameters with allowed values (CreateOidcProvider, ManageCors, ...).
  const choices = Object.entries(parameters).filter(([, p]) => p.AllowedValues);
  const combinations = choices.reduce<Record<string, string>[]>(
    (all, [name, p]) => all.flatMap((c) => (p.AllowedValues ?? []).map((v) => ({ ...c, [name]: String(v) }))),
    [{}],
  );
  const cases = PARTITIONS.flatMap((partition: string) =>
    [...combinations, ...variants].map((values) => {
      const known = Object.fromEntries(Object.entries({ ...required, ...values }).filter(([name]) => name in parameters));
      return { partition, values: known, label: `${partition} ${JSON.stringify(values)}` };
    }),
  );

  it.each(cases)('in $label, every policy and trust policy names only what IAM has, in its partition', async ({ partition, values }) => {
    const { documents } = resolveTemplate(template, values, { partition, region: regionOf(partition) });
    expect(documents.filter((d) => d.type === 'trust').length).toBeGreaterThan(0);
    expect(documents.filter((d) => d.type === 'identity').length).toBeGreaterThan(0);
    const findings: string[] = [];
    for (const d of documents) findings.push(...lines(d.where, await validatePolicy(d.document, { type: d.type, partition })));
    expect(findings).toEqual([]);
  });
});

describe('the documented permissions (policies/*.json)', () => {
  // The placeholders the README and docs/bootstrap.md tell users to replace, with values of the right shape.
  const PLACEHOLDERS = (partition: string): Record<string, string> => ({
    PARTITION: partition,
    ACCOUNT_ID: ACCOUNT,
    ROLE_NAME: 'activeloop-deeplake-access',
    POLICY_NAME: 'activeloop-deeplake-access-s3',
    BUCKET_NAME: 'ml-datasets',
    BOUNDARY_ARN: `arn:${partition}:iam::${ACCOUNT}:policy/activeloop-role-action-deployer/activeloop-boundary`,
  });
  const files = readdirSync(join(root, 'policies')).filter((f) => f.endsWith('.json'));

  it('lists the permission documents', () => {
    expect(files).toEqual(expect.arrayContaining(['plan-permissions.json', 'apply-permissions.json', 'destroy-permissions.json']));
  });

  it.each(PARTITIONS.flatMap((partition: string) => files.map((file) => ({ partition, file }))))(
    '$file in $partition names only what IAM has',
    async ({ partition, file }) => {
      let text = readFileSync(join(root, 'policies', file), 'utf8');
      for (const [placeholder, value] of Object.entries(PLACEHOLDERS(partition))) text = text.replaceAll(placeholder, value);
      const document = JSON.parse(text);
      // A placeholder this test does not know yet would pass as a name: it must be added above.
      const values = JSON.stringify(document.Statement.map((s: Record<string, unknown>) => [s.Resource, s.NotResource, s.Condition]));
      expect(values.match(/\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b/g) ?? []).toEqual([]);
      expect(lines(file, await validatePolicy(document, { partition }))).toEqual([]);
    },
  );
});

describe("the Activeloop role's documents the action writes (src/desired.ts)", () => {
  const identity = (partition: string): CallerIdentity => ({
    account: ACCOUNT,
    partition,
    arn: `arn:${partition}:sts::${ACCOUNT}:assumed-role/activeloop-apply/run`,
  });
  const key = (partition: string, account = ACCOUNT) =>
    `arn:${partition}:kms:${regionOf(partition)}:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
  /** Inputs as a workflow gives them; partitions other than aws need Activeloop's principal there. */
  type Case = { label: string; partition: string; inputs: Record<string, string>; keys?: string[] };
  const cases: Case[] = (<Case[]>[
    { label: 'the defaults', partition: 'aws', inputs: { buckets: 'ml-datasets' } },
    {
      label: 'whole buckets and prefixes, an external ID, a path and a boundary',
      partition: 'aws',
      inputs: {
        buckets: 'ml-datasets\ns3://raw-images/deeplake\narn:aws:s3:::shared/team-a/2026\nraw-images/other',
        'external-id': 'activeloop-7f3a9c',
        'role-path': '/activeloop/',
        'permissions-boundary': `arn:aws:iam::${ACCOUNT}:policy/activeloop-role-action-deployer/activeloop-boundary`,
      },
    },
    {
      label: 'read-only with KMS keys of this account and another',
      partition: 'aws',
      inputs: { buckets: 'ml-datasets', access: 'read-only' },
    },
    { label: 'read-write with KMS keys', partition: 'aws', inputs: { buckets: 'ml-datasets/deeplake' } },
    {
      label: 'several trusted principals, one an account ID',
      partition: 'aws',
      inputs: { buckets: 'b-one', 'trusted-principals': `${OTHER_ACCOUNT}\narn:aws:iam::${OTHER_ACCOUNT}:role/backend` },
    },
    {
      label: '150 buckets over several managed policies',
      partition: 'aws',
      inputs: { buckets: Array.from({ length: 150 }, (_, i) => `datasets-${i}`).join('\n') },
    },
    ...['aws-cn', 'aws-us-gov'].map((partition) => ({
      label: `${partition}, prefixes, KMS keys and its own principal`,
      partition,
      inputs: {
        buckets: `ml-datasets\narn:${partition}:s3:::raw-images/deeplake`,
        'trusted-principals': `arn:${partition}:iam::${OTHER_ACCOUNT}:role/activeloop_backend`,
        'external-id': 'activeloop-7f3a9c',
      },
    })),
  ]).map((c) => (/KMS/.test(c.label) ? { ...c, keys: [key(c.partition), key(c.partition, OTHER_ACCOUNT)] } : c));

  it.each(cases)('for $label: the permissions and trust policy name only what IAM has', async ({ partition, inputs, keys = [] }) => {
    const desired: DesiredState = buildDesired(
      readInputs((name) => inputs[name] ?? '', {}),
      identity(partition),
      keys.map((keyArn) => ({ keyArn, buckets: [], crossAccount: keyArn.split(':')[4] !== ACCOUNT })),
    );
    expect(desired.policies.length).toBeGreaterThan(0);
    const findings = lines('trust policy', await validatePolicy(desired.role.trustPolicy, { type: 'trust', partition }));
    for (const p of desired.policies) findings.push(...lines(p.name, await validatePolicy(p.document, { partition })));
    expect(findings).toEqual([]);
  });
});
