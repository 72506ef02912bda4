// The permission documents in policies/ allow every request the action really makes, for any role-path:
// each IAM, S3 and KMS call an end-to-end run made is evaluated, with its real resource ARN and the
// iam:PolicyARN of attach and detach, against the document of its mode (moto only checks actions against "*").

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreatePolicyCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { clients, createBucket, createKey } from '../test-support/aws-fixtures.mjs';
import { type Call, iamActionOf } from '../test-support/aws-proxy.mjs';
import { evaluate } from '../test-support/iam-policy.mjs';
import { root } from '../test-support/run-action.mjs';
import { ACCOUNT, type Stack, startStack } from './stack.js';

let stack: Stack;
let boundaryArn: string;
const BUCKETS = ['kms-lake', 'plain-lake'];

/** The document of a mode with its placeholders filled in, as the README tells users to. */
function documented(file: string, roleName: string) {
  const text = readFileSync(join(root, 'policies', file), 'utf8')
    .replaceAll('PARTITION', 'aws')
    .replaceAll('ACCOUNT_ID', ACCOUNT)
    .replaceAll('ROLE_NAME', roleName)
    .replaceAll('POLICY_NAME', `${roleName}-s3`)
    .replaceAll('BOUNDARY_ARN', boundaryArn);
  const policy = JSON.parse(text);
  // One entry per listed bucket where the document says BUCKET_NAME.
  for (const s of policy.Statement) {
    const resources: string[] = Array.isArray(s.Resource) ? s.Resource : [s.Resource];
    s.Resource = resources.flatMap((r) => (r.includes('BUCKET_NAME') ? BUCKETS.map((b) => r.replace('BUCKET_NAME', b)) : [r]));
  }
  return policy;
}

/** The request IAM authorizes for a call: its action, resource ARN and condition keys. */
function requestOf(call: Call, rolePath: string): { action: string; resource: string; context?: Record<string, string> } {
  const [service, operation] = call.operation.split(':');
  const p = call.params;
  const iam = `arn:aws:iam::${ACCOUNT}`;
  if (service === 's3') return { action: iamActionOf(call.operation), resource: `arn:aws:s3:::${p.Bucket}` };
  if (service === 'kms') return { action: call.operation, resource: '*' };
  if (p.RoleName) {
    const path = operation === 'CreateRole' ? (p.Path ?? '/') : rolePath;
    return {
      action: call.operation,
      resource: `${iam}:role${path}${p.RoleName}`,
      context: p.PolicyArn ? { 'iam:PolicyARN': p.PolicyArn } : {},
    };
  }
  if (operation === 'CreatePolicy') return { action: call.operation, resource: `${iam}:policy${p.Path ?? '/'}${p.PolicyName}` };
  if (p.PolicyArn) return { action: call.operation, resource: p.PolicyArn };
  return { action: call.operation, resource: '*' };
}

/** Every call of the last run that the mode's document does not allow. */
function denied(file: string, roleName: string, rolePath: string): string[] {
  const policy = documented(file, roleName);
  return stack.proxy.calls
    .filter((c) => c.operation !== 'sts:GetCallerIdentity')
    .map((c) => ({ call: c.operation, request: requestOf(c, rolePath) }))
    .filter(({ request }) => evaluate(policy, request) !== 'allow')
    .map(
      ({ call, request }) =>
        `${call} on ${request.resource}${request.context?.['iam:PolicyARN'] ? ` (${request.context['iam:PolicyARN']})` : ''}`,
    );
}

beforeAll(async () => {
  stack = await startStack();
  await createKey(stack.motoEndpoint, 'docs');
  await createBucket(stack.motoEndpoint, 'kms-lake', { key: 'alias/docs' });
  await createBucket(stack.motoEndpoint, 'plain-lake');
  const { iam } = clients(stack.motoEndpoint);
  boundaryArn = (
    await iam.send(
      new CreatePolicyCommand({
        PolicyName: 'deeplake-boundary',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: ['s3:*', 'kms:*'], Resource: '*' }],
        }),
      }),
    )
  ).Policy?.Arn as string;
});

afterAll(async () => {
  await stack?.stop();
});

describe.each([
  ['/', 'docs-root'],
  ['/activeloop/team/', 'docs-nested'],
])('role-path %s', (rolePath, roleName) => {
  const inputs = { buckets: BUCKETS.join('\n'), 'role-name': roleName, 'role-path': rolePath, 'permissions-boundary': '' };
  const steps: [string, Record<string, string>, string][] = [
    ['plan on an empty account', { mode: 'plan' }, 'plan-permissions.json'],
    ['apply with a permissions boundary', { 'permissions-boundary': 'BOUNDARY' }, 'apply-permissions.json'],
    [
      'update: another bucket list and tags',
      { buckets: 'kms-lake', tags: 'team=ml', 'permissions-boundary': 'BOUNDARY' },
      'apply-permissions.json',
    ],
    ['plan in sync', { buckets: 'kms-lake', tags: 'team=ml', mode: 'plan', 'permissions-boundary': 'BOUNDARY' }, 'plan-permissions.json'],
    ['plan-destroy', { mode: 'plan-destroy' }, 'plan-permissions.json'],
    ['destroy', { mode: 'destroy' }, 'destroy-permissions.json'],
  ];
  it.each(steps)('%s: every request is allowed by the documented policy', async (_step, extra, file) => {
    stack.proxy.clear();
    const withBoundary = { ...inputs, ...extra };
    if (withBoundary['permissions-boundary'] === 'BOUNDARY') withBoundary['permissions-boundary'] = boundaryArn;
    const result = await stack.run(withBoundary);
    expect(result.errors).toEqual([]);
    expect(stack.proxy.calls.length).toBeGreaterThan(3);
    expect(denied(file, roleName, rolePath)).toEqual([]);
  });

  it('the evaluation would catch a document that names only the root path', () => {
    // The request of a role at a nested path against a role/ROLE_NAME-only resource (the documents before the fix).
    const request = { action: 'iam:GetRole', resource: `arn:aws:iam::${ACCOUNT}:role${rolePath}${roleName}` };
    const rootOnly = { Statement: [{ Effect: 'Allow', Action: 'iam:GetRole', Resource: `arn:aws:iam::${ACCOUNT}:role/${roleName}` }] };
    expect(evaluate(rootOnly, request)).toBe(rolePath === '/' ? 'allow' : 'implicit-deny');
  });
});
